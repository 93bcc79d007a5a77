// Ring-buffer drain: one poller thread per ring copies every record of a poll round into one
// batch (raw records back to back, each starting with struct oa_hdr whose .size frames it) and
// hands it to JS through a bounded thread-safe function.
// Backpressure: a batch counts as outstanding from hand-off until JS acknowledges it with
// ringbufAck (after processing it, which JS may spread over several event-loop turns). While
// kQueuedBytesMax bytes or kQueuedBatchesMax batches are outstanding the poller stops consuming,
// so the kernel ring fills and the sensors see reserve failures (counted per op, and matched
// records diverted to the priority ring) instead of this thread dropping whole batches. Memory
// held is bounded by kQueuedBytesMax + kBatchCap. A hand-off that still fails (queue closing)
// counts its records in lostHandoff.
#include "addon.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace oa {

static const size_t kQueueMax = 64;          // batches waiting for the JS thread
static const size_t kBatchCap = 8u << 20;    // bytes per batch before a round is cut short
static const int kPollMs = 50;               // drain period for BPF_RB_NO_WAKEUP records
static const size_t kQueuedBytesMax = 32u << 20;  // bytes handed to JS and not yet acknowledged
static const uint64_t kQueuedBatchesMax = kQueueMax / 2;
static const int kBackoffMs = 5;             // re-check period while the JS side is behind

struct Batch {
  std::vector<uint8_t> bytes;
  uint64_t records = 0;
};

struct RingbufState {
  ring_buffer *rb = nullptr;
  std::thread thread;
  std::atomic<bool> stop{false};
  bool stopped = false;
  Napi::ThreadSafeFunction tsfn;
  Batch *cur = nullptr;
  std::atomic<uint64_t> delivered{0}, batches{0}, lost{0};
  // Bytes and batches handed to JS and not yet acknowledged; stalls counts poll rounds skipped
  // because either bound was reached.
  std::atomic<uint64_t> queued{0}, queuedBatches{0}, stalls{0};
  // Read-only views of the ring's consumer and producer position pages (availBytes).
  void *cons_page = nullptr, *prod_page = nullptr;
  size_t page = 0;
  uint64_t size = 0;
};

// Poller thread: libbpf sample callback, appends one record.
static int OnSample(void *ctx, void *data, size_t len) {
  RingbufState *s = static_cast<RingbufState *>(ctx);
  const uint8_t *p = static_cast<const uint8_t *>(data);
  s->cur->bytes.insert(s->cur->bytes.end(), p, p + len);
  s->cur->records++;
  return s->cur->bytes.size() >= kBatchCap ? -1 : 0;  // -1 ends this round after this record
}

struct Handoff {
  RingbufState *s;
  Batch *b;
};

// JS thread: turns a batch into a Buffer (no copy; freed with the Buffer) and calls onBatch.
// The batch stays outstanding until JS calls ringbufAck(rb, buf.length).
static void CallJs(Napi::Env env, Napi::Function cb, Handoff *h) {
  RingbufState *s = h->s;
  Batch *b = h->b;
  size_t n = b->bytes.size();
  delete h;
  if (env == nullptr || cb == nullptr) {
    delete b;
    s->queued -= n;
    s->queuedBatches--;
    return;
  }
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(
      env, b->bytes.data(), b->bytes.size(), [](Napi::Env, uint8_t *, Batch *bb) { delete bb; }, b);
  cb.Call({buf});
}

// Poller thread body. ring_buffer__poll returns early on a forced wakeup; records submitted
// with BPF_RB_NO_WAKEUP are picked up by the consume after the timeout.
static void PollLoop(RingbufState *s) {
  while (!s->stop.load(std::memory_order_relaxed)) {
    if (s->queued.load() >= kQueuedBytesMax || s->queuedBatches.load() >= kQueuedBatchesMax) {
      s->stalls++;
      std::this_thread::sleep_for(std::chrono::milliseconds(kBackoffMs));
      continue;
    }
    s->cur = new Batch();
    ring_buffer__poll(s->rb, kPollMs);
    ring_buffer__consume(s->rb);
    if (s->cur->records == 0) {
      delete s->cur;
      continue;
    }
    uint64_t n = s->cur->records;
    size_t bytes = s->cur->bytes.size();
    s->queued += bytes;
    s->queuedBatches++;
    Handoff *h = new Handoff{s, s->cur};
    napi_status st = s->tsfn.NonBlockingCall(h, CallJs);
    if (st == napi_ok) {
      s->delivered += n;
      s->batches++;
    } else {
      s->queued -= bytes;
      s->queuedBatches--;
      s->lost += n;
      delete h;
      delete s->cur;
    }
  }
  s->cur = nullptr;
}

