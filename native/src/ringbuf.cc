// Ring-buffer drain: one poller thread per drain owns a main ring (oa_events) and optionally a
// priority ring (oa_alerts). Each round copies the records of each ring into one batch per ring
// (raw records back to back, each starting with struct oa_hdr whose .size frames it) and hands
// them to JS through a bounded thread-safe function, the priority batch first.
// Ordering: a round consumes the main ring first and the priority ring second, so every
// priority record submitted before a main record of this round is in this round's (or an
// earlier) priority batch; JS processes priority batches first, hence an exec (priority lane)
// is always seen before the file records of the process that follow it.
// Backpressure: a batch counts as outstanding from hand-off until JS acknowledges it with
// ringbufAck (after processing it, which JS may spread over several event-loop turns). While
// kQueuedBytesMax bytes or kQueuedBatchesMax batches are outstanding the poller stops consuming
// the main ring (the priority ring is still drained), so the kernel ring fills and the sensors
// see reserve failures, counted per op, instead of this thread dropping batches. Memory held is
// bounded by kQueuedBytesMax + 2 * kBatchCap. A hand-off that still fails (queue closing)
// counts its records in lostHandoff.
// Flush: ringbufFlush returns a sequence number and wakes the poller through an eventfd; each
// round that consumes the main ring publishes, after its hand-offs, the highest sequence number
// requested before it started consuming. Once flushedSeq >= n, every record committed before
// flush request n is in a batch already handed to JS (or counted in lostHandoff).
#include "addon.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace oa {

static const size_t kQueueMax = 64;          // batches waiting for the JS thread
static const size_t kBatchCap = 8u << 20;    // bytes per batch before a round is cut short
static const int kPollMs = 50;               // drain period for BPF_RB_NO_WAKEUP records
static const size_t kQueuedBytesMax = 32u << 20;  // bytes handed to JS and not yet acknowledged
static const uint64_t kQueuedBatchesMax = kQueueMax / 2;
static const int kStallWaitMs = 5;           // while behind: longest wait for an ack (priority ring drained after each)

struct Batch {
  std::vector<uint8_t> bytes;
  uint64_t records = 0;
  bool prio = false;
};

struct Ring {
  ring_buffer *rb = nullptr;
  Batch *cur = nullptr;
  // Read-only views of the ring's consumer and producer position pages (availBytes).
  void *cons_page = nullptr, *prod_page = nullptr;
  uint64_t size = 0;
  std::atomic<uint64_t> delivered{0};
};

struct RingbufState {
  Ring main, prio;
  int epfd = -1;
  size_t page = 0;
  std::thread thread;
  std::atomic<bool> stop{false};
  bool stopped = false;
  Napi::ThreadSafeFunction tsfn;
  std::atomic<uint64_t> batches{0}, lost{0};
  // Bytes and batches handed to JS and not yet acknowledged; stalls counts rounds in which the
  // main ring was left unread because either bound was reached.
  std::atomic<uint64_t> queued{0}, queuedBatches{0}, stalls{0};
  // Signalled by ringbufAck: a poller that is behind waits here instead of in epoll_wait (the
  // ring fds stay readable while unread data is in them, so epoll_wait would return at once).
  std::mutex ackMu;
  std::condition_variable ackCv;
  int kickfd = -1;  // eventfd in the epoll set: flush requests and stop end the wait at once
  std::atomic<uint64_t> flushReq{0}, flushDone{0};
};

static bool Behind(const RingbufState *s) {
  return s->queued.load() >= kQueuedBytesMax || s->queuedBatches.load() >= kQueuedBatchesMax;
}

// Poller thread: libbpf sample callback, appends one record to its ring's batch.
static int OnSample(void *ctx, void *data, size_t len) {
  Ring *r = static_cast<Ring *>(ctx);
  const uint8_t *p = static_cast<const uint8_t *>(data);
  r->cur->bytes.insert(r->cur->bytes.end(), p, p + len);
  r->cur->records++;
  return r->cur->bytes.size() >= kBatchCap ? -1 : 0;  // -1 ends this round after this record
}

struct Handoff {
  RingbufState *s;
  Batch *b;
};

// JS thread: turns a batch into a Buffer (no copy; freed with the Buffer) and calls
// onBatch(buffer, priority). The batch stays outstanding until JS calls ringbufAck.
static void CallJs(Napi::Env env, Napi::Function cb, Handoff *h) {
  RingbufState *s = h->s;
  Batch *b = h->b;
  size_t n = b->bytes.size();
  bool prio = b->prio;
  delete h;
  if (env == nullptr || cb == nullptr) {
    delete b;
    s->queued -= n;
    s->queuedBatches--;
    return;
  }
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(
      env, b->bytes.data(), b->bytes.size(), [](Napi::Env, uint8_t *, Batch *bb) { delete bb; }, b);
  cb.Call({buf, Napi::Boolean::New(env, prio)});
}

