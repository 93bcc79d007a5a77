// Map access by name with raw key/value bytes; sizes are checked by libbpf against the map
// definition (EINVAL on mismatch). Main thread only.
#include "addon.h"

#include <cerrno>
#include <vector>

namespace oa {

static bpf_map *MapArg(const Napi::CallbackInfo &info, const char *op) {
  ObjectState *s = LiveObject(info[0]);
  if (!s->loaded) ThrowErrno(info.Env(), op, EBADF, "object not loaded");
  return FindMap(info.Env(), s, info[1].As<Napi::String>(), op);
}

// mapUpdate(h, name, key, value, flags)
Napi::Value MapUpdate(const Napi::CallbackInfo &info) {
  const char *op = "bpf_map__update_elem";
  bpf_map *m = MapArg(info, op);
  auto k = info[2].As<Napi::Buffer<uint8_t>>();
  auto v = info[3].As<Napi::Buffer<uint8_t>>();
  uint64_t flags = info[4].As<Napi::Number>().Int64Value();
  int err = bpf_map__update_elem(m, k.Data(), k.Length(), v.Data(), v.Length(), flags);
  if (err) ThrowErrno(info.Env(), op, err, std::string("map '") + bpf_map__name(m) + "'");
  return info.Env().Undefined();
}

// mapLookup(h, name, key) -> Buffer | null
Napi::Value MapLookup(const Napi::CallbackInfo &info) {
  const char *op = "bpf_map__lookup_elem";
  bpf_map *m = MapArg(info, op);
  auto k = info[2].As<Napi::Buffer<uint8_t>>();
  std::vector<uint8_t> v(bpf_map__value_size(m));
  int err = bpf_map__lookup_elem(m, k.Data(), k.Length(), v.data(), v.size(), 0);
  if (err == -ENOENT) return info.Env().Null();
  if (err) ThrowErrno(info.Env(), op, err, std::string("map '") + bpf_map__name(m) + "'");
  return Napi::Buffer<uint8_t>::Copy(info.Env(), v.data(), v.size());
}

// mapDelete(h, name, key) -> boolean (false when the key was absent)
Napi::Value MapDelete(const Napi::CallbackInfo &info) {
  const char *op = "bpf_map__delete_elem";
  bpf_map *m = MapArg(info, op);
  auto k = info[2].As<Napi::Buffer<uint8_t>>();
  int err = bpf_map__delete_elem(m, k.Data(), k.Length(), 0);
  if (err == -ENOENT) return Napi::Boolean::New(info.Env(), false);
  if (err) ThrowErrno(info.Env(), op, err, std::string("map '") + bpf_map__name(m) + "'");
  return Napi::Boolean::New(info.Env(), true);
}

// mapLookupPercpu(h, name, key) -> Buffer[] (one value per possible CPU; [] when absent)
Napi::Value MapLookupPercpu(const Napi::CallbackInfo &info) {
  const char *op = "bpf_map__lookup_elem";
  Napi::Env env = info.Env();
  bpf_map *m = MapArg(info, op);
  auto k = info[2].As<Napi::Buffer<uint8_t>>();
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) ThrowErrno(env, "libbpf_num_possible_cpus", ncpu, "cannot count CPUs");
  size_t vs = bpf_map__value_size(m), stride = (vs + 7) & ~size_t(7);
  std::vector<uint8_t> v(stride * ncpu);
  int err = bpf_map__lookup_elem(m, k.Data(), k.Length(), v.data(), v.size(), 0);
  Napi::Array out = Napi::Array::New(env);
  if (err == -ENOENT) return out;
  if (err) ThrowErrno(env, op, err, std::string("map '") + bpf_map__name(m) + "'");
  for (int i = 0; i < ncpu; i++) out.Set(i, Napi::Buffer<uint8_t>::Copy(env, v.data() + i * stride, vs));
  return out;
}

}  // namespace oa
