// In-process Rego rule evaluation (OPA Wasm via @open-policy-agent/opa-wasm). Per batch: events
// are grouped by Operation, each event is serialised once, and each operation's entrypoint is
// called once per chunk with {version, events} passed as an ArrayBuffer (the SDK's pre-serialised
// fast path). Rules return the index of the matching event; matches become alert AgentEvents
// appended to the batch.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import type { AgentEvent, KubeArmorEvent } from '../events/types';
import type { EventStage } from '../pipeline/sink';
import type { AgentMetrics } from '../metrics/metrics';
import { META_KEY, RULE_OPERATIONS, parsePackMeta, type InputFields, type PackMeta, type RuleMeta, type RuleOperation } from './meta';
import { indexJson, inputBuffer, inputJson, projectedEventJson, unionFields } from './input';
import { readTarGz } from './tar';
import { DecisionCache, deterministic, hostBuiltins } from './decisions';
import { kubeArmorVersion } from '../version';

/** The default pack, built by scripts/build-rego.sh (dist/rules/default-bundle.tar.gz). */
export const DEFAULT_BUNDLE = path.resolve(__dirname, '..', '..', 'rules', 'default-bundle.tar.gz');

/** A bundle that could not be loaded: `file` names it, `reason` says why. */
export class RegoLoadError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'RegoLoadError';
  }
}

/** One alert as a rule pack reports it (after metadata defaults are applied). */
export interface RegoAlert {
  rule: string;
  severity: string;
  message: string;
  tags: string[];
  mitre: string[];
}

export interface RegoMatch {
  /** Index of the event in the evaluated array. */
  index: number;
  alert: RegoAlert;
}

export interface RegoEngineOptions {
  metrics?: AgentMetrics;
  /** Wasm memory per bundle, in 64 KiB pages. Default {initial: 64 (4 MiB), maximum: 2048 (128 MiB)}. */
  memory?: { initial: number; maximum: number };
  /** Serialised input per Wasm call is kept under this many UTF-16 units; larger groups are split. Default 512 Ki. */
  maxInputChars?: number;
  /** Every Nth non-empty batch, each rule is also evaluated alone and timed (metrics.regoEval). Default 64; 0 = never. */
  profileEvery?: number;
  /**
   * Distinct projected events whose decisions each deterministic pack keeps per operation
   * (src/rego/decisions.ts; two generations of this many). Default 4096; 0 = no cache (every
   * event is evaluated).
   */
  decisionCache?: number;
}

interface Pack {
  source: string;
  /** sha256 of policy.wasm and data.json: a reload reuses a pack whose bytes did not change. */
  digest: string;
  policy: LoadedPolicy;
  meta: PackMeta;
  /** Operation → (entrypoint id, rules in it). */
  ops: Map<RuleOperation, { ep: number; rules: RuleMeta[] }>;
  ruleEp: Map<string, number>;
  /** Per operation, the decision cache (src/rego/decisions.ts); empty when the pack calls a nondeterministic builtin. */
  caches: Map<RuleOperation, DecisionCache>;
}

const RULE_OPS: ReadonlySet<string> = new Set(RULE_OPERATIONS);

/** One operation group of a batch: serialised events and, per chunk, its `input.index` JSON. */
interface Group {
  events: readonly AgentEvent[];
  parts: string[];
  /** parts[k] is events[partIdx[k]]. */
  partIdx: number[];
  /** `${a}:${b}` → index JSON of parts[a..b), shared by the packs evaluating that chunk. */
  index: Map<string, string>;
}

function chunkIndex(g: Group, a: number, b: number): string {
  const key = `${a}:${b}`;
  let j = g.index.get(key);
  if (j === undefined) g.index.set(key, (j = indexJson(g.partIdx.slice(a, b).map((i) => g.events[i]!))));
  return j;
}