// Poller thread: consume one ring into a fresh batch; returns it (nullptr when empty).
static Batch *ConsumeRing(Ring &r, bool prio) {
  r.cur = new Batch();
  r.cur->prio = prio;
  ring_buffer__consume(r.rb);
  Batch *b = r.cur;
  r.cur = nullptr;
  if (b->records == 0) {
    delete b;
    return nullptr;
  }
  return b;
}

static void Handover(RingbufState *s, Ring &r, Batch *b) {
  if (!b) return;
  uint64_t n = b->records;
  size_t bytes = b->bytes.size();
  s->queued += bytes;
  s->queuedBatches++;
  Handoff *h = new Handoff{s, b};
  if (s->tsfn.NonBlockingCall(h, CallJs) == napi_ok) {
    r.delivered += n;
    s->batches++;
  } else {
    s->queued -= bytes;
    s->queuedBatches--;
    s->lost += n;
    delete h;
    delete b;
  }
}

// Poller thread body: waits on both rings' epoll fds (a forced or adaptive wakeup ends the
// wait early; BPF_RB_NO_WAKEUP records are picked up after the timeout), then drains. While JS
// is behind, it waits for an ack (at most kStallWaitMs) and drains only the priority ring.
static void PollLoop(RingbufState *s) {
  epoll_event ev[3];
  while (!s->stop.load(std::memory_order_relaxed)) {
    if (Behind(s)) {
      s->stalls++;
      {
        std::unique_lock<std::mutex> lk(s->ackMu);
        s->ackCv.wait_for(lk, std::chrono::milliseconds(kStallWaitMs),
                          [s] { return s->stop.load() || !Behind(s); });
      }
      Handover(s, s->prio, s->prio.rb ? ConsumeRing(s->prio, true) : nullptr);
      continue;
    }
    epoll_wait(s->epfd, ev, 3, kPollMs);
    uint64_t kicks;
    if (read(s->kickfd, &kicks, sizeof kicks) < 0) kicks = 0;  // EAGAIN: no request
    uint64_t want = s->flushReq.load();
    bool consumeMain = !Behind(s);
    Batch *m = consumeMain ? ConsumeRing(s->main, false) : nullptr;
    Batch *p = s->prio.rb ? ConsumeRing(s->prio, true) : nullptr;
    Handover(s, s->prio, p);
    Handover(s, s->main, m);
    if (consumeMain && s->flushDone.load() < want) s->flushDone.store(want);
  }
}

static void MapPositions(RingbufState *s, Ring &r, int fd) {
  r.cons_page = mmap(nullptr, s->page, PROT_READ, MAP_SHARED, fd, 0);
  r.prod_page = mmap(nullptr, s->page, PROT_READ, MAP_SHARED, fd, s->page);
  if (r.cons_page == MAP_FAILED) r.cons_page = nullptr;
  if (r.prod_page == MAP_FAILED) r.prod_page = nullptr;
}

static void FreeRing(RingbufState *s, Ring &r) {
  if (r.rb) ring_buffer__free(r.rb);
  r.rb = nullptr;
  if (r.cons_page) munmap(r.cons_page, s->page);
  if (r.prod_page) munmap(r.prod_page, s->page);
  r.cons_page = r.prod_page = nullptr;
}

static void OpenRing(Napi::Env env, RingbufState *s, Ring &r, ObjectState *o, const std::string &name) {
  const char *op = "ring_buffer__new";
  bpf_map *m = FindMap(env, o, name, op);
  int fd = bpf_map__fd(m);
  if (fd < 0) ThrowErrno(env, op, EBADF, "object not loaded");
  r.rb = ring_buffer__new(fd, OnSample, &r, nullptr);
  if (!r.rb) ThrowErrno(env, op, errno, "map '" + name + "'");
  r.size = bpf_map__max_entries(m);
  MapPositions(s, r, fd);
  epoll_event ev = {};
  ev.events = EPOLLIN;
  if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(r.rb), &ev) < 0)
    ThrowErrno(env, "epoll_ctl", errno, "map '" + name + "'");
}

