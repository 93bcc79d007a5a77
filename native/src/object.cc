// Object lifecycle: open (with rodata / max_entries / map reuse set before load), load
// (verifier log captured), program listing and attachment, links, close. Main thread only.
#include "addon.h"

#include <thread>
#include <vector>

#include <bpf/btf.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <vector>

namespace oa {

// libbpf_set_print target. libbpf logs on the thread that calls it; all loads happen on the
// main thread, so one capture buffer is enough. Capped to the last kLogCap bytes.
static std::string g_log;
static bool g_capture = false;
static const size_t kLogCap = 1 << 20;

static int PrintCb(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (!g_capture || level == LIBBPF_DEBUG) return 0;
  char buf[4096];
  int n = vsnprintf(buf, sizeof(buf), fmt, args);
  if (n > 0) g_log.append(buf, std::min<size_t>(n, sizeof(buf) - 1));
  if (g_log.size() > kLogCap) g_log.erase(0, g_log.size() - kLogCap);
  return 0;
}

ObjectState *LiveObject(const Napi::Value &v) {
  ObjectState *s = UnwrapObject(v);
  if (!s->obj) ThrowErrno(v.Env(), "object", EBADF, "object already closed");
  return s;
}

// Patches one variable of the .rodata datasec (found by name in the object's BTF).
static void SetRodata(Napi::Env env, bpf_object *obj, const std::string &var, Napi::Buffer<uint8_t> val) {
  const char *op = "bpf_map__set_initial_value";
  bpf_map *m = bpf_object__find_map_by_name(obj, ".rodata");
  btf *b = bpf_object__btf(obj);
  if (!m || !b) ThrowErrno(env, op, ENOENT, "object has no .rodata or no BTF");
  int sec_id = btf__find_by_name_kind(b, ".rodata", BTF_KIND_DATASEC);
  if (sec_id < 0) ThrowErrno(env, op, ENOENT, "no .rodata datasec in BTF");
  const btf_type *sec = btf__type_by_id(b, sec_id);
  const btf_var_secinfo *vs = btf_var_secinfos(sec);
  for (int i = 0; i < btf_vlen(sec); i++, vs++) {
    const btf_type *vt = btf__type_by_id(b, vs->type);
    if (var != btf__name_by_offset(b, vt->name_off)) continue;
    if (vs->size != val.Length())
      ThrowErrno(env, op, EINVAL, "rodata '" + var + "' is " + std::to_string(vs->size) +
                                      " bytes, got " + std::to_string(val.Length()));
    size_t sz = 0;
    const void *cur = bpf_map__initial_value(m, &sz);
    std::vector<uint8_t> copy(static_cast<const uint8_t *>(cur), static_cast<const uint8_t *>(cur) + sz);
    memcpy(copy.data() + vs->offset, val.Data(), vs->size);
    int err = bpf_map__set_initial_value(m, copy.data(), sz);
    if (err) ThrowErrno(env, op, err, "cannot set rodata '" + var + "'");
    return;
  }
  ThrowErrno(env, op, ENOENT, "no rodata variable named '" + var + "'");
}

// Calls fn(key, value) for each own key of `v` when it is an object (null: nothing).
template <typename F>
static void ForEachKey(Napi::Value v, F fn) {
  if (!v.IsObject()) return;
  Napi::Object o = v.As<Napi::Object>();
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string k = keys.Get(i).As<Napi::String>();
    fn(k, o.Get(k));
  }
}

