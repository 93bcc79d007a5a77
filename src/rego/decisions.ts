// Rego decision cache. Contract (docs/rego.md "Output contract"): the alerts a rule raises on an
// event depend on that event alone (batches are arbitrary groupings of the kernel's stream), and
// the engine only shows a rule the projected members of an event. So the decision for one
// projected event JSON is a function of that text and of the pack — as long as the pack calls no
// builtin whose value changes between calls (time, randomness, network). Events repeat a lot (the
// same process opening the same files), so each distinct projected event is evaluated once per
// batch and its decision is kept for later batches.
import type { AgentEvent } from '../events/types';
import type { RegoAlert } from './engine';
import type { InputFields } from './meta';

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
 * A node of the projected-values trie: children by the value of the next projected member
 * (strings, numbers, booleans, undefined; objects and arrays by their JSON, in `objs`, so that
 * they never meet a string of the same text). The first child sits in k/c, others in `more`.
 */
interface TNode {
  k: unknown;
  c: TNode | undefined;
  more: Map<unknown, TNode> | undefined;
  objs: Map<string, TNode> | undefined;
  /** The decision of the events whose projected values lead here. */
  alerts: readonly RegoAlert[] | undefined;
}
const tnode = (): TNode => ({ k: undefined, c: undefined, more: undefined, objs: undefined, alerts: undefined });

/**
 * Two generations of decisions, each at most `capacity` entries: lookups look in the current
 * generation then in the previous one (a hit there moves to current); when the current one is
 * full it becomes the previous one. At most 2 × capacity entries, recently used ones survive,
 * no per-hit bookkeeping. Keyed either by the projected event JSON (get/set: packs that see every
 * member) or by the projected members' values themselves (lookup/store: a walk down a trie of
 * values, no JSON built; two events with equal projected values have equal projected JSON).
 */
export class DecisionCache {
  private cur = new Map<string, readonly RegoAlert[]>();
  private prev = new Map<string, readonly RegoAlert[]>();
  private tcur = tnode();
  private tprev = tnode();
  private tcurLeaves = 0;
  private tprevLeaves = 0;
  private tcurNodes = 0;
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

  /** The cached decision for `ev` projected to `fields` (counts a hit), or undefined (counts nothing). */
  lookup(ev: AgentEvent, fields: InputFields): readonly RegoAlert[] | undefined {
    let a = walk(this.tcur, ev, fields)?.alerts;
    if (a !== undefined) { this.hits++; return a; }
    a = walk(this.tprev, ev, fields)?.alerts;
    if (a !== undefined) { this.hits++; this.store(ev, fields, a); }
    return a;
  }

  /** Keep `alerts` as the decision for events with `ev`'s projected values. */
  store(ev: AgentEvent, fields: InputFields, alerts: readonly RegoAlert[]): void {
    // A generation also ends when its nodes pass 32 per entry (long chains of distinct values).
    if (this.tcurLeaves >= this.capacity || this.tcurNodes >= 32 * this.capacity) {
      this.tprev = this.tcur;
      this.tprevLeaves = this.tcurLeaves;
      this.tcur = tnode();
      this.tcurLeaves = 0;
      this.tcurNodes = 0;
    }
    const before = this.tcurNodes;
    const leaf = walk(this.tcur, ev, fields, this);
    if (!leaf) { this.tcurNodes = before; return; }
    if (leaf.alerts === undefined) this.tcurLeaves++;
    leaf.alerts = alerts;
  }

  /** @internal walk(): one node created. */
  grew(): void { this.tcurNodes++; }

  get size(): number {
    return this.cur.size + this.prev.size + this.tcurLeaves + this.tprevLeaves;
  }
}

/**
 * The node for `ev`'s values of `fields` (ka members, then extras members, in order), or
 * undefined when a value is too long to key by or (without `grow`) the path does not exist.
 */
function walk(root: TNode, ev: AgentEvent, fields: InputFields, grow?: DecisionCache): TNode | undefined {
  let n: TNode | undefined = root;
  const ka = ev.ka as unknown as Record<string, unknown>;
  for (const k of fields.ka) if ((n = step(n, ka[k], grow)) === undefined) return undefined;
  const x = ev.extras as unknown as Record<string, unknown>;
  for (const k of fields.extras) if ((n = step(n, x[k], grow)) === undefined) return undefined;
  return n;
}

function step(n: TNode, v: unknown, grow: DecisionCache | undefined): TNode | undefined {
  if (v !== null && (typeof v === 'object' || typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint')) {
    // Objects, arrays (and values JSON cannot hold, whose projection the engine rejects) by JSON.
    let j: string | undefined;
    try { j = JSON.stringify(v); } catch { return undefined; }
    if (j === undefined || j.length > MAX_KEY_CHARS) return undefined;
    let c = n.objs?.get(j);
    if (c === undefined && grow) { c = tnode(); (n.objs ??= new Map()).set(j, c); grow.grew(); }
    return c;
  }
  if (typeof v === 'string' && v.length > MAX_KEY_CHARS) return undefined;
  if (n.c !== undefined && n.k === v) return n.c;
  let c = n.more?.get(v);
  if (c === undefined && grow) {
    c = tnode();
    if (n.c === undefined) { n.k = v; n.c = c; } else (n.more ??= new Map()).set(v, c);
    grow.grew();
  }
  return c;
}