function errText(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

function readBundleFiles(file: string): { wasm: Buffer; data: Buffer } {
  let st;
  try { st = statSync(file); } catch (e) { throw new RegoLoadError(file, `cannot read: ${errText(e)}`); }
  if (st.isDirectory()) {
    const read = (n: string): Buffer => {
      try { return readFileSync(path.join(file, n)); } catch { throw new RegoLoadError(file, `directory has no ${n} (expected policy.wasm + data.json from \`otelarmor rules build\`)`); }
    };
    return { wasm: read('policy.wasm'), data: read('data.json') };
  }
  let files: Map<string, Buffer>;
  try { files = readTarGz(readFileSync(file)); } catch (e) { throw new RegoLoadError(file, `not a bundle.tar.gz: ${errText(e)}`); }
  const wasm = files.get('/policy.wasm');
  const data = files.get('/data.json');
  if (!wasm) throw new RegoLoadError(file, 'bundle has no /policy.wasm (build it with `otelarmor rules build`, i.e. opa build -t wasm)');
  if (!data) throw new RegoLoadError(file, 'bundle has no /data.json');
  return { wasm, data };
}

async function loadPack(file: string, memory: { initial: number; maximum: number }, loaded: readonly Pack[] = []): Promise<Pack> {
  const { wasm, data } = readBundleFiles(file);
  const digest = createHash('sha256').update(wasm).update(data).digest('hex');
  // A SIGHUP or a policy file change reloads the rules too; compiling an unchanged module again
  // costs a second of CPU per pack here (tens of seconds in an emulated VM) for nothing.
  const same = loaded.find((p) => p.source === file && p.digest === digest);
  if (same) return same;
  let dataDoc: Record<string, unknown>;
  try { dataDoc = JSON.parse(data.toString('utf8')) as Record<string, unknown>; } catch (e) { throw new RegoLoadError(file, `data.json: ${errText(e)}`); }
  let meta: PackMeta;
  try { meta = parsePackMeta(dataDoc?.[META_KEY]); } catch (e) { throw new RegoLoadError(file, errText(e)); }
  let policy: LoadedPolicy;
  try {
    const ab = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer;
    policy = await loadPolicy(ab, { initial: memory.initial, maximum: memory.maximum });
    policy.setData(dataDoc);
  } catch (e) {
    throw new RegoLoadError(file, `policy.wasm does not instantiate: ${errText(e)}`);
  }
  const eps = policy.entrypoints as Record<string, number>;
  const epId = (name: string, what: string): number => {
    const id = eps[name];
    if (typeof id !== 'number') throw new RegoLoadError(file, `policy.wasm has no entrypoint "${name}" (${what}); it has: ${Object.keys(eps).join(', ') || 'none'}`);
    return id;
  };
  const ops = new Map<RuleOperation, { ep: number; rules: RuleMeta[] }>();
  for (const [op, ep] of Object.entries(meta.entrypoints) as [RuleOperation, string][]) {
    ops.set(op, { ep: epId(ep, `operation ${op}`), rules: Object.values(meta.rules).filter((r) => r.operations.includes(op)) });
  }
  const ruleEp = new Map<string, number>();
  for (const r of Object.values(meta.rules)) {
    ruleEp.set(r.name, epId(r.entrypoint, `rule ${r.name}`));
    if (!r.operations.some((o) => ops.has(o))) throw new RegoLoadError(file, `${META_KEY}.rules.${r.name}: none of its operations has an entrypoint`);
  }
  // A smoke evaluation catches unimplemented builtins reached on empty input and ABI mismatches.
  const empty = inputBuffer([], meta.index ? indexJson([]) : undefined);
  for (const [op, { ep }] of ops) {
    try {
      policy.evaluate(empty, ep);
    } catch (e) {
      throw new RegoLoadError(file, `entrypoint ${meta.entrypoints[op]} fails on an empty batch: ${errText(e)}`);
    }
  }
  return { source: file, digest, policy, meta, ops, ruleEp, caches: new Map() };
}

/**
 * Members `input.index` is built from (input.ts indexJson), per operation: with these projected,
 * events with the same projected JSON also have the same index entries.
 */
function indexInputs(op: RuleOperation): { ka: string[]; extras: string[] } {
  return op === 'Process' ? { ka: ['Resource'], extras: ['path', 'syscall', 'openFlags', 'args'] } : { ka: [], extras: ['path', 'syscall', 'openFlags'] };
}

/** Decision caches of `pack` for the operations whose decisions are a function of the projected event. */
function packCaches(pack: Pack, fields: Map<RuleOperation, InputFields | null>, capacity: number): Map<RuleOperation, DecisionCache> {
  const caches = new Map<RuleOperation, DecisionCache>();
  if (!deterministic(hostBuiltins(pack.policy))) return caches;
  for (const op of pack.ops.keys()) {
    const f = fields.get(op) ?? null;
    const need = indexInputs(op);
    if (pack.meta.index && f !== null && !(need.ka.every((k) => f.ka.includes(k)) && need.extras.every((k) => f.extras.includes(k)))) continue;
    caches.set(op, new DecisionCache(capacity));
  }
  return caches;
}

const byRuleThenEvent = (x: RegoMatch, y: RegoMatch): number =>
  x.alert.rule < y.alert.rule ? -1 : x.alert.rule > y.alert.rule ? 1 : x.index - y.index;

const ALERT_ONLY: (keyof KubeArmorEvent)[] = [
  'PolicyName', 'Severity', 'Tags', 'ATags', 'Message', 'Action', 'Enforcer', 'MaxAlertsPerSec', 'DroppingAlertsInterval',
];

/** The alert event for `a` raised on `ev`: every field of the event, alert fields from the rule. */
export function alertEvent(ev: AgentEvent, a: RegoAlert): AgentEvent {
  const ka: KubeArmorEvent = { ...ev.ka };
  for (const k of ALERT_ONLY) delete ka[k];
  const tags = [...a.tags, ...a.mitre];
  ka.Type = ka.ContainerID ? 'MatchedPolicy' : 'MatchedHostPolicy';
  ka.PolicyName = `rego:${a.rule}`;
  ka.Severity = a.severity;
  ka.Tags = tags.join(',');
  ka.ATags = tags;
  ka.Message = a.message;
  ka.Action = 'Audit';
  ka.Enforcer = 'OPA';
  ka.KubeArmorVersion = kubeArmorVersion();
  return { ka, timeNs: ev.timeNs, observedNs: ev.observedNs, extras: ev.extras };
}

function strList(v: unknown, dflt: string[]): string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : dflt;
}