// objectOpen(path, {rodata, mapMaxEntries, reuseMaps, autoload}) -> ObjectHandle
Napi::Value ObjectOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  Napi::Object opts = info[1].As<Napi::Object>();
  bpf_object *obj = bpf_object__open_file(path.c_str(), nullptr);
  if (!obj) ThrowErrno(env, "bpf_object__open_file", errno, "cannot open " + path);
  try {
    ForEachKey(opts.Get("rodata"), [&](const std::string &k, Napi::Value v) {
      SetRodata(env, obj, k, v.As<Napi::Buffer<uint8_t>>());
    });
    ForEachKey(opts.Get("mapMaxEntries"), [&](const std::string &k, Napi::Value v) {
      bpf_map *m = bpf_object__find_map_by_name(obj, k.c_str());
      if (!m) ThrowErrno(env, "bpf_map__set_max_entries", ENOENT, "no map named '" + k + "'");
      int err = bpf_map__set_max_entries(m, v.As<Napi::Number>().Uint32Value());
      if (err) ThrowErrno(env, "bpf_map__set_max_entries", err, "map '" + k + "'");
    });
    ForEachKey(opts.Get("autoload"), [&](const std::string &k, Napi::Value v) {
      bpf_program *p = bpf_object__find_program_by_name(obj, k.c_str());
      if (!p) ThrowErrno(env, "bpf_program__set_autoload", ENOENT, "no program named '" + k + "'");
      int err = bpf_program__set_autoload(p, v.As<Napi::Boolean>().Value());
      if (err) ThrowErrno(env, "bpf_program__set_autoload", err, "program '" + k + "'");
    });
    Napi::Value reuse = opts.Get("reuseMaps");
    if (reuse.IsArray()) {
      Napi::Array a = reuse.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) {
        Napi::Object e = a.Get(i).As<Napi::Object>();
        std::string name = e.Get("name").As<Napi::String>();
        ObjectState *from = LiveObject(e.Get("from"));
        bpf_map *src = bpf_object__find_map_by_name(from->obj, name.c_str());
        bpf_map *dst = bpf_object__find_map_by_name(obj, name.c_str());
        if (!src || !dst || bpf_map__fd(src) < 0)
          ThrowErrno(env, "bpf_map__reuse_fd", ENOENT, "map '" + name + "' missing or not loaded");
        int err = bpf_map__reuse_fd(dst, bpf_map__fd(src));
        if (err) ThrowErrno(env, "bpf_map__reuse_fd", err, "map '" + name + "'");
      }
    }
  } catch (...) {
    bpf_object__close(obj);
    throw;
  }
  ObjectState *s = new ObjectState();
  s->obj = obj;
  return WrapObject(env, s);
}

// objectLoad(h): on failure the error carries verifierLog (libbpf warnings + verifier output).
// The verifier returns EAGAIN when a signal is pending on the loading thread (libbpf retries a few
// times): signals are blocked for the load, so a periodic one (V8's SIGPROF under --cpu-prof, a
// timer) cannot fail it; they are delivered when the mask is restored.
Napi::Value ObjectLoad(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ObjectState *s = LiveObject(info[0]);
  g_log.clear();
  g_capture = true;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int err = bpf_object__load(s->obj);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  g_capture = false;
  if (err) {
    std::string log;
    log.swap(g_log);
    ThrowErrno(env, "bpf_object__load", err, "cannot load object", &log);
  }
  g_log.clear();
  s->loaded = true;
  return env.Undefined();
}

// programList(h) -> {name, section, type, autoload}[]
Napi::Value ProgramList(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ObjectState *s = LiveObject(info[0]);
  Napi::Array out = Napi::Array::New(env);
  bpf_program *p;
  uint32_t i = 0;
  bpf_object__for_each_program(p, s->obj) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", bpf_program__name(p));
    o.Set("section", bpf_program__section_name(p));
    const char *t = libbpf_bpf_prog_type_str(bpf_program__type(p));
    o.Set("type", t ? t : "unknown");
    o.Set("autoload", bpf_program__autoload(p));
    out.Set(i++, o);
  }
  return out;
}

static bpf_program *FindProg(Napi::Env env, ObjectState *s, const std::string &name, const char *op) {
  bpf_program *p = bpf_object__find_program_by_name(s->obj, name.c_str());
  if (!p) ThrowErrno(env, op, ENOENT, "no program named '" + name + "'");
  return p;
}

// programAttach(h, name) -> LinkHandle; attach type from the section (tp/, raw_tp/, ...).
Napi::Value ProgramAttach(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ObjectState *s = LiveObject(info[0]);
  std::string name = info[1].As<Napi::String>();
  bpf_program *p = FindProg(env, s, name, "bpf_program__attach");
  bpf_link *l = bpf_program__attach(p);
  if (!l) ThrowErrno(env, "bpf_program__attach", errno, "cannot attach '" + name + "'");
  LinkState *ls = new LinkState();
  ls->link = l;
  return WrapLink(env, ls);
}

