// Direct protobuf encoder for ExportLogsServiceRequest (opentelemetry-proto logs/v1, field
// numbers in otel-and-tools.md §5.1/§7), from AgentEvents, one pass per record: string length
// prefixes are sized for ASCII and corrected when UTF-8 needs more (writeStr), records go
// straight into the request's own buffer. Output is byte-identical to the OTel SDK's
// ProtobufLogsSerializer over toLogRecord() (test/unit/otlp/encode.test.ts); it exists because
// that path costs ~50 µs/record here (attribute objects + two-pass serialisation).
//
// Wire layout: Request{1: ResourceLogs{1: Resource{1: KeyValue*, 2: 0}, 2: ScopeLogs{1: Scope{1:
// name, 2: version}, 2: LogRecord*}}}; LogRecord{1: fixed64 time, 2: severity, 3: text, 5: body,
// 6: KeyValue*, 7: 0, 11: fixed64 observed, 12: event_name}; AnyValue{1: string, 2: bool,
// 3: int64, 4: double, 5: ArrayValue{1: AnyValue*}}.
import type { AgentEvent } from '../events/types';
import { eventNameOf, forEachAttribute, summaryParts, type AttrValue, type RecordOptions } from './record';
import { severityOf } from './severity';

type CachedValue = string | number | boolean;
/** Per attribute key: the encoded KeyValue of each value seen (arena slices), the last one used. */
interface Slot {
  readonly key: string;
  /** Values unique per event or per file (UNCACHED): always encoded. */
  readonly uncached: boolean;
  vals: Map<CachedValue, Buffer>;
  lastV: CachedValue | undefined;
  lastB: Buffer | undefined;
  /** MEMO_LAST keys: the last string value and its KeyValue bytes (mb[0 .. ml)). */
  readonly memo: boolean;
  mv: string | undefined;
  mb: Buffer | undefined;
  ml: number;
}
/** Values per key kept before that key's cache is emptied. */
const VALUES_PER_KEY = 4096;
/** Bytes of one arena; cached KeyValues live in arenas. */
const ARENA_BYTES = 1 << 20;
/** Arena bytes handed out before every cache is dropped (bounds the memory cached values hold). */
const ARENA_BUDGET = 32 << 20;
/** Attributes whose values differ for (nearly) every event, or per file: never cached. */
const UNCACHED = new Set(['Timestamp', 'UpdatedTime', 'Resource', 'file.path', 'process.command_line']);
/** Uncached keys whose value often repeats from one event to the next (a process re-reading a file). */
const MEMO_LAST = new Set(['Resource', 'file.path', 'process.command_line']);
/** Longest KeyValue / body kept as "the last one" (bytes). */
const MEMO_BYTES = 1024;

/** b[0 .. n) = src[from .. from + n) (short copies: a loop costs less than a view per copy). */
function copyIn(b: Buffer, at: number, src: Buffer, from: number, n: number): void {
  for (let i = 0; i < n; i++) b[at + i] = src[from + i]!;
}

const vlen = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);

/** Bytes of an int64 varint (negative numbers take 10). */
function vlen64(n: number): number {
  if (n < 0) return 10;
  if (n <= 0xffffffff) return vlen(n);
  let k = 1;
  let v = n;
  while (v >= 128) { v = Math.floor(v / 128); k++; }
  return k;
}

function isInt64(n: number): boolean {
  return Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 63;
}

/**
 * UTF-8 byte length; JS loop for short strings (a native call per string costs more than the
 * loop at these sizes: every record body has a non-ASCII "→"), Buffer.byteLength otherwise.
 * A lone surrogate counts 3 bytes, as the encoder writes it as U+FFFD.
 */
function utf8Len(s: string): number {
  const n = s.length;
  if (n > 256) return Buffer.byteLength(s, 'utf8');
  let L = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) L += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { L += 2; i++; }
    else L += 2;
  }
  return L;
}