export class RegoEngine implements EventStage {
  readonly name = 'rego';
  private packs: Pack[] = [];
  /** Per operation, union of the packs' input projections (null = full events). */
  private fields = new Map<RuleOperation, InputFields | null>();
  private paths: string[] = [];
  private batches = 0;
  /** Last evaluation error (diagnostics; the event path never throws). */
  lastError: string | undefined;

  private constructor(private readonly opts: Required<Omit<RegoEngineOptions, 'metrics'>> & { metrics?: AgentMetrics }) {}

  /**
   * Loads bundle.tar.gz files or directories holding policy.wasm + data.json; no paths = the
   * default pack. Rejects with RegoLoadError naming the file and reason.
   */
  static async load(paths: string[], options: RegoEngineOptions = {}): Promise<RegoEngine> {
    const eng = new RegoEngine({
      metrics: options.metrics,
      memory: options.memory ?? { initial: 64, maximum: 2048 },
      maxInputChars: options.maxInputChars ?? 512 * 1024,
      profileEvery: options.profileEvery ?? 64,
      decisionCache: options.decisionCache ?? 4096,
    });
    const err = await eng.reload(paths);
    if (err) throw err;
    return eng;
  }

  /**
   * Replaces the loaded rules with those of `paths` (default: the paths of the last successful
   * load). All-or-nothing: on any bad bundle the previous rules stay and the error is returned.
   */
  async reload(paths: string[] = this.paths): Promise<RegoLoadError | null> {
    const files = paths.length ? paths : [DEFAULT_BUNDLE];
    const packs: Pack[] = [];
    const seen = new Map<string, string>();
    for (const f of files) {
      try {
        const p = await loadPack(f, this.opts.memory, this.packs);
        for (const r of Object.keys(p.meta.rules)) {
          const other = seen.get(r);
          if (other !== undefined) throw new RegoLoadError(f, `rule "${r}" is also defined by ${other}`);
          seen.set(r, f);
        }
        packs.push(p);
      } catch (e) {
        return e instanceof RegoLoadError ? e : new RegoLoadError(f, errText(e));
      }
    }
    this.packs = packs;
    this.fields = new Map(RULE_OPERATIONS.map((op) => [op, unionFields(packs.filter((p) => p.ops.has(op)).map((p) => p.meta.opFields?.[op] ?? p.meta.fields ?? null))]));
    for (const p of packs) p.caches = this.opts.decisionCache > 0 ? packCaches(p, this.fields, this.opts.decisionCache) : new Map();
    this.paths = [...paths];
    this.opts.metrics?.gauges.policiesLoaded.set('rego', seen.size);
    return null;
  }

