// Rego decision cache. Contract (docs/rego.md "Output contract"): the alerts a rule raises on an
// event depend on that event alone (batches are arbitrary groupings of the kernel's stream), and
// the engine only shows a rule the projected members of an event. So the decision for one
// projected event JSON is a function of that text and of the pack — as long as the pack calls no
// builtin whose value changes between calls (time, randomness, network). Events repeat a lot (the
// same process opening the same files), so each distinct projected event is evaluated once per
// batch and its decision is kept for later batches.
import type { RegoAlert } from './engine';

/** Builtins whose value is not a function of their arguments: a pack calling one is not cached. */
const NONDETERMINISTIC = /^(time\.now_ns|rand\.|uuid\.|http\.send|net\.lookup_ip_addr|opa\.runtime|trace)/;

/** Names of the builtins a pack's Wasm module imports from the host (`builtins()` export). */
export function hostBuiltins(policy: unknown): string[] {
  // LoadedPolicy keeps its instance and memory as wasmInstance / mem (opa-wasm src/opa.js).
  const p = policy as { wasmInstance?: { exports?: Record<string, unknown> }; mem?: { buffer: ArrayBuffer } };
  const ex = p.wasmInstance?.exports;
  const mem = p.mem;
  if (!ex || !mem || typeof ex.builtins !== 'function' || typeof ex.opa_json_dump !== 'function') return [];
  const addr = (ex.opa_json_dump as (a: number) => number)((ex.builtins as () => number)());
  const bytes = new Uint8Array(mem.buffer, addr);
  const end = bytes.indexOf(0);
  const doc = JSON.parse(new TextDecoder().decode(bytes.subarray(0, end < 0 ? 0 : end)) || '{}') as Record<string, unknown>;
  return Object.keys(doc);
}

/** True when none of `builtins` makes a decision depend on anything but the input. */
export function deterministic(builtins: readonly string[]): boolean {
  return !builtins.some((b) => NONDETERMINISTIC.test(b));
}

/** Longest projected event JSON (UTF-16 units) worth keeping as a key. */
export const MAX_KEY_CHARS = 4096;

/**
 * Two generations of (projected event JSON → alerts, in rule-name order; [] = none): lookups
 * look in the current generation then in the previous one (a hit there moves to current); when
 * the current one holds `capacity` entries it becomes the previous one. At most 2 × capacity
 * entries, recently used ones survive, no per-hit bookkeeping.
 */
export class DecisionCache {
  private cur = new Map<string, readonly RegoAlert[]>();
  private prev = new Map<string, readonly RegoAlert[]>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity = 4096) {}

  get(key: string): readonly RegoAlert[] | undefined {
    let v = this.cur.get(key);
    if (v !== undefined) { this.hits++; return v; }
    v = this.prev.get(key);
    if (v !== undefined) { this.hits++; this.set(key, v); return v; }
    this.misses++;
    return undefined;
  }

  set(key: string, alerts: readonly RegoAlert[]): void {
    if (key.length > MAX_KEY_CHARS) return;
    if (this.cur.size >= this.capacity) { this.prev = this.cur; this.cur = new Map(); }
    this.cur.set(key, alerts);
  }

  get size(): number {
    return this.cur.size + this.prev.size;
  }
}