/** Encoded size of an AnyValue holding a scalar or a string array. */
function anySize(v: AttrValue): number {
  switch (typeof v) {
    case 'string': { const L = utf8Len(v); return 1 + vlen(L) + L; }
    case 'number': return isInt64(v) ? 1 + vlen64(v) : 9;
    case 'boolean': return 2;
    default: {
      let inner = 0;
      for (const s of v) { const a = anySize(s); inner += 1 + vlen(a) + a; }
      return 1 + vlen(inner) + inner;
    }
  }
}

export class LogsRequestEncoder {
  private buf: Buffer = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private readonly keyCache = new Map<string, Buffer>();
  private readonly resourceBytes: Buffer;
  private readonly scopeBytes: Buffer;
  /**
   * Scalar attributes are cached as their encoded KeyValue bytes, per key and value: most values
   * repeat from event to event (cluster, node, pod, container, image, process ids and paths,
   * Data), so a record's attributes become copies. The cached bytes are slices of arenas, where
   * values first seen together sit back to back; consecutive attributes whose cached slices are
   * adjacent are copied as one range (for a run of events from one process, nearly the whole
   * attribute list is one copy). Long strings, arrays and UNCACHED keys are encoded each time.
   */
  private readonly slots = new Map<string, Slot>();
  /** The slot used at each attribute position of the last record (the key order is fixed). */
  private readonly slotAt: (Slot | undefined)[] = [];
  private attrAt = 0;
  private arena = Buffer.allocUnsafe(ARENA_BYTES);
  private arenaPos = 0;
  private arenaUsed = 0;
  /** Arena range [pendStart, pendEnd) still to be copied to the output. */
  private pendArena: ArrayBufferLike = this.arena.buffer;
  private pendStart = 0;
  private pendEnd = 0;
  /** The cached value the pending range is exactly, if it is one. */
  private pendOne: Buffer | undefined;
  /**
   * Views of merged ranges, per arena and start offset: the same runs recur record after record,
   * so their views are made once (a view per copy would be most of what a record allocates).
   */
  private readonly runViews = new WeakMap<ArrayBufferLike, Map<number, Buffer[]>>();

  private readonly emitAttr = (k: string, v: AttrValue): void => {
    const i = this.attrAt++;
    let slot = this.slotAt[i];
    if (slot === undefined || slot.key !== k) slot = this.slotAt[i] = this.slotOf(k);
    if (slot.uncached || typeof v === 'object' || (typeof v === 'string' && v.length > 256)) {
      this.flushPending();
      if (slot.memo && typeof v === 'string') {
        if (v === slot.mv) {
          this.ensure(slot.ml);
          copyIn(this.buf, this.pos, slot.mb!, 0, slot.ml);
          this.pos += slot.ml;
          return;
        }
        const start = this.pos;
        this.writeKeyValue(0x32, k, v);
        const n = this.pos - start;
        if (n <= MEMO_BYTES) {
          slot.mb ??= Buffer.allocUnsafe(MEMO_BYTES);
          copyIn(slot.mb, 0, this.buf, start, n);
          slot.ml = n;
          slot.mv = v;
        } else slot.mv = undefined;
        return;
      }
      this.writeKeyValue(0x32, k, v);
      return;
    }
    let b: Buffer | undefined;
    if (slot.lastV === v && slot.lastB !== undefined) b = slot.lastB;
    else {
      b = slot.vals.get(v);
      if (b === undefined) {
        this.flushPending();
        const start = this.pos;
        this.writeKeyValue(0x32, k, v);
        b = this.keep(slot, v, start);
        slot.lastV = v;
        slot.lastB = b;
        // Already in the output: what follows it in the arena may extend from its end.
        this.pendArena = b.buffer;
        this.pendStart = this.pendEnd = b.byteOffset + b.length;
        return;
      }
      slot.lastV = v;
      slot.lastB = b;
    }
    if (b.buffer === this.pendArena && b.byteOffset === this.pendEnd) {
      this.pendOne = this.pendStart === this.pendEnd ? b : undefined;
      this.pendEnd += b.length;
      return;
    }
    this.flushPending();
    this.pendArena = b.buffer;
    this.pendStart = b.byteOffset;
    this.pendEnd = b.byteOffset + b.length;
    this.pendOne = b;
  };