  /** Rule metadata of every loaded rule, by pack order then name. */
  get rules(): RuleMeta[] {
    return this.packs.flatMap((p) => Object.values(p.meta.rules));
  }

  get sources(): string[] {
    return this.packs.map((p) => p.source);
  }

  process(batch: AgentEvent[]): AgentEvent[] {
    let matches: RegoMatch[];
    try {
      matches = this.evaluate(batch);
    } catch (e) {
      this.lastError = errText(e);
      this.opts.metrics?.dropped('pipeline', 'rego_eval_failed', batch.length);
      return batch;
    }
    if (matches.length === 0) return batch;
    const out = batch.slice();
    for (const m of matches) out.push(alertEvent(batch[m.index]!, m.alert));
    return out;
  }

  /** Every rule match in `events` (one per rule and event at most), by operation then chunk order. */
  evaluate(events: readonly AgentEvent[]): RegoMatch[] {
    if (this.packs.length === 0 || events.length === 0) return [];
    const groups = new Map<RuleOperation, number[]>();
    for (let i = 0; i < events.length; i++) {
      const ka = events[i]!.ka;
      if (!RULE_OPS.has(ka.Operation) || ka.Type === 'SystemEvent' || ka.Enforcer === 'OPA') continue;
      const op = ka.Operation as RuleOperation;
      let g = groups.get(op);
      if (!g) groups.set(op, (g = []));
      g.push(i);
    }
    if (groups.size === 0) return [];
    const json: (string | undefined)[] = new Array(events.length);
    const profile = this.opts.profileEvery > 0 && this.batches++ % this.opts.profileEvery === 0;
    const matches: RegoMatch[] = [];
    for (const [op, idx] of groups) {
      const wanted = this.packs.filter((p) => p.ops.has(op));
      if (wanted.length === 0) continue;
      const fields = this.fields.get(op) ?? null;
      if (fields !== null && wanted.every((p) => p.caches.has(op))) {
        // Every pack caches this operation: decisions by projected values, JSON only for misses.
        for (const pack of wanted) this.evalKeyed(pack, pack.ops.get(op)!.ep, pack.caches.get(op)!, events, idx, fields, json, matches);
        if (profile) {
          const parts: string[] = [];
          const partIdx: number[] = [];
          for (const i of idx) {
            let s = json[i];
            if (s === undefined) { try { s = json[i] = projectedEventJson(events[i]!, fields); } catch { s = json[i] = ''; } }
            if (s !== '') { parts.push(s); partIdx.push(i); }
          }
          const group: Group = { events, parts, partIdx, index: new Map() };
          if (parts.length) for (const pack of wanted) this.profileRules(pack, pack.ops.get(op)!.rules, group, this.chunks(parts)[0]!);
        }
        continue;
      }
      // Serialise each event once and cut the group into chunks under maxInputChars.
      const parts: string[] = [];
      const partIdx: number[] = [];
      for (const i of idx) {
        let s = json[i];
        if (s === undefined) {
          try { s = json[i] = projectedEventJson(events[i]!, fields); } catch (e) {
            this.lastError = `event ${i}: ${errText(e)}`;
            this.opts.metrics?.dropped('pipeline', 'rego_unserialisable');
            continue;
          }
        }
        parts.push(s);
        partIdx.push(i);
      }
      const group: Group = { events, parts, partIdx, index: new Map() };
      for (const pack of wanted) {
        const entry = pack.ops.get(op)!;
        const cache = pack.caches.get(op);
        if (cache) this.evalCached(pack, entry.ep, cache, group, matches);
        else {
          for (const [a, b] of this.chunks(parts)) this.evalChunk(pack, entry.ep, group, a, b, matches);
          this.opts.metrics?.regoDecisions('evaluated', parts.length);
        }
        if (profile && parts.length) this.profileRules(pack, entry.rules, group, this.chunks(parts)[0]!);
      }
    }
    return matches;
  }

