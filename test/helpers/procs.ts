// Child processes for end-to-end tests: free loopback ports, waiting for HTTP readiness, and
// tear-down that never leaves a process behind.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Child {
  proc: ChildProcess;
  /** stdout + stderr interleaved, the last 1 MiB. */
  output(): string;
  /** stderr alone, the last 1 MiB: the agent's start-up and shutdown lines, which a busy
   *  stdout (events) would push out of output(). */
  stderr(): string;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** Spawns a process, capturing stdout+stderr (bounded to the last 1 MiB). */
export function start(cmd: string, args: string[], opts: SpawnOptions = {}): Child {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  let err = '';
  const keep = (b: Buffer) => { out = (out + b.toString('utf8')).slice(-(1 << 20)); };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.stderr?.on('data', (b: Buffer) => { err = (err + b.toString('utf8')).slice(-(1 << 20)); });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    output: () => out,
    stderr: () => err,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `url` until it answers 200 or `timeoutMs` passes; throws with the child's output. */
export async function waitForHttp(url: string, timeoutMs: number, child?: Child): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (child && (child.proc.exitCode !== null || child.proc.signalCode !== null)) {
      throw new Error(`process exited (${child.proc.exitCode ?? child.proc.signalCode}) before ${url} answered:\n${child.output()}`);
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})${child ? `:\n${child.output()}` : ''}`);
}
