// Typed errors and tagged handles. Main thread only.
#include "addon.h"

#include <cstring>

namespace oa {

[[noreturn]] void ThrowErrno(Napi::Env env, const char *op, int err, const std::string &msg,
                             const std::string *verifier_log) {
  if (err < 0) err = -err;
  const char *name = err ? strerrorname_np(err) : nullptr;
  Napi::Error e = Napi::Error::New(
      env, std::string(op) + ": " + msg + (err ? std::string(" (") + strerror(err) + ")" : ""));
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  e.Set("op", Napi::String::New(env, op));
  e.Set("errno", Napi::Number::New(env, err));
  if (verifier_log) e.Set("verifierLog", Napi::String::New(env, *verifier_log));
  throw e;
}

[[noreturn]] void ThrowType(Napi::Env env, const std::string &msg) {
  throw Napi::TypeError::New(env, msg);
}

// Handles are {type: 'object' | 'link' | 'ringbuf', ptr: External}; the tag on the external
// guarantees the pointer's type whatever JS passes back.
static const napi_type_tag kTags[3] = {
    {0x6f61626a65637431ULL, 0x0000000000000001ULL},
    {0x6f616c696e6b3031ULL, 0x0000000000000002ULL},
    {0x6f6172696e673031ULL, 0x0000000000000003ULL},
};
static const char *kNames[3] = {"object", "link", "ringbuf"};

static Napi::Object Wrap(Napi::Env env, void *p, int kind) {
  Napi::External<void> ext = Napi::External<void>::New(env, p);
  ext.TypeTag(&kTags[kind]);
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", Napi::String::New(env, kNames[kind]));
  o.Set("ptr", ext);
  return o;
}

static void *Unwrap(const Napi::Value &v, int kind) {
  Napi::Env env = v.Env();
  if (!v.IsObject()) ThrowType(env, std::string("expected a ") + kNames[kind] + " handle");
  Napi::Value p = v.As<Napi::Object>().Get("ptr");
  if (!p.IsExternal() || !p.As<Napi::Object>().CheckTypeTag(&kTags[kind]))
    ThrowType(env, std::string("expected a ") + kNames[kind] + " handle");
  void *ptr = p.As<Napi::External<void>>().Data();
  if (!ptr) ThrowErrno(env, kNames[kind], EBADF, "handle already closed");
  return ptr;
}

Napi::Object WrapObject(Napi::Env env, ObjectState *s) { return Wrap(env, s, 0); }
ObjectState *UnwrapObject(const Napi::Value &v) { return static_cast<ObjectState *>(Unwrap(v, 0)); }
Napi::Object WrapLink(Napi::Env env, LinkState *s) { return Wrap(env, s, 1); }
LinkState *UnwrapLink(const Napi::Value &v) { return static_cast<LinkState *>(Unwrap(v, 1)); }
Napi::Object WrapRingbuf(Napi::Env env, RingbufState *s) { return Wrap(env, s, 2); }
RingbufState *UnwrapRingbuf(const Napi::Value &v) {
  return static_cast<RingbufState *>(Unwrap(v, 2));
}

bpf_map *FindMap(Napi::Env env, ObjectState *s, const std::string &name, const char *op) {
  bpf_map *m = bpf_object__find_map_by_name(s->obj, name.c_str());
  if (!m) ThrowErrno(env, op, ENOENT, "no map named '" + name + "'");
  return m;
}

}  // namespace oa
