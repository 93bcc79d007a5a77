// Shared set-up of the sensors-*.test.ts suites: one loaded KernelSensors with host visibility
// for every category, a record log, tester-program runs from test/progs/build, and NsShell, a
// shell inside private pid + mount namespaces (a container without a runtime).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Op, type KernelRecord } from '../../src/events/record';
import { KernelSensors, type KernelSensorsOptions } from '../../src/kernel/sensors';
import { requireFile, requireRoot, ROOT } from '../helpers/env';

export interface RunResult {
  pid: number;
  code: number | null;
  /** stdout lines "<op> <ret>" of the tester. */
  lines: string[];
}

export const ALL_CATEGORIES = ['process', 'file', 'network', 'capabilities', 'syscall'] as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function nsInode(pid: number, ns: 'pid' | 'mnt'): number {
  const m = /\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/ns/${ns}`));
  return m ? Number(m[1]) : 0;
}

/**
 * `/bin/sh` as pid 1 of new pid + mount namespaces (unshare --pid --mount --fork --mount-proc).
 * It runs one command line at a time (`run`), each as its own child process, and stays alive in
 * between, so the namespaces (and their visibility key) outlive a single tester.
 */
export class NsShell {
  private out = '';
  private constructor(
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
    /** Host pid of the namespace's init (the shell). */
    readonly initPid: number,
    readonly pidNs: number,
    readonly mntNs: number,
  ) {
    child.stdout.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  static async start(ctx: Mocha.Context): Promise<NsShell> {
    return NsShell.spawn(ctx, ['-c', 'echo __ready; while read -r line; do eval "$line"; echo "__done $?"; done']);
  }

  /**
   * One tester as the namespaces' init: the shell waits for a line, then execs the tester, so
   * every record of that process after `setup` (which sees the namespace inodes first) is the
   * tester's own. Resolves when it exited, without waiting for records.
   */
  static async exec(
    ctx: Mocha.Context, file: string, args: string[], setup: (pidNs: number, mntNs: number) => void | Promise<void>,
  ): Promise<RunResult & { pidNs: number; mntNs: number }> {
    const sh = await NsShell.spawn(ctx, ['-c', 'echo __ready; read x; exec "$0" "$@"', file, ...args]);
    await setup(sh.pidNs, sh.mntNs);
    const closed = new Promise<number | null>((res) => {
      if (sh.child.exitCode !== null) res(sh.child.exitCode);
      else sh.child.on('close', (c) => res(c));
    });
    sh.child.stdin.end('go\n');
    const code = await closed;
    return { pid: sh.initPid, code, lines: sh.out.trim().split('\n').filter((l) => l.length > 0), pidNs: sh.pidNs, mntNs: sh.mntNs };
  }

  private static async spawn(ctx: Mocha.Context, shArgs: string[]): Promise<NsShell> {
    requireFile(ctx, '/usr/bin/unshare');
    const child = spawn('/usr/bin/unshare', ['--pid', '--mount', '--fork', '--mount-proc', '/bin/sh', ...shArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
    const pid = child.pid ?? -1;
    for (let i = 0; i < 200; i++) {
      let kids = '';
      try {
        kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      } catch {
        /* not there yet */
      }
      const init = Number(kids.split(' ')[0]);
      if (init > 0 && nsInode(init, 'pid') !== nsInode(process.pid, 'pid')) {
        const sh = new NsShell(child, init, nsInode(init, 'pid'), nsInode(init, 'mnt'));
        // The shell is past its start-up (unshare's mount of /proc, the exec) and about to block
        // in read: from here on the namespaces only do what the test asks.
        for (let j = 0; j < 500 && !sh.out.includes('__ready\n'); j++) await sleep(10);
        if (!sh.out.includes('__ready\n')) break;
        sh.out = sh.out.replace('__ready\n', '');
        return sh;
      }
      await sleep(10);
    }
    child.kill('SIGKILL');
    throw new Error('unshare: no shell ready in a new pid namespace');
  }

  /** Runs one shell command line inside the namespaces; resolves with its stdout lines. */
  async run(line: string): Promise<{ code: number; lines: string[] }> {
    this.out = '';
    this.child.stdin.write(`${line}\n`);
    for (let i = 0; i < 500; i++) {
      const m = /(?:^|\n)__done (\d+)\n/.exec(this.out);
      if (m) {
        const lines = this.out.slice(0, m.index).split('\n').filter((l) => l.length > 0);
        return { code: Number(m[1]), lines };
      }
      await sleep(10);
    }
    throw new Error(`ns shell: no result for ${line}`);
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await new Promise<void>((res) => {
      if (this.child.exitCode !== null) res();
      else this.child.on('close', () => res());
    });
  }
}

/**
 * A tester's exit record travels in the priority ring, its file/network/... records in the main
 * ring, and a drain round reads the main ring before the priority ring: the exit record can be
 * seen while the tester's last main-ring records are still in the kernel ring (committed after
 * that round's main read; the next round may be a 50 ms poll period away) or queued for JS.
 * Resolves once everything committed before the call has reached the record log (KernelSensors
 * .flush); fails the test after 5 s.
 */
export async function settleHandoff(sensors: KernelSensors): Promise<void> {
  if (!(await sensors.flush(5000))) throw new Error('settleHandoff: the drain did not flush within 5 s');
}

export class SensorsHarness {
  readonly records: KernelRecord[] = [];

  private constructor(readonly sensors: KernelSensors) {}

  /** Gates on root and built artefacts, loads + attaches everything, makes the host visible. */
  static async open(ctx: Mocha.Context, opts: Partial<KernelSensorsOptions> = {}): Promise<SensorsHarness> {
    requireRoot(ctx);
    requireFile(ctx, 'bpf/.output/sensors.bpf.o');
    requireFile(ctx, 'native/build/otelarmor.node');
    requireFile(ctx, 'test/progs/build/fileops');
    const s = KernelSensors.open({ ringbufBytes: 16 * 1024 * 1024, ...opts });
    const h = new SensorsHarness(s);
    const failed = s.attachAll().filter((r) => !r.attached);
    if (failed.length > 0) {
      await s.stop();
      throw new Error(`attach failed: ${failed.map((f) => `${f.program}: ${f.error}`).join('; ')}`);
    }
    s.setVisibility(0, 0, ALL_CATEGORIES);
    await s.attachSettled();
    s.start((recs) => {
      for (const r of recs) h.records.push(r);
    });
    return h;
  }

  static prog(name: string): string {
    return path.join(ROOT, 'test', 'progs', 'build', name);
  }

  /** Runs a tester and waits until its process-exit record has been decoded. */
  async run(name: string, args: string[], opts: { cwd?: string } = {}): Promise<RunResult> {
    await this.sensors.attachSettled(); // demand groups wanted again attach after their detach
    const child = spawn(SensorsHarness.prog(name), args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    const pid = child.pid ?? -1;
    await this.waitFor((r) => r.op === Op.ProcessExit && r.tgid === pid, `exit record of ${name} (${pid})`);
    await settleHandoff(this.sensors);
    return { pid, code, lines: out.trim().split('\n').filter((l) => l.length > 0) };
  }

  /** Runs a tester to completion without waiting for records (its exit may be invisible). */
  async runNoWait(name: string, args: string[]): Promise<RunResult> {
    await this.sensors.attachSettled();
    const child = spawn(SensorsHarness.prog(name), args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    return { pid: child.pid ?? -1, code, lines: out.trim().split('\n').filter((l) => l.length > 0) };
  }

  /** Resolves once `pid` has printed `lines()` === `n` lines and sleeps in syscall `nr`
   *  (/proc/PID/syscall); rejects after 5 s. */
  static async blockedIn(pid: number, nr: number, n: number, lines: () => number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      let sc = '';
      try { sc = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8'); } catch { /* not yet */ }
      if (lines() === n && sc.startsWith(`${nr} `)) return;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`tester ${pid} not blocked in syscall ${nr} after ${n} lines`);
  }

  /** Resolves once a record matches; rejects after 5 s (the drain period is 50 ms). */
  async waitFor(pred: (r: KernelRecord) => boolean, what: string): Promise<KernelRecord> {
    for (let i = 0; i < 100; i++) {
      const r = this.records.find(pred);
      if (r) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  of(pid: number, op?: Op): KernelRecord[] {
    return this.records.filter((r) => r.tgid === pid && (op === undefined || r.op === op));
  }

  async close(): Promise<void> {
    await this.sensors.stop();
  }
}