// ringbufStart(h, mapName, onBatch) -> RingbufHandle
Napi::Value RingbufStart(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const char *op = "ring_buffer__new";
  ObjectState *o = LiveObject(info[0]);
  bpf_map *m = FindMap(env, o, info[1].As<Napi::String>(), op);
  Napi::Function cb = info[2].As<Napi::Function>();
  int fd = bpf_map__fd(m);
  if (fd < 0) ThrowErrno(env, op, EBADF, "object not loaded");
  RingbufState *s = new RingbufState();
  s->rb = ring_buffer__new(fd, OnSample, s, nullptr);
  if (!s->rb) {
    int err = errno;
    delete s;
    ThrowErrno(env, op, err, std::string("map '") + bpf_map__name(m) + "'");
  }
  s->page = sysconf(_SC_PAGESIZE);
  s->size = bpf_map__max_entries(m);
  s->cons_page = mmap(nullptr, s->page, PROT_READ, MAP_SHARED, fd, 0);
  s->prod_page = mmap(nullptr, s->page, PROT_READ, MAP_SHARED, fd, s->page);
  if (s->cons_page == MAP_FAILED) s->cons_page = nullptr;
  if (s->prod_page == MAP_FAILED) s->prod_page = nullptr;
  s->tsfn = Napi::ThreadSafeFunction::New(env, cb, "otelarmor-ringbuf", kQueueMax, 1);
  s->thread = std::thread(PollLoop, s);
  return WrapRingbuf(env, s);
}

// ringbufStats(rb) -> {delivered, batches, lostHandoff, stalls, queuedBytes, availBytes, sizeBytes}
Napi::Value RingbufStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  RingbufState *s = UnwrapRingbuf(info[0]);
  uint64_t avail = 0;
  if (s->cons_page && s->prod_page) {
    uint64_t c = __atomic_load_n(static_cast<uint64_t *>(s->cons_page), __ATOMIC_ACQUIRE);
    uint64_t p = __atomic_load_n(static_cast<uint64_t *>(s->prod_page), __ATOMIC_ACQUIRE);
    avail = p - c;
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("delivered", Napi::Number::New(env, double(s->delivered.load())));
  o.Set("batches", Napi::Number::New(env, double(s->batches.load())));
  o.Set("lostHandoff", Napi::Number::New(env, double(s->lost.load())));
  o.Set("stalls", Napi::Number::New(env, double(s->stalls.load())));
  o.Set("queuedBytes", Napi::Number::New(env, double(s->queued.load())));
  o.Set("availBytes", Napi::Number::New(env, double(avail)));
  o.Set("sizeBytes", Napi::Number::New(env, double(s->size)));
  return o;
}

// ringbufAck(rb, bytes): JS finished a batch of `bytes` bytes; it no longer counts against the
// backpressure bounds. Calls after ringbufStop are harmless.
Napi::Value RingbufAck(const Napi::CallbackInfo &info) {
  RingbufState *s = UnwrapRingbuf(info[0]);
  uint64_t n = static_cast<uint64_t>(info[1].As<Napi::Number>().DoubleValue());
  uint64_t q = s->queued.load();
  s->queued -= n < q ? n : q;
  if (s->queuedBatches.load() > 0) s->queuedBatches--;
  return info.Env().Undefined();
}

// ringbufStop(rb): joins the poller (returns within one poll period), then releases the
// thread-safe function; batches already queued are still delivered. Idempotent.
Napi::Value RingbufStop(const Napi::CallbackInfo &info) {
  RingbufState *s = UnwrapRingbuf(info[0]);
  if (s->stopped) return info.Env().Undefined();
  s->stopped = true;
  s->stop = true;
  if (s->thread.joinable()) s->thread.join();
  s->tsfn.Release();
  ring_buffer__free(s->rb);
  s->rb = nullptr;
  if (s->cons_page) munmap(s->cons_page, s->page);
  if (s->prod_page) munmap(s->prod_page, s->page);
  s->cons_page = s->prod_page = nullptr;
  return info.Env().Undefined();
}

}  // namespace oa
