// `otelarmor run` as a child process for the reliability tests: free loopback ports, readiness
// (/readyz 200 = hooks attached), Prometheus text scraping, RSS sampling, clean stop.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import * as path from 'node:path';
import { AGENT_NODE_FLAGS } from '../../src/node-flags';
import { ROOT } from '../helpers/env';
import { freePort, start, waitForHttp, type Child } from '../helpers/procs';

export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

export interface Agent {
  child: Child;
  pid: number;
  metricsUrl: string;
  grpcPort: number;
  healthPort: number;
  /** Sum of every sample of `name` whose labels include `labels` (0 when absent). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Raw /metrics text. */
  scrape(): Promise<string>;
  /** VmRSS of the agent in bytes. */
  rss(): number;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** Prometheus text → samples of `name` matching `labels`, summed. */
export function sumSamples(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[kv[1]!] = kv[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[4]);
  }
  return sum;
}

export async function startAgent(args: string[], opts: { env?: NodeJS.ProcessEnv; readyMs?: number } = {}): Promise<Agent> {
  const [metricsPort, grpcPort, healthPort] = [await freePort(), await freePort(), await freePort()];
  const has = (flag: string) => args.some((a) => a === flag || a.startsWith(`${flag}=`));
  const full = ['run', ...args];
  if (!has('--metrics-address')) full.push('--metrics-address', `127.0.0.1:${metricsPort}`);
  if (!has('--grpc-address')) full.push('--grpc-address', `127.0.0.1:${grpcPort}`);
  if (!has('--health-grpc-address')) full.push('--health-grpc-address', `127.0.0.1:${healthPort}`);
  if (!has('--k8s')) full.push('--k8s', 'off');
  const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '', ...opts.env };
  const child = start(process.execPath, [...AGENT_NODE_FLAGS, CLI, ...full], { env });
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  await waitForHttp(`${metricsUrl}/readyz`, opts.readyMs ?? 90_000, child);
  // /readyz turns 200 once hooks are attached; the gRPC servers and the drain start after that.
  for (const until = Date.now() + 30_000; !/otelarmor: running: /.test(child.stderr());) {
    if (Date.now() > until) throw new Error(`agent never printed "running:":\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const scrape = async () => (await fetch(`${metricsUrl}/metrics`)).text();
  const pid = child.proc.pid!;
  return {
    child,
    pid,
    metricsUrl,
    grpcPort,
    healthPort,
    scrape,
    async metric(name, labels) { return sumSamples(await scrape(), name, labels); },
    rss() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
    stop: (signal, graceMs) => child.stop(signal, graceMs),
  };
}

/** A KubeArmorHostPolicy for this node with one file rule (matchPaths). */
export function hostFilePolicy(name: string, file: string, action: 'Audit' | 'Block', hostName: string): string {
  return `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: ${name}
spec:
  nodeSelector:
    matchLabels:
      kubearmor.io/hostname: ${hostName}
  severity: 7
  message: reliability test
  file:
    matchPaths:
      - path: ${file}
  action: ${action}
`;
}

/** karmor JSON lines of a jsonl output file. */
export function readJsonl(file: string): Record<string, unknown>[] {
  let text = '';
  try { text = readFileSync(file, 'utf8'); } catch { return []; }
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Incremental reader of a growing jsonl output file: only new complete lines are parsed, and
 *  only those `keep` accepts are retained (a storm writes far more lines than a test needs). */
export class JsonlTail {
  private offset = 0;
  private rest = '';
  readonly kept: Record<string, unknown>[] = [];

  constructor(private readonly file: string, private readonly keep: (line: string) => boolean) {}

  /** Reads what was appended since the last call; returns every kept event so far. */
  poll(): Record<string, unknown>[] {
    let fd: number;
    try { fd = openSync(this.file, 'r'); } catch { return this.kept; }
    try {
      const buf = Buffer.alloc(1 << 20);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        const text = this.rest + buf.subarray(0, n).toString('utf8');
        const lines = text.split('\n');
        this.rest = lines.pop() ?? '';
        for (const l of lines) if (l.startsWith('{') && this.keep(l)) this.kept.push(JSON.parse(l) as Record<string, unknown>);
      }
    } finally {
      closeSync(fd);
    }
    return this.kept;
  }
}
