// Resolves AgentConfig from flags > env (OTELARMOR_<UPPER_SNAKE>) > config file (YAML, camelCase
// keys = AgentConfig keys = Helm ConfigMap keys) > defaults. Explicit bad values (flags, file)
// throw ConfigError naming the source and key; bad env values warn and fall back.
import { readFileSync } from 'node:fs';
import * as YAML from 'yaml';
import { defaultConfig, type AgentConfig, type Category } from './config';

export class ConfigError extends Error {
  constructor(readonly source: string, readonly key: string, reason: string) {
    super(`${source}: ${key}: ${reason}`);
    this.name = 'ConfigError';
  }
}

const CATEGORIES: readonly Category[] = ['process', 'file', 'network', 'capabilities', 'syscall'];

type Kind = 'string' | 'number' | 'boolean' | 'list' | 'patterns' | 'categories' | 'posture' | 'enum';
/** `check` runs on the coerced value: a reason string rejects it. */
interface KeySpec { kind: Kind; values?: readonly string[]; repeatable?: boolean; check?: (v: never) => string | undefined }

const checkOutput = (v: string) =>
  v === 'stdout' || v === 'none' || (v.startsWith('jsonl:') && v.length > 'jsonl:'.length) ? undefined : 'expected stdout, none or jsonl:PATH';
const checkRingbuf = (v: number) =>
  Number.isInteger(v) && v >= 65536 && (v & (v - 1)) === 0 ? undefined : 'must be a power of two >= 65536 (bytes)';
const checkPatterns = (v: string[]) => {
  for (const p of v) {
    try { new RegExp(p, 'gid'); } catch (e) { return `pattern ${JSON.stringify(p)}: ${(e as Error).message}`; }
  }
  return undefined;
};

const SPEC: Record<keyof AgentConfig, KeySpec> = {
  cluster: { kind: 'string' },
  nodeName: { kind: 'string' },
  visibility: { kind: 'categories' },
  hostVisibility: { kind: 'categories' },
  output: { kind: 'string', check: checkOutput },
  duration: { kind: 'number' },
  shutdownTimeout: { kind: 'number' },
  policies: { kind: 'list', repeatable: true },
  rules: { kind: 'list', repeatable: true },
  defaultFilePosture: { kind: 'posture' },
  defaultNetworkPosture: { kind: 'posture' },
  defaultCapabilitiesPosture: { kind: 'posture' },
  hostDefaultFilePosture: { kind: 'posture' },
  hostDefaultNetworkPosture: { kind: 'posture' },
  hostDefaultCapabilitiesPosture: { kind: 'posture' },
  alertThrottling: { kind: 'boolean' },
  maxAlertPerSec: { kind: 'number' },
  throttleSec: { kind: 'number' },
  enforcer: { kind: 'enum', values: ['auto', 'audit'] },
  otlpEndpoint: { kind: 'string' },
  otlpMetrics: { kind: 'boolean' },
  otlpCommandLine: { kind: 'boolean' },
  otlpCommandLineRedact: { kind: 'patterns', repeatable: true, check: checkPatterns },
  metricsAddress: { kind: 'string' },
  grpcAddress: { kind: 'string' },
  healthGrpcAddress: { kind: 'string' },
  grpcTlsCert: { kind: 'string' },
  grpcTlsKey: { kind: 'string' },
  grpcTlsClientCa: { kind: 'string' },
  k8s: { kind: 'enum', values: ['auto', 'on', 'off'] },
  kubeconfig: { kind: 'string' },
  untrackedNs: { kind: 'list' },
  ringbufBytes: { kind: 'number', check: checkRingbuf },
  sensorsVariant: { kind: 'enum', values: ['auto', 'btf-cast', 'probe-read'] },
};

export const CONFIG_KEYS = Object.keys(SPEC) as (keyof AgentConfig)[];

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envName = (k: string) => `OTELARMOR_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
const FLAG_TO_KEY = new Map(CONFIG_KEYS.map((k) => [kebab(k), k]));

/** Converts one raw value (string from flag/env, or any YAML value) to the key's type and checks it. */
function coerce(key: keyof AgentConfig, raw: unknown, source: string): unknown {
  const v = coerceType(key, raw, source);
  const why = SPEC[key].check?.(v as never);
  if (why !== undefined) throw new ConfigError(source, key, why);
  return v;
}

function coerceType(key: keyof AgentConfig, raw: unknown, source: string): unknown {
  const spec = SPEC[key];
  const fail = (why: string): never => { throw new ConfigError(source, key, why); };
  switch (spec.kind) {
    case 'string':
      if (typeof raw !== 'string') fail(`expected a string, got ${JSON.stringify(raw)}`);
      return raw;
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n) || n < 0) fail(`expected a non-negative number, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return fail(`expected true or false, got ${JSON.stringify(raw)}`);
    case 'list': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : fail('expected a list or a comma-separated string');
      return items.map((s) => (typeof s === 'string' ? s.trim() : fail(`list items must be strings, got ${JSON.stringify(s)}`))).filter((s) => s !== '');
    }
    case 'patterns': {
      // Regular expressions may contain commas: one per flag, one per line of a string, or a list.
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split('\n') : fail('expected a list of regular expressions');
      return items.map((s) => (typeof s === 'string' ? s : fail(`patterns must be strings, got ${JSON.stringify(s)}`))).filter((s) => s.trim() !== '');
    }
    case 'categories': {
      const items = coerce('untrackedNs', raw, source) as string[];
      if (items.length === 1 && items[0] === 'none') return [];
      for (const c of items) if (!CATEGORIES.includes(c as Category)) fail(`unknown category "${c}" (allowed: ${CATEGORIES.join(', ')}, none)`);
      return [...new Set(items)];
    }
    case 'posture':
      if (raw !== 'audit' && raw !== 'block') fail(`expected audit or block, got ${JSON.stringify(raw)}`);
      return raw;
    case 'enum':
      if (typeof raw !== 'string' || !spec.values!.includes(raw)) fail(`expected one of ${spec.values!.join('|')}, got ${JSON.stringify(raw)}`);
      return raw;
  }
}