  /** [a, b) ranges of `parts` whose serialised size stays under maxInputChars (at least one part each). */
  private chunks(parts: readonly string[]): [number, number][] {
    const chunks: [number, number][] = [];
    let start = 0;
    let size = 0;
    for (let k = 0; k < parts.length; k++) {
      const n = parts[k]!.length + 1;
      if (size + n > this.opts.maxInputChars && k > start) { chunks.push([start, k]); start = k; size = 0; }
      size += n;
    }
    if (start < parts.length) chunks.push([start, parts.length]);
    return chunks;
  }

  /**
   * Matches of one pack over group `g` through its decision cache: each distinct projected event
   * not in the cache is evaluated once (one event of each), the decision is applied to every
   * event with that JSON and cached unless its evaluation failed. Output by rule, then event.
   */
  private evalCached(pack: Pack, ep: number, cache: DecisionCache, g: Group, out: RegoMatch[]): void {
    const { parts, partIdx } = g;
    const found: RegoMatch[] = [];
    const missed = new Map<string, number[]>(); // projected JSON → positions in parts
    for (let k = 0; k < parts.length; k++) {
      const key = parts[k]!;
      const same = missed.get(key);
      if (same !== undefined) { same.push(k); continue; }
      const hit = cache.get(key);
      if (hit === undefined) { missed.set(key, [k]); continue; }
      for (const alert of hit) found.push({ index: partIdx[k]!, alert });
    }
    this.opts.metrics?.regoDecisions('cached', parts.length - missed.size);
    if (missed.size > 0) {
      this.opts.metrics?.regoDecisions('evaluated', missed.size);
      const uparts = [...missed.keys()];
      const reps = [...missed.values()].map((ks) => partIdx[ks[0]!]!);
      const { decided, failed } = this.decideDistinct(pack, ep, g.events, uparts, reps);
      let u = 0;
      for (const [key, ks] of missed) {
        const alerts = decided[u]!;
        if (!failed.has(u)) cache.set(key, alerts);
        u++;
        for (const k of ks) for (const alert of alerts) found.push({ index: partIdx[k]!, alert });
      }
    }
    found.sort(byRuleThenEvent);
    for (const m of found) out.push(m);
  }

  /**
   * evalCached without building the JSON of events whose decision is cached: each event's
   * projected values are looked up in the cache's trie; the missed ones are serialised (into
   * `json`, shared with the other packs of the batch), evaluated once per distinct JSON, and
   * their decisions stored under each event's values. Same matches and order as evalCached.
   */
  private evalKeyed(pack: Pack, ep: number, cache: DecisionCache, events: readonly AgentEvent[], idx: readonly number[],
    fields: InputFields, json: (string | undefined)[], out: RegoMatch[]): void {
    const found: RegoMatch[] = [];
    const missIdx: number[] = [];
    for (const i of idx) {
      const hit = cache.lookup(events[i]!, fields);
      if (hit === undefined) { missIdx.push(i); continue; }
      for (const alert of hit) found.push({ index: i, alert });
    }
    const missed = new Map<string, number[]>(); // projected JSON → event indexes
    for (const i of missIdx) {
      let s = json[i];
      if (s === undefined) {
        try { s = json[i] = projectedEventJson(events[i]!, fields); } catch (e) {
          json[i] = ''; // counted once, not again by the next pack
          this.lastError = `event ${i}: ${errText(e)}`;
          this.opts.metrics?.dropped('pipeline', 'rego_unserialisable');
          continue;
        }
      }
      if (s === '') continue;
      const same = missed.get(s);
      if (same) same.push(i); else missed.set(s, [i]);
    }
    cache.misses += missed.size;
    this.opts.metrics?.regoDecisions('cached', idx.length - missed.size);
    if (missed.size > 0) {
      this.opts.metrics?.regoDecisions('evaluated', missed.size);
      const { decided, failed } = this.decideDistinct(pack, ep, events, [...missed.keys()], [...missed.values()].map((l) => l[0]!));
      let u = 0;
      for (const same of missed.values()) {
        const alerts = decided[u]!;
        const ok = !failed.has(u++);
        for (const i of same) {
          if (ok) cache.store(events[i]!, fields, alerts);
          for (const alert of alerts) found.push({ index: i, alert });
        }
      }
    }
    found.sort(byRuleThenEvent);
    for (const m of found) out.push(m);
  }

