// OTLP/gRPC export settings: `--otlp-endpoint` (config.otlpEndpoint) wins over the standard
// OTEL_EXPORTER_OTLP_LOGS_* / OTEL_EXPORTER_OTLP_* variables (signal-specific before generic).
// A bad explicit value is an OtlpConfigError naming the key; a bad environment value is a warning
// and falls back (to the generic variable, then to the default).
// Endpoint scheme: http:// = plaintext, https:// = TLS; without a scheme TLS is used unless
// OTEL_EXPORTER_OTLP_[LOGS_]INSECURE=true (OTLP exporter specification).
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import type { AgentConfig } from '../config';
import { compileRedactPatterns, type RedactPatternError } from './redact';

export class OtlpConfigError extends Error {
  constructor(readonly key: string, readonly value: string, reason: string) {
    super(`${key}=${JSON.stringify(withoutCredentials(value))}: ${reason}`);
    this.name = 'OtlpConfigError';
  }
}

/** An endpoint as it may be printed: userinfo (user:password@) replaced by "***@". */
export function withoutCredentials(endpoint: string): string {
  return endpoint.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@\s]*@/i, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);
}

export interface OtlpTls {
  /** PEM root CA(s); undefined = system roots. */
  rootCert?: Buffer;
  clientKey?: Buffer;
  clientCert?: Buffer;
}

export interface OtlpSinkOptions {
  /** host:port the gRPC channel targets. */
  target: string;
  /** The endpoint as configured, for messages and metrics. */
  endpoint: string;
  /** Where the endpoint came from. */
  source: 'config' | 'env';
  /** TLS settings, or null for plaintext. */
  tls: OtlpTls | null;
  /** gRPC metadata (OTEL_EXPORTER_OTLP_HEADERS). */
  headers: Record<string, string>;
  timeoutMs: number;
  compression: 'gzip' | 'none';
  /** Emit process.command_line (config.otlpCommandLine), sanitised by the built-in rules and these
   *  extra patterns (config.otlpCommandLineRedact). */
  commandLine: boolean;
  commandLineRedact: RegExp[];
  resource: { cluster: string; nodeName: string; hostName: string };
  /** Bound of the logs queue; on overflow the oldest queued logs are dropped. */
  logsQueueCapacity: number;
  /** Bound of the alerts queue; a full alert queue rejects the newest alert (counted). */
  alertsQueueCapacity: number;
  /** Records per export request. */
  batchSize: number;
  /** Wait at most this long to fill a logs batch. Alerts leave at once. */
  logsDelayMs: number;
  /** Concurrent log export requests (alerts: always 1, to keep order). */
  logsInflight: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** close(): deadline for delivering what is queued. */
  closeTimeoutMs: number;
  /** Problems with environment values that were ignored. */
  warnings: string[];
}

export const OTLP_DEFAULTS = {
  timeoutMs: 10_000,
  // Queued events are retained AgentEvents, ~2 KiB each with their strings. 65,536 absorbs a cold
  // start: bench/export at 100,000-102,000 events/s from cold lost 0 in four runs with 65,536 and
  // 675-14,466 with 32,768 (the first exports take ~270 ms while the peer warms up); the 60 s
  // outage test's RSS stayed at 237 MiB with 65,536 (231 with 32,768; 2026-12-04 19:30, after
  // the allocation work of that evening; earlier 65,536 had grown the heap to ~500 MiB). 16,384
  // was too shallow for the export's own bursts at 50,000 events/s.
  logsQueueCapacity: 65_536,
  alertsQueueCapacity: 32_768,
  batchSize: 2048,
  logsDelayMs: 200,
  // 3: at 100,000 events/s offered (bench/export, 2026-12-04 19:00) 3 in flight lost 17,000-29,000
  // records of 1,000,000 at the logs queue in four runs, 2 lost 23,000-95,000 in three, 4 lost
  // 40,000-47,000 in two (the collector's turn-around, not the agent's CPU, was the limit).
  logsInflight: 3,
  retryInitialMs: 250,
  // Bounds the time from a collector's return to the first export (one connect attempt per
  // lane per second while it is away).
  retryMaxMs: 1_000,
  closeTimeoutMs: 5_000,
} as const;

type Env = NodeJS.ProcessEnv;

interface ParsedEndpoint { target: string; scheme: 'http' | 'https' | 'none' }

/** Parse `http(s)://host:port[/]` or `host:port`; returns a reason string when invalid. */
export function parseEndpoint(raw: string): ParsedEndpoint | string {
  const s = raw.trim();
  if (!s) return 'empty';
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(s);
  let scheme: ParsedEndpoint['scheme'] = 'none';
  let url: URL;
  if (m) {
    const sc = m[1]!.toLowerCase();
    if (sc !== 'http' && sc !== 'https') return `unsupported scheme "${sc}" (use http:// or https://)`;
    scheme = sc;
  }
  try {
    url = new URL(m ? s : `https://${s}`);
  } catch {
    return 'not a URL (expected http://host:port, https://host:port or host:port)';
  }
  if (!url.hostname) return 'no host';
  if (url.pathname && url.pathname !== '/') return `gRPC endpoints take no path (got "${url.pathname}")`;
  if (url.search || url.hash || url.username) return 'unexpected query, fragment or credentials';
  const port = url.port || (scheme === 'http' ? '80' : '443');
  const host = url.hostname;
  return { target: `${host}:${port}`, scheme };
}