export interface ParsedFlags { config: Partial<AgentConfig>; configFile: string | null }

/** Parses `--key value` / `--key=value` flags of `run`. Unknown flags throw ConfigError. */
export function parseFlags(argv: string[], extraBoolean: readonly string[] = []): ParsedFlags {
  const out: Record<string, unknown> = {};
  let configFile: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError('command line', arg, 'unexpected argument');
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const key = FLAG_TO_KEY.get(name);
    const takeValue = (): string => {
      if (eq !== -1) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new ConfigError('command line', `--${name}`, 'missing value');
      return v;
    };
    if (name === 'config') { configFile = takeValue(); continue; }
    if (!key) {
      if (extraBoolean.includes(name)) { out[name] = true; continue; }
      throw new ConfigError('command line', `--${name}`, 'unknown flag (see otelarmor run --help)');
    }
    const spec = SPEC[key];
    const raw = spec.kind === 'boolean' && eq === -1 && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) ? 'true' : takeValue();
    const val = coerce(key, raw, `flag --${name}`);
    out[key] = spec.repeatable ? [...((out[key] as string[] | undefined) ?? []), ...(val as string[])] : val;
  }
  return { config: out as Partial<AgentConfig>, configFile };
}

export function loadConfigFile(file: string): Partial<AgentConfig> {
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(file, '(file)', e instanceof Error ? e.message : String(e));
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(file, '(file)', 'expected a mapping of config keys');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (!(k in SPEC)) throw new ConfigError(file, k, `unknown key (known: ${CONFIG_KEYS.join(', ')})`);
    out[k] = coerce(k as keyof AgentConfig, v, file);
  }
  return out as Partial<AgentConfig>;
}

export function configFromEnv(env: NodeJS.ProcessEnv, warn: (msg: string) => void): Partial<AgentConfig> {
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) {
    const v = env[envName(k)];
    if (v === undefined || v === '') continue;
    try { out[k] = coerce(k, v, `env ${envName(k)}`); } catch (e) { warn(`${(e as Error).message}; using the default`); }
  }
  return out as Partial<AgentConfig>;
}

export function resolveConfig(argv: string[], env: NodeJS.ProcessEnv, warn: (msg: string) => void): AgentConfig {
  const flags = parseFlags(argv);
  const file = flags.configFile ? loadConfigFile(flags.configFile) : {};
  const fromEnv = configFromEnv(env, warn);
  const cfg = { ...defaultConfig(), ...file, ...fromEnv, ...flags.config };
  const sourceOf = (k: keyof AgentConfig): string =>
    k in flags.config ? `flag --${kebab(k)}` : k in fromEnv ? `env ${envName(k)}` : k in file ? flags.configFile! : 'defaults';
  checkGrpcTls(cfg, sourceOf);
  return cfg;
}

/**
 * feeder.LogService serves TLS only with both grpcTlsCert and grpcTlsKey; grpcTlsClientCa (mutual
 * TLS) needs both as well. A partial set would leave the server on plaintext, so it is refused
 * whatever its source (env included), naming the key that is set and the one missing.
 */
function checkGrpcTls(cfg: AgentConfig, sourceOf: (k: keyof AgentConfig) => string): void {
  const flag = (k: keyof AgentConfig) => `${k} (--${kebab(k)})`;
  const missing = (['grpcTlsCert', 'grpcTlsKey'] as const).filter((k) => cfg[k] === '');
  if (missing.length === 0) return;
  for (const k of ['grpcTlsCert', 'grpcTlsKey', 'grpcTlsClientCa'] as const) {
    if (cfg[k] === '') continue;
    const what = k === 'grpcTlsClientCa' ? 'client certificate verification needs server TLS' : 'server TLS needs a certificate and its key';
    throw new ConfigError(sourceOf(k), k, `${what}, but ${missing.map(flag).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set (feeder.LogService would serve plaintext)`);
  }
}

export function envNameOf(key: keyof AgentConfig): string { return envName(key); }