  /**
   * Evaluate distinct projected events `parts` (parts[u] is events[reps[u]]): the alerts of each,
   * in rule-name order, and the positions whose evaluation failed (their decision is not cached).
   */
  private decideDistinct(pack: Pack, ep: number, events: readonly AgentEvent[], parts: string[], reps: number[]): { decided: RegoAlert[][]; failed: Set<number> } {
    const sub: Group = { events, parts, partIdx: reps, index: new Map() };
    const got: RegoMatch[] = [];
    const failed = new Set<number>();
    for (const [a, b] of this.chunks(parts)) this.evalChunk(pack, ep, sub, a, b, got, failed);
    const byRep = new Map<number, RegoAlert[]>(); // event index of the representative → alerts
    for (const m of got) {
      const l = byRep.get(m.index);
      if (l) l.push(m.alert); else byRep.set(m.index, [m.alert]);
    }
    const decided = reps.map((r) => (byRep.get(r) ?? []).sort((x, y) => (x.rule < y.rule ? -1 : x.rule > y.rule ? 1 : 0)));
    return { decided, failed };
  }

  /** Decision-cache statistics summed over packs (tests, diagnostics). */
  cacheStats(): { hits: number; misses: number; entries: number; cachedOps: number } {
    let hits = 0, misses = 0, entries = 0, cachedOps = 0;
    for (const p of this.packs) for (const c of p.caches.values()) { hits += c.hits; misses += c.misses; entries += c.size; cachedOps++; }
    return { hits, misses, entries, cachedOps };
  }

  /** `failed` (optional) collects the positions of parts whose evaluation failed. */
  private evalChunk(pack: Pack, ep: number, g: Group, a: number, b: number, out: RegoMatch[], failed?: Set<number>): void {
    const partIdx = g.partIdx;
    let rs: unknown;
    try {
      rs = pack.policy.evaluate(inputBuffer(g.parts.slice(a, b), pack.meta.index ? chunkIndex(g, a, b) : undefined), ep);
    } catch (e) {
      // Typically Wasm memory exhausted (bounded by `memory.maximum`): halve and retry.
      if (b - a > 1) {
        const m = a + ((b - a) >> 1);
        this.evalChunk(pack, ep, g, a, m, out, failed);
        this.evalChunk(pack, ep, g, m, b, out, failed);
        return;
      }
      failed?.add(a);
      this.lastError = `${pack.source}: ${errText(e)}`;
      this.opts.metrics?.dropped('pipeline', 'rego_eval_failed');
      return;
    }
    const result = (rs as { result?: unknown }[] | undefined)?.[0]?.result;
    if (typeof result !== 'object' || result === null) return;
    for (const [rule, alerts] of Object.entries(result as Record<string, unknown>)) {
      const meta = pack.meta.rules[rule];
      if (!meta || !Array.isArray(alerts) || alerts.length === 0) continue;
      const seen = new Set<number>();
      for (const al of alerts as Record<string, unknown>[]) {
        const i = al?.i;
        if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= b - a || seen.has(i)) continue;
        seen.add(i);
        const sev = al.severity;
        out.push({
          index: partIdx[a + i]!,
          alert: {
            rule,
            severity: typeof sev === 'number' || typeof sev === 'string' ? String(sev) : String(meta.severity),
            message: typeof al.message === 'string' ? al.message : meta.title,
            tags: strList(al.tags, meta.tags),
            mitre: strList(al.mitre, meta.mitre),
          },
        });
      }
    }
  }

  /** Times each rule alone over one chunk (histogram otelarmor.rego_eval_duration_seconds{rule}). */
  private profileRules(pack: Pack, rules: RuleMeta[], g: Group, [a, b]: [number, number]): void {
    const m = this.opts.metrics;
    if (!m) return;
    const json = inputJson(g.parts.slice(a, b), pack.meta.index ? chunkIndex(g, a, b) : undefined);
    for (const r of rules) {
      const ep = pack.ruleEp.get(r.name);
      if (ep === undefined) continue;
      const buf = new TextEncoder().encode(json).buffer as ArrayBuffer;
      const t0 = process.hrtime.bigint();
      try { pack.policy.evaluate(buf, ep); } catch { continue; }
      m.regoEval(r.name, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
}