// programAttachCgroup(h, name, cgroupPath) -> LinkHandle (cgroup/connect4, ...).
Napi::Value ProgramAttachCgroup(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ObjectState *s = LiveObject(info[0]);
  std::string name = info[1].As<Napi::String>();
  std::string cg = info[2].As<Napi::String>();
  bpf_program *p = FindProg(env, s, name, "bpf_program__attach_cgroup");
  int fd = open(cg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowErrno(env, "open", errno, "cannot open cgroup " + cg);
  bpf_link *l = bpf_program__attach_cgroup(p, fd);
  int err = errno;
  close(fd);
  if (!l) ThrowErrno(env, "bpf_program__attach_cgroup", err, "cannot attach '" + name + "' to " + cg);
  LinkState *ls = new LinkState();
  ls->link = l;
  return WrapLink(env, ls);
}

// linkDestroy(link): idempotent.
Napi::Value LinkDestroy(const Napi::CallbackInfo &info) {
  LinkState *ls = UnwrapLink(info[0]);
  if (ls->link) bpf_link__destroy(ls->link);
  ls->link = nullptr;
  return info.Env().Undefined();
}

// Destroys links off the JS thread, each on its own thread: closing a tracepoint link's perf
// event waits for an RCU grace period (~60 ms here); in parallel the waits overlap (60 links:
// ~0.9 s instead of ~4 s) and the event loop keeps running meanwhile.
class LinksDestroyWorker : public Napi::AsyncWorker {
 public:
  LinksDestroyWorker(Napi::Env env, std::vector<bpf_link *> links)
      : Napi::AsyncWorker(env), links_(std::move(links)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    std::vector<std::thread> threads;
    threads.reserve(links_.size());
    for (bpf_link *l : links_) threads.emplace_back([l] { bpf_link__destroy(l); });
    for (auto &t : threads) t.join();
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

 private:
  std::vector<bpf_link *> links_;
  Napi::Promise::Deferred deferred_;
};

// linksDestroy([link...]) -> Promise<void>: every handle is marked destroyed at once (later
// linkDestroy calls are no-ops); the promise resolves when the kernel has detached them all.
Napi::Value LinksDestroy(const Napi::CallbackInfo &info) {
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<bpf_link *> links;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    LinkState *ls = UnwrapLink(arr.Get(i));
    if (ls->link) links.push_back(ls->link);
    ls->link = nullptr;
  }
  LinksDestroyWorker *w = new LinksDestroyWorker(info.Env(), std::move(links));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// objectClose(h): idempotent; links must be destroyed first (they keep programs alive).
// The state itself is never freed so a stale handle fails with EBADF instead of crashing.
Napi::Value ObjectClose(const Napi::CallbackInfo &info) {
  ObjectState *s = UnwrapObject(info[0]);
  if (s->obj) bpf_object__close(s->obj);
  s->obj = nullptr;
  return info.Env().Undefined();
}

Napi::Value LibbpfVersion(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), std::to_string(libbpf_major_version()) + "." +
                                           std::to_string(libbpf_minor_version()));
}

static uint64_t Ns(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ULL + ts.tv_nsec;
}

// clockOffsets() -> {boottimeNs, realtimeNs, uncertaintyNs}: the tightest of 16 samples of
// REALTIME/BOOTTIME/REALTIME, realtime taken as the midpoint of the bracketing pair.
Napi::Value ClockOffsets(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint64_t best = UINT64_MAX, boot = 0, real = 0;
  for (int i = 0; i < 16; i++) {
    uint64_t r0 = Ns(CLOCK_REALTIME), b = Ns(CLOCK_BOOTTIME), r1 = Ns(CLOCK_REALTIME);
    if (r1 - r0 < best) {
      best = r1 - r0;
      boot = b;
      real = r0 + (r1 - r0) / 2;
    }
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("boottimeNs", Napi::BigInt::New(env, boot));
  o.Set("realtimeNs", Napi::BigInt::New(env, real));
  o.Set("uncertaintyNs", Napi::Number::New(env, double(best)));
  return o;
}

// kernelBtfHas(kind, name, member) -> boolean: the running kernel's BTF (vmlinux, loaded once)
// has a type of `kind` ("func" | "struct") named `name` and, when `member` is not null, that
// struct has a member of that name. A kfunc is callable only when its FUNC is in vmlinux BTF
// (libbpf resolves __ksym externs there). Throws when the kernel has no BTF.
Napi::Value KernelBtfHas(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  static btf *vmlinux = nullptr;
  std::string kind = info[0].As<Napi::String>();
  std::string name = info[1].As<Napi::String>();
  if (!vmlinux) {
    vmlinux = btf__load_vmlinux_btf();
    if (!vmlinux) {
      int err = errno;
      vmlinux = nullptr;
      ThrowErrno(env, "btf__load_vmlinux_btf", err, "cannot load the kernel's BTF");
    }
  }
  int k = kind == "func" ? BTF_KIND_FUNC : kind == "struct" ? BTF_KIND_STRUCT : -1;
  if (k < 0) ThrowType(env, "kernelBtfHas: kind must be 'func' or 'struct'");
  int id = btf__find_by_name_kind(vmlinux, name.c_str(), k);
  if (id < 0) return Napi::Boolean::New(env, false);
  if (!info[2].IsString()) return Napi::Boolean::New(env, true);
  std::string member = info[2].As<Napi::String>();
  const btf_type *t = btf__type_by_id(vmlinux, id);
  const btf_member *m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); i++, m++) {
    if (member == btf__name_by_offset(vmlinux, m->name_off)) return Napi::Boolean::New(env, true);
  }
  return Napi::Boolean::New(env, false);
}

// Installs the libbpf log hook used by objectLoad. Main thread, once at module init.
void InitLibbpfLog() { libbpf_set_print(PrintCb); }

}  // namespace oa
