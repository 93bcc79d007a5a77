// A fixture /proc tree on disk with the files the process tree and container resolver read
// (stat, cmdline, exe/cwd symlinks, status NSpid, ns/pid, ns/mnt, cgroup), in the kernel's formats.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface FakeProc {
  pid: number;
  ppid: number;
  comm: string;
  exe: string;
  args: string[];
  cwd: string;
  ttyNr?: number;
  /** NSpid line values (host first); default [pid]. */
  nspid?: number[];
  pidNs?: number;
  mntNs?: number;
  cgroup?: string;
}

export const HOST_PID_NS = 4026531836;
export const HOST_MNT_NS = 4026531841;

export function makeProcRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'otelarmor-proc-'));
}

export function addProc(root: string, p: FakeProc): void {
  const dir = path.join(root, String(p.pid));
  fs.mkdirSync(path.join(dir, 'ns'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'stat'), `${p.pid} (${p.comm}) S ${p.ppid} ${p.pid} ${p.pid} ${p.ttyNr ?? 0} -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 100 1000 10\n`);
  fs.writeFileSync(path.join(dir, 'cmdline'), p.args.map((a) => `${a}\0`).join(''));
  fs.symlinkSync(p.exe, path.join(dir, 'exe'));
  fs.symlinkSync(p.cwd, path.join(dir, 'cwd'));
  fs.writeFileSync(path.join(dir, 'status'), `Name:\t${p.comm}\nTgid:\t${p.pid}\nPPid:\t${p.ppid}\nNSpid:\t${(p.nspid ?? [p.pid]).join('\t')}\n`);
  fs.symlinkSync(`pid:[${p.pidNs ?? HOST_PID_NS}]`, path.join(dir, 'ns', 'pid'));
  fs.symlinkSync(`mnt:[${p.mntNs ?? HOST_MNT_NS}]`, path.join(dir, 'ns', 'mnt'));
  fs.writeFileSync(path.join(dir, 'cgroup'), p.cgroup ?? '0::/user.slice/user-0.slice/session-1.scope\n');
}

export function removeProc(root: string, pid: number): void {
  fs.rmSync(path.join(root, String(pid)), { recursive: true, force: true });
}
