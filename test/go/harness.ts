// Builds and runs the Go programs of test/go (KubeArmor's published stubs) for the e2e tests.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { IN_CI, ROOT } from '../helpers/env';

export const GO_MODULE_DIR = path.join(ROOT, 'test', 'go');
export const GO_BIN_DIR = path.join(ROOT, 'dist', 'go-bin');

let built: { kaclient: string; kaserver: string } | undefined;

/**
 * `go build` kaclient and kaserver into dist/go-bin (Go's build cache makes repeats cheap).
 * Skips the test outside CI when Go is missing; fails under CI=true.
 */
export function buildGoTools(ctx: Mocha.Context): { kaclient: string; kaserver: string } {
  if (built) return built;
  const r = spawnSync('go', ['build', '-o', GO_BIN_DIR + path.sep, './cmd/...'], {
    cwd: GO_MODULE_DIR,
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod -buildvcs=false' },
  });
  if (r.error) {
    if (IN_CI) throw new Error(`required in CI but unavailable: go (${r.error.message})`);
    ctx.skip();
  }
  if (r.status !== 0) throw new Error(`go build in ${GO_MODULE_DIR} failed:\n${r.stderr}`);
  built = { kaclient: path.join(GO_BIN_DIR, 'kaclient'), kaserver: path.join(GO_BIN_DIR, 'kaserver') };
  return built;
}

/** A child process whose stdout is collected as lines. */
export class Proc {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: { pred: (l: string[]) => boolean; resolve: () => void }[] = [];
  readonly child: ChildProcessWithoutNullStreams;

  constructor(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
    this.child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd });
    let buf = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      this.check();
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d: string) => { this.stderr += d; });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => {
        if (buf) this.lines.push(buf);
        this.check();
        resolve(code);
      });
    });
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.pred(this.lines)) { w.resolve(); return false; }
      return true;
    });
  }

  /** Resolves once pred(lines) holds; rejects after timeoutMs with the output so far. */
  waitFor(pred: (lines: string[]) => boolean, timeoutMs = 20000, what = 'condition'): Promise<void> {
    if (pred(this.lines)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${what}; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      this.waiters.push({ pred, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  waitLine(prefix: string, timeoutMs = 20000): Promise<string> {
    return this.waitFor((l) => l.some((x) => x.startsWith(prefix)), timeoutMs, `a line starting with "${prefix}"`)
      .then(() => this.lines.find((x) => x.startsWith(prefix))!);
  }

  kill(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** Poll until pred() holds (for server-side state such as a client having attached). */
export async function until(pred: () => boolean, timeoutMs = 20000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
