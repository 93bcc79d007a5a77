// Builds and runs the Go programs of test/go (KubeArmor's published stubs) for the e2e tests.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { IN_CI, ROOT } from '../helpers/env';

export const GO_MODULE_DIR = path.join(ROOT, 'test', 'go');
export const GO_BIN_DIR = path.join(ROOT, 'dist', 'go-bin');
export const KA_PROTOBUF_MODULE = 'github.com/kubearmor/KubeArmor/protobuf';
const VERSIONS_ENV = path.join(ROOT, 'scripts', 'versions.env');
const GO_MOD = path.join(GO_MODULE_DIR, 'go.mod');

let built: { kaclient: string; kaserver: string } | undefined;

/** KUBEARMOR_PROTOBUF_VERSION of scripts/versions.env (text given), or undefined. */
export function pinnedProtobufVersion(versionsEnv: string): string | undefined {
  return /^KUBEARMOR_PROTOBUF_VERSION=(\S+)\s*$/m.exec(versionsEnv)?.[1];
}

/** The version test/go/go.mod (text given) requires for KubeArmor's protobuf module, or undefined. */
export function requiredProtobufVersion(goMod: string): string | undefined {
  const esc = KA_PROTOBUF_MODULE.replace(/[.]/g, '\\.');
  return new RegExp(`^\\s*(?:require\\s+)?${esc}\\s+(\\S+)`, 'm').exec(goMod)?.[1];
}

/**
 * Problem with the stub pin, or null: go.mod must require KubeArmor's protobuf module at exactly
 * scripts/versions.env KUBEARMOR_PROTOBUF_VERSION (the stubs the compatibility tests stand on).
 */
export function protobufPinProblem(goMod: string, versionsEnv: string): string | null {
  const want = pinnedProtobufVersion(versionsEnv);
  if (!want) return `${VERSIONS_ENV}: no KUBEARMOR_PROTOBUF_VERSION=<version> line`;
  const have = requiredProtobufVersion(goMod);
  if (!have) return `${GO_MOD}: does not require ${KA_PROTOBUF_MODULE} (want ${want} from ${VERSIONS_ENV})`;
  if (have !== want) {
    return `${GO_MOD}: requires ${KA_PROTOBUF_MODULE} ${have}, but ${VERSIONS_ENV} pins KUBEARMOR_PROTOBUF_VERSION=${want}; ` +
      `change one to match (go mod edit -require=${KA_PROTOBUF_MODULE}@${want} && go mod tidy in test/go)`;
  }
  return null;
}

/**
 * `go build` kaclient and kaserver into dist/go-bin (Go's build cache makes repeats cheap) with
 * -mod=readonly: go.mod/go.sum are used as committed, never rewritten; the modules come from the
 * module cache, else from GOPROXY (the environment's). GOTOOLCHAIN=local: no toolchain download.
 * Fails when go.mod does not pin KubeArmor's stubs at KUBEARMOR_PROTOBUF_VERSION, or when the built
 * binaries link another version. Skips the test outside CI when Go is missing; fails under CI=true.
 */
export function buildGoTools(ctx: Mocha.Context): { kaclient: string; kaserver: string } {
  if (built) return built;
  const problem = protobufPinProblem(readFileSync(GO_MOD, 'utf8'), readFileSync(VERSIONS_ENV, 'utf8'));
  if (problem) throw new Error(problem);
  const env = { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false', GOTOOLCHAIN: 'local' };
  const r = spawnSync('go', ['build', '-o', GO_BIN_DIR + path.sep, './cmd/...'], { cwd: GO_MODULE_DIR, encoding: 'utf8', env });
  if (r.error) {
    if (IN_CI) throw new Error(`required in CI but unavailable: go (${r.error.message})`);
    ctx.skip();
  }
  if (r.status !== 0) throw new Error(`go build (-mod=readonly) in ${GO_MODULE_DIR} failed:\n${r.stderr}`);
  const tools = { kaclient: path.join(GO_BIN_DIR, 'kaclient'), kaserver: path.join(GO_BIN_DIR, 'kaserver') };
  const want = pinnedProtobufVersion(readFileSync(VERSIONS_ENV, 'utf8'))!;
  for (const bin of Object.values(tools)) {
    // `go version -m` lists the modules linked into the binary: "\tdep\t<module>\t<version>\t<sum>".
    const v = spawnSync('go', ['version', '-m', bin], { encoding: 'utf8', env });
    const linked = new RegExp(`^\\s*dep\\s+${KA_PROTOBUF_MODULE.replace(/[.]/g, '\\.')}\\s+(\\S+)`, 'm').exec(v.stdout)?.[1];
    if (linked !== want) throw new Error(`${bin} links ${KA_PROTOBUF_MODULE} ${linked ?? '(none)'}, want ${want} (scripts/versions.env)`);
  }
  built = tools;
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
