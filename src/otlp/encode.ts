// Direct protobuf encoder for ExportLogsServiceRequest (opentelemetry-proto logs/v1, field
// numbers in otel-and-tools.md §5.1/§7), from AgentEvents, one pass per record with lengths
// computed before writing (no shifting). Output is byte-identical to the OTel SDK's
// ProtobufLogsSerializer over toLogRecord() (test/unit/otlp/encode.test.ts); it exists because
// that path costs ~50 µs/record here (attribute objects + two-pass serialisation).
//
// Wire layout: Request{1: ResourceLogs{1: Resource{1: KeyValue*, 2: 0}, 2: ScopeLogs{1: Scope{1:
// name, 2: version}, 2: LogRecord*}}}; LogRecord{1: fixed64 time, 2: severity, 3: text, 5: body,
// 6: KeyValue*, 7: 0, 11: fixed64 observed, 12: event_name}; AnyValue{1: string, 2: bool,
// 3: int64, 4: double, 5: ArrayValue{1: AnyValue*}}.
import type { AgentEvent } from '../events/types';
import { eventNameOf, forEachAttribute, summaryOf, type AttrValue, type RecordOptions } from './record';
import { severityOf } from './severity';

type RunValue = string | number | boolean;
/**
 * A node of the attribute-run trie: children by (key, value). The next key after a node is almost
 * always the same one (attributes come in a fixed order), so the first key's children sit in
 * `key`/`vals` and only other keys go through `others`.
 */