// ringbufStart(h, mainMap, prioMap, onBatch) -> RingbufHandle; prioMap "" = main ring only.
Napi::Value RingbufStart(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  ObjectState *o = LiveObject(info[0]);
  std::string mainName = info[1].As<Napi::String>();
  std::string prioName = info[2].As<Napi::String>();
  Napi::Function cb = info[3].As<Napi::Function>();
  RingbufState *s = new RingbufState();
  s->page = sysconf(_SC_PAGESIZE);
  s->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (s->epfd < 0) {
    int err = errno;
    delete s;
    ThrowErrno(env, "epoll_create1", err, "ring-buffer drain");
  }
  s->kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event kev = {};
  kev.events = EPOLLIN;
  if (s->kickfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->kickfd, &kev) < 0) {
    int err = errno;
    if (s->kickfd >= 0) close(s->kickfd);
    close(s->epfd);
    delete s;
    ThrowErrno(env, "eventfd", err, "ring-buffer drain");
  }
  try {
    OpenRing(env, s, s->main, o, mainName);
    if (!prioName.empty()) OpenRing(env, s, s->prio, o, prioName);
  } catch (...) {
    FreeRing(s, s->main);
    FreeRing(s, s->prio);
    close(s->kickfd);
    close(s->epfd);
    delete s;
    throw;
  }
  s->tsfn = Napi::ThreadSafeFunction::New(env, cb, "otelarmor-ringbuf", kQueueMax, 1);
  s->thread = std::thread(PollLoop, s);
  return WrapRingbuf(env, s);
}

static uint64_t Avail(const Ring &r) {
  if (!r.cons_page || !r.prod_page) return 0;
  uint64_t c = __atomic_load_n(static_cast<uint64_t *>(r.cons_page), __ATOMIC_ACQUIRE);
  uint64_t p = __atomic_load_n(static_cast<uint64_t *>(r.prod_page), __ATOMIC_ACQUIRE);
  return p - c;
}

// ringbufStats(rb) -> {delivered, deliveredPrio, batches, lostHandoff, stalls, queuedBytes,
//                      availBytes, sizeBytes, prioAvailBytes, prioSizeBytes, flushedSeq}
Napi::Value RingbufStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  RingbufState *s = UnwrapRingbuf(info[0]);
  Napi::Object o = Napi::Object::New(env);
  o.Set("delivered", Napi::Number::New(env, double(s->main.delivered.load() + s->prio.delivered.load())));
  o.Set("deliveredPrio", Napi::Number::New(env, double(s->prio.delivered.load())));
  o.Set("batches", Napi::Number::New(env, double(s->batches.load())));
  o.Set("lostHandoff", Napi::Number::New(env, double(s->lost.load())));
  o.Set("stalls", Napi::Number::New(env, double(s->stalls.load())));
  o.Set("queuedBytes", Napi::Number::New(env, double(s->queued.load())));
  o.Set("availBytes", Napi::Number::New(env, double(Avail(s->main))));
  o.Set("sizeBytes", Napi::Number::New(env, double(s->main.size)));
  o.Set("prioAvailBytes", Napi::Number::New(env, double(Avail(s->prio))));
  o.Set("prioSizeBytes", Napi::Number::New(env, double(s->prio.size)));
  o.Set("flushedSeq", Napi::Number::New(env, double(s->flushDone.load())));
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
  { std::lock_guard<std::mutex> lk(s->ackMu); }  // a poller between its check and its wait sees this
  s->ackCv.notify_one();
  return info.Env().Undefined();
}

static void Kick(RingbufState *s) {
  uint64_t one = 1;
  if (s->kickfd >= 0 && write(s->kickfd, &one, sizeof one) < 0) {
    // EAGAIN only when the counter is saturated: a wakeup is pending anyway.
  }
}

// ringbufFlush(rb) -> n: wakes the poller for a round; see "Flush" above (0 after ringbufStop).
Napi::Value RingbufFlush(const Napi::CallbackInfo &info) {
  RingbufState *s = UnwrapRingbuf(info[0]);
  if (s->stopped) return Napi::Number::New(info.Env(), 0);
  uint64_t n = ++s->flushReq;
  Kick(s);
  return Napi::Number::New(info.Env(), double(n));
}

// ringbufStop(rb): wakes and joins the poller, then releases the
// thread-safe function; batches already queued are still delivered. Idempotent.
Napi::Value RingbufStop(const Napi::CallbackInfo &info) {
  RingbufState *s = UnwrapRingbuf(info[0]);
  if (s->stopped) return info.Env().Undefined();
  s->stopped = true;
  s->stop = true;
  { std::lock_guard<std::mutex> lk(s->ackMu); }
  s->ackCv.notify_one();
  Kick(s);
  if (s->thread.joinable()) s->thread.join();
  s->tsfn.Release();
  FreeRing(s, s->main);
  FreeRing(s, s->prio);
  if (s->epfd >= 0) close(s->epfd);
  if (s->kickfd >= 0) close(s->kickfd);
  s->epfd = s->kickfd = -1;
  return info.Env().Undefined();
}

}  // namespace oa
