// Module entry: registers the exports in the order src/native/binding.ts declares them.
#include "addon.h"

namespace oa {

Napi::Object ModuleInit(Napi::Env env, Napi::Object exports) {
  InitLibbpfLog();
  struct {
    const char *name;
    Napi::Value (*fn)(const Napi::CallbackInfo &);
  } fns[] = {
      {"objectOpen", ObjectOpen},           {"objectLoad", ObjectLoad},
      {"programList", ProgramList},         {"programAttach", ProgramAttach},
      {"programAttachCgroup", ProgramAttachCgroup}, {"linkDestroy", LinkDestroy},
      {"linksDestroy", LinksDestroy},
      {"mapUpdate", MapUpdate},             {"mapLookup", MapLookup},
      {"mapDelete", MapDelete},             {"mapLookupPercpu", MapLookupPercpu},
      {"ringbufStart", RingbufStart},       {"ringbufStats", RingbufStats},
      {"ringbufAck", RingbufAck},           {"ringbufStop", RingbufStop},
      {"ringbufFlush", RingbufFlush},       {"objectClose", ObjectClose},
      {"libbpfVersion", LibbpfVersion},     {"clockOffsets", ClockOffsets},
      {"kernelBtfHas", KernelBtfHas},
  };
  for (auto &f : fns) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
  return exports;
}

}  // namespace oa

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return oa::ModuleInit(env, exports); }

NODE_API_MODULE(otelarmor, Init)
