// Real OpenTelemetry Collector (otelcol-otelarmor, built with ocb) for the OTLP end-to-end tests:
// started from otel/collector-test.yaml on a free port, writing OTLP-JSON lines to a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ROOT } from '../helpers/env';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class TestCollector {
  private proc: ChildProcess | null = null;
  stderr = '';

  constructor(readonly bin: string, readonly port: number, readonly file: string,
    readonly config = path.join(ROOT, 'otel', 'collector-test.yaml'), readonly env: Record<string, string> = {}) {}

  async start(): Promise<void> {
    this.proc = spawn(this.bin, [`--config=${this.config}`], {
      env: { ...process.env, ...this.env, OTELARMOR_TEST_OTLP_PORT: String(this.port), OTELARMOR_TEST_OTLP_FILE: this.file },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc.stderr?.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`collector exited ${this.proc.exitCode}: ${this.stderr}`);
      if (await canConnect(this.port)) return;
      await sleep(50);
    }
    throw new Error(`collector did not listen on ${this.port}: ${this.stderr}`);
  }

  /** SIGTERM and wait for exit (the file exporter flushes on shutdown). */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => { p.once('exit', () => resolve()); p.kill('SIGTERM'); });
    this.proc = null;
  }
}

export type AnyValue =
  | { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean }
  | { arrayValue: { values: AnyValue[] } } | { kvlistValue: unknown };

interface KV { key: string; value: AnyValue }

export interface OtlpJsonRecord {
  resource: Record<string, AnyValue>;
  scope: { name?: string; version?: string };
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue;
  eventName?: string;
  attributes: Record<string, AnyValue>;
  attributeKeys: string[];
}

const kvs = (a: KV[] | undefined) => Object.fromEntries((a ?? []).map((kv) => [kv.key, kv.value]));

/** Every log record in the collector's OTLP-JSON file, in file order. */
export function readOtlpFile(file: string): OtlpJsonRecord[] {
  if (!existsSync(file)) return [];
  const out: OtlpJsonRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let req: { resourceLogs?: { resource?: { attributes?: KV[] }; scopeLogs?: { scope?: { name?: string; version?: string }; logRecords?: (Omit<OtlpJsonRecord, 'resource' | 'scope' | 'attributes' | 'attributeKeys'> & { attributes?: KV[] })[] }[] }[] };
    try { req = JSON.parse(line); } catch { continue; } // a line being written
    for (const rl of req.resourceLogs ?? []) {
      const resource = kvs(rl.resource?.attributes);
      for (const sl of rl.scopeLogs ?? []) {
        for (const r of sl.logRecords ?? []) {
          out.push({ ...r, resource, scope: sl.scope ?? {}, attributes: kvs(r.attributes), attributeKeys: (r.attributes ?? []).map((a) => a.key) });
        }
      }
    }
  }
  return out;
}

/** Poll the file until `n` records are there (or the deadline passes). */
export async function waitForRecords(file: string, n: number, timeoutMs = 15_000): Promise<OtlpJsonRecord[]> {
  const deadline = Date.now() + timeoutMs;
  let recs = readOtlpFile(file);
  while (recs.length < n && Date.now() < deadline) {
    await sleep(100);
    recs = readOtlpFile(file);
  }
  return recs;
}
