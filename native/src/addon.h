// Shared declarations of the otelarmor addon: handle states, typed errors, per-file Init.
// Every exported function runs on the JS main thread unless its comment says otherwise.
#pragma once

#include <napi.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <string>

namespace oa {

// Opaque handle states; JS holds them as tagged externals (see Wrap/Unwrap).
struct ObjectState {
  bpf_object *obj = nullptr;
  bool loaded = false;
};
struct LinkState {
  bpf_link *link = nullptr;
};
struct RingbufState;

// Throws Error{message, code: errno name, op, errno} (and verifierLog when given).
[[noreturn]] void ThrowErrno(Napi::Env env, const char *op, int err, const std::string &msg,
                             const std::string *verifier_log = nullptr);
[[noreturn]] void ThrowType(Napi::Env env, const std::string &msg);

Napi::Object WrapObject(Napi::Env env, ObjectState *s);
ObjectState *UnwrapObject(const Napi::Value &v);  // throws unless an object handle
ObjectState *LiveObject(const Napi::Value &v);    // ... and not closed
Napi::Object WrapLink(Napi::Env env, LinkState *s);
LinkState *UnwrapLink(const Napi::Value &v);
Napi::Object WrapRingbuf(Napi::Env env, RingbufState *s);
RingbufState *UnwrapRingbuf(const Napi::Value &v);

bpf_map *FindMap(Napi::Env env, ObjectState *s, const std::string &name, const char *op);

void InitLibbpfLog();

// Exports, in the order of src/native/binding.ts (all main thread).
Napi::Value ObjectOpen(const Napi::CallbackInfo &info);
Napi::Value ObjectLoad(const Napi::CallbackInfo &info);
Napi::Value ProgramList(const Napi::CallbackInfo &info);
Napi::Value ProgramAttach(const Napi::CallbackInfo &info);
Napi::Value ProgramAttachCgroup(const Napi::CallbackInfo &info);
Napi::Value LinkDestroy(const Napi::CallbackInfo &info);
Napi::Value MapUpdate(const Napi::CallbackInfo &info);
Napi::Value MapLookup(const Napi::CallbackInfo &info);
Napi::Value MapDelete(const Napi::CallbackInfo &info);
Napi::Value MapLookupPercpu(const Napi::CallbackInfo &info);
Napi::Value RingbufStart(const Napi::CallbackInfo &info);
Napi::Value RingbufStats(const Napi::CallbackInfo &info);
Napi::Value LinksDestroy(const Napi::CallbackInfo &info);
Napi::Value RingbufAck(const Napi::CallbackInfo &info);
Napi::Value RingbufFlush(const Napi::CallbackInfo &info);
Napi::Value RingbufStop(const Napi::CallbackInfo &info);
Napi::Value ObjectClose(const Napi::CallbackInfo &info);
Napi::Value LibbpfVersion(const Napi::CallbackInfo &info);
Napi::Value ClockOffsets(const Napi::CallbackInfo &info);
Napi::Value KernelBtfHas(const Napi::CallbackInfo &info);

}  // namespace oa