  private slotOf(k: string): Slot {
    let s = this.slots.get(k);
    if (s === undefined) {
      s = { key: k, uncached: UNCACHED.has(k), vals: new Map(), lastV: undefined, lastB: undefined, memo: MEMO_LAST.has(k), mv: undefined, mb: undefined, ml: 0 };
      this.slots.set(k, s);
    }
    return s;
  }

  /** Copy output bytes [start, pos) into the arena and cache them as `v`'s KeyValue. */
  private keep(slot: Slot, v: CachedValue, start: number): Buffer {
    const n = this.pos - start;
    if (this.arenaPos + n > ARENA_BYTES) {
      this.arenaUsed += this.arenaPos;
      if (this.arenaUsed > ARENA_BUDGET) {
        for (const s of this.slots.values()) { s.vals = new Map(); s.lastV = undefined; s.lastB = undefined; }
        this.arenaUsed = 0;
      }
      this.arena = Buffer.allocUnsafe(ARENA_BYTES);
      this.arenaPos = 0;
    }
    this.buf.copy(this.arena, this.arenaPos, start, this.pos);
    const b = this.arena.subarray(this.arenaPos, this.arenaPos + n);
    this.arenaPos += n;
    if (slot.vals.size >= VALUES_PER_KEY) slot.vals = new Map();
    slot.vals.set(v, b);
    return b;
  }

  private flushPending(): void {
    const n = this.pendEnd - this.pendStart;
    if (n === 0) return;
    this.ensure(n);
    let v = this.pendOne;
    if (v === undefined) {
      let views = this.runViews.get(this.pendArena);
      if (views === undefined) this.runViews.set(this.pendArena, (views = new Map()));
      // Runs of a few lengths start at one offset (records that share a prefix of values).
      const at = views.get(this.pendStart);
      if (at !== undefined) for (let i = 0; i < at.length; i++) if (at[i]!.length === n) { v = at[i]; break; }
      if (v === undefined) {
        v = Buffer.from(this.pendArena, this.pendStart, n);
        if (at === undefined) {
          if (views.size >= VALUES_PER_KEY) views.clear();
          views.set(this.pendStart, [v]);
        } else if (at.length < 8) at.push(v);
        else at[0] = v;
      }
    }
    this.buf.set(v, this.pos);
    this.pos += n;
    this.pendOne = undefined;
    this.pendStart = this.pendEnd;
  }

  constructor(resourceAttributes: Record<string, string>, scope: { name: string; version: string }, private readonly opts: RecordOptions) {
    // Resource{1: KeyValue*, 2: dropped=0} and Scope{1: name, 2: version}, with their tags.
    this.pos = 0;
    const start = this.pos;
    for (const [k, v] of Object.entries(resourceAttributes)) this.writeKeyValue(0x0a, k, v);
    this.u8(0x10); this.u8(0);
    const res = Buffer.from(this.buf.subarray(start, this.pos));
    this.pos = 0;
    this.writeStringField(0x0a, scope.name);
    if (scope.version) this.writeStringField(0x12, scope.version);
    const sc = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    this.resourceBytes = Buffer.concat([Buffer.from([0x0a]), varintBuf(res.length), res]);
    this.scopeBytes = Buffer.concat([Buffer.from([0x0a]), varintBuf(sc.length), sc]);
  }

  /**
   * Buffers of requests the collector has fully read (release()), reused by encode(): a fresh
   * multi-MiB buffer per request counts as external memory and makes V8 run full collections.
   */
  private spares: Buffer[] = [];

  /** `req` (from encode()) was answered with success: its memory may hold a later request. */
  release(req: Buffer): void {
    if (this.spares.length < 4 && req.buffer.byteLength >= 64 * 1024) this.spares.push(Buffer.from(req.buffer)); // not a pool slab
  }

  /** Mean encoded record size so far (sizes each request's buffer). */
  private recordBytes = 2048;