function pick(env: Env, suffix: string): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const key of [`OTEL_EXPORTER_OTLP_LOGS_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
    const v = env[key]?.trim();
    if (v) out.push({ key, value: v });
  }
  return out;
}

/** `k1=v1,k2=v2` with URL-encoded values (W3C baggage-like, OTLP exporter spec). */
export function parseHeaders(raw: string, key: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = raw.split(',');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const k = eq > 0 ? part.slice(0, eq).trim().toLowerCase() : '';
    if (!k || !/^[0-9a-z_.-]+$/.test(k)) {
      // The part may be a credential with a typo: name its position, never its text.
      warnings.push(`${key}: ignoring malformed entry ${i + 1} (expected key=value; its text is not printed)`);
      continue;
    }
    let v = part.slice(eq + 1).trim();
    try { v = decodeURIComponent(v); } catch { /* keep raw */ }
    out[k] = v;
  }
  return out;
}

function readPem(key: string, file: string, warnings: string[]): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    warnings.push(`${key}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); ignored`);
    return undefined;
  }
}

/**
 * Build the OTLP sink options. Returns null when neither config.otlpEndpoint nor an
 * OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT is set (no export; the agent still runs).
 * Throws OtlpConfigError for a bad config.otlpEndpoint.
 */
export function otlpOptionsFromConfig(config: AgentConfig, env: Env = process.env): OtlpSinkOptions | null {
  const warnings: string[] = [];
  let endpoint = '';
  let parsed: ParsedEndpoint | undefined;
  let source: OtlpSinkOptions['source'] = 'config';
  if (config.otlpEndpoint && config.otlpEndpoint.trim()) {
    const p = parseEndpoint(config.otlpEndpoint);
    if (typeof p === 'string') throw new OtlpConfigError('otlpEndpoint (--otlp-endpoint)', config.otlpEndpoint, p);
    endpoint = config.otlpEndpoint.trim();
    parsed = p;
  } else {
    source = 'env';
    for (const { key, value } of pick(env, 'ENDPOINT')) {
      const p = parseEndpoint(value);
      if (typeof p === 'string') { warnings.push(`${key}=${JSON.stringify(withoutCredentials(value))}: ${p}; ignored`); continue; }
      endpoint = value;
      parsed = p;
      break;
    }
  }
  if (!parsed) {
    for (const w of warnings) process.emitWarning(w, 'OtlpConfigWarning');
    return null;
  }

  let commandLineRedact: RegExp[];
  try {
    commandLineRedact = compileRedactPatterns(config.otlpCommandLineRedact ?? []);
  } catch (e) {
    const err = e as RedactPatternError;
    throw new OtlpConfigError('otlpCommandLineRedact (--otlp-command-line-redact)', err.pattern, err.reason);
  }

  let timeoutMs: number = OTLP_DEFAULTS.timeoutMs;
  for (const { key, value } of pick(env, 'TIMEOUT')) {
    if (/^\d+$/.test(value) && Number(value) > 0) { timeoutMs = Number(value); break; }
    warnings.push(`${key}=${JSON.stringify(value)}: expected a positive integer of milliseconds; ignored`);
  }
  let compression: OtlpSinkOptions['compression'] = 'none';
  for (const { key, value } of pick(env, 'COMPRESSION')) {
    const v = value.toLowerCase();
    if (v === 'gzip' || v === 'none') { compression = v; break; }
    warnings.push(`${key}=${JSON.stringify(value)}: expected gzip or none; ignored`);
  }
  let insecure = false;
  for (const { key, value } of pick(env, 'INSECURE')) {
    const v = value.toLowerCase();
    if (v === 'true' || v === 'false') { insecure = v === 'true'; break; }
    warnings.push(`${key}=${JSON.stringify(value)}: expected true or false; ignored`);
  }
  const headers: Record<string, string> = {};
  const hdrs = pick(env, 'HEADERS').reverse(); // generic first, signal-specific overrides
  for (const { key, value } of hdrs) Object.assign(headers, parseHeaders(value, key, warnings));

  let tls: OtlpTls | null = null;
  const plaintext = parsed.scheme === 'http' || (parsed.scheme === 'none' && insecure);
  if (!plaintext) {
    tls = {};
    const file = (suffix: string): Buffer | undefined => {
      for (const { key, value } of pick(env, suffix)) {
        const b = readPem(key, value, warnings);
        if (b) return b;
      }
      return undefined;
    };
    tls.rootCert = file('CERTIFICATE');
    const key = file('CLIENT_KEY');
    const cert = file('CLIENT_CERTIFICATE');
    if ((key === undefined) !== (cert === undefined)) {
      warnings.push('OTEL_EXPORTER_OTLP_[LOGS_]CLIENT_KEY and _CLIENT_CERTIFICATE must both be set; client authentication disabled');
    } else if (key && cert) {
      tls.clientKey = key;
      tls.clientCert = cert;
    }
  }

  return {
    ...OTLP_DEFAULTS,
    target: parsed.target,
    endpoint,
    source,
    tls,
    headers,
    timeoutMs,
    compression,
    commandLine: config.otlpCommandLine,
    commandLineRedact,
    resource: { cluster: config.cluster, nodeName: config.nodeName || os.hostname(), hostName: os.hostname() },
    warnings,
  };
}