interface TrieNode {
  key: string | undefined;
  vals: Map<RunValue, TrieNode> | undefined;
  others: Map<string, Map<RunValue, TrieNode>> | undefined;
  /** The encoded KeyValues of the run from the root to here, once a run ended here. */
  bytes: Buffer | undefined;
}
const newNode = (): TrieNode => ({ key: undefined, vals: undefined, others: undefined, bytes: undefined });
const TRIE_MAX = 50_000;
/** Attributes whose values differ for (nearly) every event, or per file: never part of a run. */
const UNCACHED = new Set(['Timestamp', 'UpdatedTime', 'Resource', 'file.path', 'process.command_line']);

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
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private readonly keyCache = new Map<string, Buffer>();
  private readonly resourceBytes: Buffer;
  private readonly scopeBytes: Buffer;
  /**
   * Runs of consecutive scalar attributes are cached as one encoded block, in a trie keyed by
   * (key, value) pairs: most values repeat from event to event (cluster, node, pod, container,
   * image, process ids and paths, Data), so a record's attributes become a few copies. Values
   * unique per event or per file (UNCACHED), arrays and long strings break runs instead of
   * growing the trie, and the trie is dropped when it exceeds TRIE_MAX nodes.
   */
  private trie: TrieNode = newNode();
  private trieNodes = 0;
  private node: TrieNode | null = null;
  private readonly pendK: string[] = [];
  private readonly pendV: RunValue[] = [];
  private readonly emitAttr = (k: string, v: AttrValue): void => {
    if (typeof v === 'object' || (typeof v === 'string' && v.length > 256) || UNCACHED.has(k)) {
      this.endRun();
      this.writeKeyValue(0x32, k, v);
      return;
    }
    const parent = this.node ?? this.trie;
    let byV = parent.key === k ? parent.vals : parent.others?.get(k);
    if (!byV) {
      byV = new Map();
      if (parent.key === undefined) { parent.key = k; parent.vals = byV; } else (parent.others ??= new Map()).set(k, byV);
    }
    let child = byV.get(v);
    if (!child) { child = newNode(); byV.set(v, child); this.trieNodes++; }
    this.node = child;
    this.pendK.push(k);
    this.pendV.push(v);
  };

  /** Write the pending run: its cached block, or encode it and cache the bytes on the trie node. */
  private endRun(): void {
    const node = this.node;
    if (!node) return;
    this.node = null;
    const n = this.pendK.length;
    if (node.bytes) {
      this.ensure(node.bytes.length);
      this.buf.set(node.bytes, this.pos);
      this.pos += node.bytes.length;
    } else {
      const start = this.pos;
      for (let i = 0; i < n; i++) this.writeKeyValue(0x32, this.pendK[i]!, this.pendV[i]!);
      node.bytes = Buffer.from(this.buf.subarray(start, this.pos));
    }
    this.pendK.length = 0;
    this.pendV.length = 0;
    if (this.trieNodes > TRIE_MAX) { this.trie = newNode(); this.trieNodes = 0; }
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

  /** One ExportLogsServiceRequest holding all events (a fresh Buffer the caller may keep). */
  encode(events: readonly AgentEvent[]): Buffer {
    const HEADROOM = 32;
    this.pos = HEADROOM;
    for (const ev of events) this.writeRecord(ev);
    const recordsLen = this.pos - HEADROOM;
    const scopeLogsLen = this.scopeBytes.length + recordsLen;
    const resourceLogsLen = this.resourceBytes.length + 1 + vlen(scopeLogsLen) + scopeLogsLen;
    const headLen = 1 + vlen(resourceLogsLen) + this.resourceBytes.length + 1 + vlen(scopeLogsLen) + this.scopeBytes.length;
    const out = Buffer.allocUnsafe(headLen + recordsLen);
    let p = 0;
    out[p++] = 0x0a; p = putVarint(out, p, resourceLogsLen);
    p += this.resourceBytes.copy(out, p);
    out[p++] = 0x12; p = putVarint(out, p, scopeLogsLen);
    p += this.scopeBytes.copy(out, p);
    this.buf.copy(out, p, HEADROOM, this.pos);
    return out;
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

  private writeStringField(tag: number, s: string): void {
    const L = utf8Len(s);
    this.ensure(6 + L);
    this.buf[this.pos++] = tag;
    this.pos = putVarint(this.buf, this.pos, L);
    this.writeUtf8(s, L);
  }

  /** The UTF-8 bytes of s (L = utf8Len(s), space already ensured). */
  private writeUtf8(s: string, L: number): void {
    const b = this.buf;
    let p = this.pos;
    const n = s.length;
    if (L === n && n <= 256) {
      for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    } else if (n <= 256) {
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
          c = 0xfffd; // lone surrogate, as Buffer.write encodes it
        }
        b[p++] = 0xe0 | (c >> 12); b[p++] = 0x80 | ((c >> 6) & 0x3f); b[p++] = 0x80 | (c & 0x3f);
      }
    } else {
      p += b.write(s, p, L, 'utf8');
    }
    this.pos = p;
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
      const L = utf8Len(v);
      const a = 1 + vlen(L) + L;
      const kv = kp.length + 1 + vlen(a) + a;
      this.ensure(16 + kp.length + L);
      const b = this.buf;
      let p = this.pos;
      b[p++] = tag;
      p = putVarint(b, p, kv);
      for (let i = 0; i < kp.length; i++) b[p++] = kp[i]!;
      b[p++] = 0x12;
      p = putVarint(b, p, a);
      b[p++] = 0x0a;
      this.pos = putVarint(b, p, L);
      this.writeUtf8(v, L);
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

  private fixed64(tag: number, ns: bigint): void {
    this.ensure(9);
    this.buf[this.pos++] = tag;
    this.pos = this.buf.writeBigUInt64LE(ns < 0n ? 0n : BigInt.asUintN(64, ns), this.pos);
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
    const body = summaryOf(ev);
    const L = utf8Len(body);
    this.ensure(16 + L);
    this.buf[this.pos++] = 0x2a;
    this.pos = putVarint(this.buf, this.pos, 1 + vlen(L) + L);
    this.buf[this.pos++] = 0x0a;
    this.pos = putVarint(this.buf, this.pos, L);
    this.writeUtf8(body, L);
    forEachAttribute(ev, this.opts, this.emitAttr);
    this.endRun();
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

function putVarint(b: Buffer, p: number, v: number): number {
  while (v > 0x7f) { b[p++] = (v & 0x7f) | 0x80; v = Math.floor(v / 128); }
  b[p++] = v;
  return p;
}

function varintBuf(v: number): Buffer {
  const b = Buffer.allocUnsafe(10);
  return b.subarray(0, putVarint(b, 0, v));
}