  /**
   * One ExportLogsServiceRequest holding all events: a fresh Buffer the caller may keep. Records
   * are written into a new buffer sized from the mean record so far, after room for the request
   * header, which goes in front of them at the end: nothing is copied afterwards.
   */
  encode(events: readonly AgentEvent[]): Buffer {
    const headMax = 12 + this.resourceBytes.length + this.scopeBytes.length;
    const size = headMax + Math.max(1024, Math.ceil(events.length * this.recordBytes * 1.125));
    let spare: Buffer | undefined;
    while ((spare = this.spares.pop()) !== undefined && spare.length < size);
    this.buf = spare ?? Buffer.allocUnsafe(size);
    this.pos = headMax;
    for (const ev of events) this.writeRecord(ev);
    const recordsLen = this.pos - headMax;
    if (events.length > 0) this.recordBytes = Math.max(64, Math.ceil(recordsLen / events.length));
    const scopeLogsLen = this.scopeBytes.length + recordsLen;
    const resourceLogsLen = this.resourceBytes.length + 1 + vlen(scopeLogsLen) + scopeLogsLen;
    const headLen = 1 + vlen(resourceLogsLen) + this.resourceBytes.length + 1 + vlen(scopeLogsLen) + this.scopeBytes.length;
    const out = this.buf;
    const start = headMax - headLen;
    let p = start;
    out[p++] = 0x0a; p = putVarint(out, p, resourceLogsLen);
    p += this.resourceBytes.copy(out, p);
    out[p++] = 0x12; p = putVarint(out, p, scopeLogsLen);
    this.scopeBytes.copy(out, p);
    return out.subarray(start, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  private u8(b: number): void { this.ensure(1); this.buf[this.pos++] = b; }

  private varint(v: number): void { this.ensure(10); this.pos = putVarint(this.buf, this.pos, v); }

  private writeStringField(tag: number, s: string): void { this.writeStr(tag, null, false, s); }

  /**
   * A string behind its length prefixes, in one pass over it: the prefixes are sized for an
   * all-ASCII string (UTF-8 length = s.length), the bytes written after them, and in the rare
   * case that the real length needs longer varints the bytes move up. Layouts:
   *   nested=false:          tag len(s) s                                  (a string field)
   *   nested, kp=null:       tag len(A) 0x0a len(s) s                      (an AnyValue field)
   *   nested, kp=key prefix: tag len(KV) kp 0x12 len(A) 0x0a len(s) s      (a KeyValue)
   */
  private writeStr(tag: number, kp: Buffer | null, nested: boolean, s: string): void {
    const n = s.length;
    const kpl = kp === null ? 0 : kp.length;
    if (n > 256) {
      const L = Buffer.byteLength(s, 'utf8');
      this.ensure(24 + kpl + L);
      const p = this.putHeader(tag, kp, nested, L, this.pos);
      this.pos = p + this.buf.write(s, p, L, 'utf8');
      return;
    }
    this.ensure(24 + kpl + 3 * n);
    const b = this.buf;
    const h0 = headerLen(kpl, nested, n);
    const at = this.pos + h0;
    let end = putUtf8(b, at, s);
    const L = end - at;
    if (L !== n) {
      const h1 = headerLen(kpl, nested, L);
      if (h1 !== h0) { b.copyWithin(this.pos + h1, at, end); end += h1 - h0; }
    }
    this.putHeader(tag, kp, nested, L, this.pos);
    this.pos = end;
  }

  /** The summary's pieces, parts[0..partn) (the array is reused: no allocation per record). */
  private readonly parts: string[] = [];
  private partn = 0;
  private readonly addPart = (s: string): void => { this.parts[this.partn++] = s; };

  /** LogRecord.body (5): AnyValue{string} of the concatenated pieces, as writeStr would write it. */
  /** The last body's pieces and its field bytes (bodyBytes[0 .. bodyLen)), or bodyLen -1. */
  private readonly lastParts: string[] = [];
  private lastPartn = 0;
  private readonly bodyBytes = Buffer.allocUnsafe(MEMO_BYTES);
  private bodyLen = -1;

  private writeBody(): void {
    const parts = this.parts;
    const k = this.partn;
    if (this.bodyLen >= 0 && k === this.lastPartn) {
      // The same pieces as the last record's (a run of one event): its bytes.
      let same = true;
      for (let i = 0; i < k; i++) if (parts[i] !== this.lastParts[i]) { same = false; break; }
      if (same) {
        this.ensure(this.bodyLen);
        copyIn(this.buf, this.pos, this.bodyBytes, 0, this.bodyLen);
        this.pos += this.bodyLen;
        return;
      }
    }
    const start = this.pos;
    this.writeBodyPieces(parts, k);
    const len = this.pos - start;
    if (len <= MEMO_BYTES) {
      copyIn(this.bodyBytes, 0, this.buf, start, len);
      this.bodyLen = len;
      for (let i = 0; i < k; i++) this.lastParts[i] = parts[i]!;
      this.lastPartn = k;
    } else this.bodyLen = -1;
  }

  private writeBodyPieces(parts: string[], k: number): void {
    let n = 0;
    for (let i = 0; i < k; i++) n += parts[i]!.length;
    if (n > 256) { this.writeStr(0x2a, null, true, parts.slice(0, k).join('')); return; }
    this.ensure(24 + 3 * n);
    const b = this.buf;
    const h0 = headerLen(0, true, n);
    const at = this.pos + h0;
    let end = at;
    for (let i = 0; i < k; i++) end = putUtf8(b, end, parts[i]!);
    const L = end - at;
    if (L !== n) {
      const h1 = headerLen(0, true, L);
      if (h1 !== h0) { b.copyWithin(this.pos + h1, at, end); end += h1 - h0; }
    }
    this.putHeader(0x2a, null, true, L, this.pos);
    this.pos = end;
  }

  /** The prefixes of writeStr for a string of L bytes at p; returns where the bytes go. */
  private putHeader(tag: number, kp: Buffer | null, nested: boolean, L: number, p: number): number {
    const b = this.buf;
    b[p++] = tag;
    if (!nested) return putVarint(b, p, L);
    const a = 1 + vlen(L) + L;
    if (kp !== null) {
      p = putVarint(b, p, kp.length + 1 + vlen(a) + a);
      for (let i = 0; i < kp.length; i++) b[p++] = kp[i]!;
      b[p++] = 0x12;
    }
    p = putVarint(b, p, a);
    b[p++] = 0x0a;
    return putVarint(b, p, L);
  }

  private writeAny(v: AttrValue): void {
    switch (typeof v) {
      case 'string': this.writeStringField(0x0a, v); return;
      case 'number':
        if (isInt64(v)) { this.u8(0x18); this.varint64(v); } else { this.ensure(9); this.buf[this.pos++] = 0x21; this.pos = this.buf.writeDoubleLE(v, this.pos); }
        return;
      case 'boolean': this.u8(0x10); this.u8(v ? 1 : 0); return;
      default: {
        let inner = 0;
        for (const s of v) { const a = anySize(s); inner += 1 + vlen(a) + a; }
        this.u8(0x2a); this.varint(inner);
        for (const s of v) { this.u8(0x0a); this.varint(anySize(s)); this.writeAny(s); }
      }
    }
  }

  private keyPrefix(k: string): Buffer {
    let b = this.keyCache.get(k);
    if (!b) {
      const kb = Buffer.from(k, 'utf8');
      b = Buffer.concat([Buffer.from([0x0a]), varintBuf(kb.length), kb]);
      if (this.keyCache.size < 4096) this.keyCache.set(k, b);
    }
    return b;
  }

  /** KeyValue{1: key, 2: AnyValue} under field tag `tag`. */
  private writeKeyValue(tag: number, k: string, v: AttrValue): void {
    const kp = this.keyPrefix(k);
    if (typeof v === 'string') {
      this.writeStr(tag, kp, true, v);
      return;
    }
    const a = anySize(v);
    const kv = kp.length + 1 + vlen(a) + a;
    this.ensure(12 + kp.length);
    this.buf[this.pos++] = tag;
    this.pos = putVarint(this.buf, this.pos, kv);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < kp.length; i++) b[p++] = kp[i]!;
    this.pos = p;
    this.buf[this.pos++] = 0x12;
    this.pos = putVarint(this.buf, this.pos, a);
    this.writeAny(v);
  }

  private varint64(n: number): void {
    this.ensure(10);
    if (n >= 0 && n <= 0xffffffff) { this.pos = putVarint(this.buf, this.pos, n); return; }
    let x = BigInt.asUintN(64, BigInt(n));
    while (x >= 0x80n) { this.buf[this.pos++] = Number(x & 0x7fn) | 0x80; x >>= 7n; }
    this.buf[this.pos++] = Number(x);
  }

  /** 64-bit scratch: storing a bigint there takes it modulo 2^64 without allocating (BigInt ops do). */
  private readonly u64 = new BigUint64Array(1);
  private readonly u64b = new Uint8Array(this.u64.buffer);

  private fixed64(tag: number, ns: bigint): void {
    this.ensure(9);
    const b = this.buf;
    let p = this.pos;
    b[p++] = tag;
    this.u64[0] = ns < 0n ? 0n : ns;
    const s = this.u64b; // little-endian on every platform Node runs this agent on (x86_64, arm64)
    b[p++] = s[0]!; b[p++] = s[1]!; b[p++] = s[2]!; b[p++] = s[3]!; b[p++] = s[4]!; b[p++] = s[5]!; b[p++] = s[6]!; b[p++] = s[7]!;
    this.pos = p;
  }

  private writeRecord(ev: AgentEvent): void {
    // ScopeLogs.log_records (2) with a length known only after the body is written: reserve a
    // 2-byte varint (records < 16 KiB, the common case) and shift only when more are needed.
    this.ensure(3);
    this.buf[this.pos++] = 0x12;
    const lenAt = this.pos;
    this.pos += 2;
    const bodyStart = this.pos;
    const sev = severityOf(ev.ka);
    this.fixed64(0x09, ev.timeNs);
    this.u8(0x10); this.varint(sev.number);
    this.writeStringField(0x1a, sev.text);
    this.partn = 0;
    summaryParts(ev, this.addPart);
    this.writeBody();
    this.attrAt = 0;
    forEachAttribute(ev, this.opts, this.emitAttr);
    this.flushPending();
    this.u8(0x38); this.u8(0);
    this.fixed64(0x59, ev.observedNs);
    this.writeStringField(0x62, eventNameOf(ev.ka));
    const len = this.pos - bodyStart;
    const n = vlen(len);
    if (n !== 2) {
      this.ensure(3);
      this.buf.copy(this.buf, lenAt + n, bodyStart, this.pos);
      this.pos += n - 2;
    }
    putVarint(this.buf, lenAt, len);
  }
}

/** Bytes of writeStr's prefixes for a string of L bytes (kpl: key prefix length). */
function headerLen(kpl: number, nested: boolean, L: number): number {
  const hL = vlen(L);
  if (!nested) return 1 + hL;
  const a = 1 + hL + L;
  const hA = vlen(a);
  if (kpl === 0) return 1 + hA + 1 + hL;
  return 1 + vlen(kpl + 1 + hA + a) + kpl + 1 + hA + 1 + hL;
}

/** UTF-8 of s (≤ 256 UTF-16 units, 3 bytes each ensured) at p; returns the end. A lone
 * surrogate becomes U+FFFD, as Buffer.write encodes it. */
function putUtf8(b: Buffer, p: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) { b[p++] = c; continue; }
    if (c < 0x800) { b[p++] = 0xc0 | (c >> 6); b[p++] = 0x80 | (c & 0x3f); continue; }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && (d & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        b[p++] = 0xf0 | (c >> 18); b[p++] = 0x80 | ((c >> 12) & 0x3f); b[p++] = 0x80 | ((c >> 6) & 0x3f); b[p++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    b[p++] = 0xe0 | (c >> 12); b[p++] = 0x80 | ((c >> 6) & 0x3f); b[p++] = 0x80 | (c & 0x3f);
  }
  return p;
}

function putVarint(b: Buffer, p: number, v: number): number {
  while (v > 0x7f) { b[p++] = (v & 0x7f) | 0x80; v = Math.floor(v / 128); }
  b[p++] = v;
  return p;
}

function varintBuf(v: number): Buffer {
  const b = Buffer.allocUnsafe(10);
  return b.subarray(0, putVarint(b, 0, v));
}
