// User-space process tree keyed by host tgid: exec path, argv, cwd, tty and namespace ids per
// process. Seeded from /proc at start, then maintained from exec/fork/exit records. Exited
// entries stay for `exitGraceMs` because records of an exiting task can still be in the ring
// buffer behind its exit record; the map is bounded (oldest exited evicted first, then oldest).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ProcNode {
  tgid: number;
  ppid: number;
  nsTgid: number;
  nsPpid: number;
  /** Exec path (mm->exe_file path); "" when unknown. */
  exe: string;
  /** argv including argv[0]. */
  args: string[];
  /** cwd with no trailing slash ("/" for the root); "" when unknown. */
  cwd: string;
  tty: string;
  comm: string;
  pidNs: number;
  mntNs: number;
  /** KubeArmor ExecEvent.ExecID: set when the process setns()-ed into a container's pid namespace
   *  (kubectl/docker exec, nsenter), inherited by children at fork; "0" otherwise (and for
   *  processes seeded from /proc). */
  execId: string;
  /** Date.now() when the exit record arrived; 0 while alive. */
  exitedAtMs: number;
}

export interface ProcTreeOptions {
  /** /proc mount to seed from and to fall back to (tests point it at a fixture directory). */
  procRoot?: string;
  maxSize?: number;
  exitGraceMs?: number;
  now?: () => number;
}

/** Kernel tty_struct name from /proc/<pid>/stat tty_nr (major 136–143: pts; 4: tty/ttyS). */
export function ttyName(ttyNr: number): string {
  if (ttyNr === 0) return '';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5 && minor === 1) return 'console';
  return '';
}

function nsInode(link: string): number {
  // readlink /proc/<pid>/ns/pid → "pid:[4026531836]"
  const m = /\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : 0;
}

/** Read one process from a /proc tree; undefined when it is gone or unreadable. */
export function readProcNode(procRoot: string, tgid: number): ProcNode | undefined {
  const dir = path.join(procRoot, String(tgid));
  let stat: string;
  try {
    stat = fs.readFileSync(path.join(dir, 'stat'), 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session tty_nr ..."; comm may contain spaces and parens.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const comm = stat.slice(open + 1, close);
  const rest = stat.slice(close + 2).split(' ');
  const ppid = Number(rest[1] ?? 0);
  const ttyNr = Number(rest[4] ?? 0);
  const read = (f: string, fn: (p: string) => string): string => {
    try {
      return fn(path.join(dir, f));
    } catch {
      return '';
    }
  };
  let exe = read('exe', (p) => fs.readlinkSync(p));
  if (exe.endsWith(' (deleted)')) exe = exe.slice(0, -' (deleted)'.length);
  const cmdline = read('cmdline', (p) => fs.readFileSync(p, 'latin1'));
  const args = cmdline === '' ? [] : Buffer.from(cmdline, 'latin1').toString('utf8').replace(/\0$/, '').split('\0');
  const cwd = read('cwd', (p) => fs.readlinkSync(p));
  const status = read('status', (p) => fs.readFileSync(p, 'utf8'));
  let nsTgid = tgid;
  let nsPpid = ppid;
  const nspid = /^NSpid:\s*(.*)$/m.exec(status);
  if (nspid) {
    const ids = nspid[1]!.trim().split(/\s+/);
    nsTgid = Number(ids[ids.length - 1]);
  }
  const pidNs = nsInode(read('ns/pid', (p) => fs.readlinkSync(p)));
  const mntNs = nsInode(read('ns/mnt', (p) => fs.readlinkSync(p)));
  if (nsTgid !== tgid) {
    // Namespaced ppid: the parent's id in this process's pid namespace (0 when outside it).
    const pst = read(path.join('..', String(ppid), 'status'), (p) => fs.readFileSync(p, 'utf8'));
    const pns = /^NSpid:\s*(.*)$/m.exec(pst);
    const pidsNs = read(path.join('..', String(ppid), 'ns', 'pid'), (p) => fs.readlinkSync(p));
    if (pns && nsInode(pidsNs) === pidNs) {
      const ids = pns[1]!.trim().split(/\s+/);
      nsPpid = Number(ids[ids.length - 1]);
    } else {
      nsPpid = 0;
    }
  }
  return { tgid, ppid, nsTgid, nsPpid, exe, args, cwd, tty: ttyName(ttyNr), comm, pidNs, mntNs, execId: '0', exitedAtMs: 0 };
}

export class ProcessTree {
  private readonly nodes = new Map<number, ProcNode>();
  /** Bumped by every change an ancestry can see: entries added or removed, ppid, exe, comm. */
  private gen = 0;
  private lastAncestry: { tgid: number; max: number; gen: number; out: string[] } | undefined;
  /** Exit order queue of [tgid, exitedAtMs]; stale entries (re-used pid) are skipped on reap. */
  private exited: Array<[number, number]> = [];
  private exitedHead = 0;
  readonly procRoot: string;
  readonly maxSize: number;
  readonly exitGraceMs: number;
  private readonly now: () => number;

  constructor(opts: ProcTreeOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.maxSize = opts.maxSize ?? 65536;
    this.exitGraceMs = opts.exitGraceMs ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Read every numeric /proc entry. Returns the number of processes added. */
  seedFromProc(): number {
    let names: string[];
    try {
      names = fs.readdirSync(this.procRoot);
    } catch {
      return 0;
    }
    let n = 0;
    for (const name of names) {
      if (!/^\d+$/.test(name)) continue;
      if (this.nodes.size >= this.maxSize) break;
      const node = readProcNode(this.procRoot, Number(name));
      if (!node) continue;
      this.nodes.set(node.tgid, node);
      n++;
    }
    return n;
  }

  /** The node of a tgid without touching /proc. */
  peek(tgid: number): ProcNode | undefined {
    return this.nodes.get(tgid);
  }

  /** The node of a tgid, read from /proc on a miss (process started before we saw its fork). */
  get(tgid: number): ProcNode | undefined {
    const n = this.nodes.get(tgid);
    if (n) return n;
    if (tgid <= 0) return undefined;
    const r = readProcNode(this.procRoot, tgid);
    if (r) this.insert(r);
    return r;
  }

  /** Find a live node by its id inside a given pid namespace (ptrace targets are namespaced). */
  findByNsPid(pidNs: number, nsTgid: number): ProcNode | undefined {
    for (const n of this.nodes.values()) if (n.pidNs === pidNs && n.nsTgid === nsTgid && n.exitedAtMs === 0) return n;
    return undefined;
  }

  /** Parent exec paths, nearest first, bounded. */
  ancestry(tgid: number, max = 8): string[] {
    // Events come in runs from one process: the last answer stands while nothing that an
    // ancestry reads (entries, ppid, exe, comm) has changed since (`gen`).
    const last = this.lastAncestry;
    if (last !== undefined && last.tgid === tgid && last.max === max && last.gen === this.gen) return last.out;
    const out = this.walkAncestry(tgid, max);
    this.lastAncestry = { tgid, max, gen: this.gen, out: Object.freeze(out) as string[] };
    return out;
  }

  private walkAncestry(tgid: number, max: number): string[] {
    const out: string[] = [];
    const seen = new Set<number>([tgid]);
    let cur = this.nodes.get(tgid);
    while (cur && out.length < max) {
      const p = cur.ppid;
      if (p <= 0 || seen.has(p)) break;
      seen.add(p);
      const pn = this.get(p);
      if (!pn) break;
      out.push(pn.exe || pn.comm);
      cur = pn;
    }
    return out;
  }

  onFork(parentTgid: number, childTgid: number, childNsTgid: number, parentNsTgid: number): ProcNode {
    const parent = this.get(parentTgid);
    const child: ProcNode = {
      tgid: childTgid,
      ppid: parentTgid,
      nsTgid: childNsTgid,
      nsPpid: childNsTgid === childTgid ? parentTgid : parentNsTgid,
      exe: parent?.exe ?? '',
      args: parent?.args ?? [],
      cwd: parent?.cwd ?? '',
      tty: parent?.tty ?? '',
      comm: parent?.comm ?? '',
      pidNs: parent?.pidNs ?? 0,
      mntNs: parent?.mntNs ?? 0,
      execId: parent?.execId ?? '0',
      exitedAtMs: 0,
    };
    this.insert(child);
    return child;
  }

  onExec(tgid: number, exe: string, args: string[], cwd: string, tty: string, comm: string): ProcNode {
    let n = this.nodes.get(tgid);
    if (!n) {
      n = { tgid, ppid: 0, nsTgid: tgid, nsPpid: 0, exe, args, cwd, tty, comm, pidNs: 0, mntNs: 0, execId: '0', exitedAtMs: 0 };
      this.insert(n);
    }
    n.exe = exe;
    n.args = args;
    if (cwd) n.cwd = cwd;
    n.tty = tty;
    n.comm = comm;
    n.exitedAtMs = 0;
    this.gen++;
    return n;
  }

  onExit(tgid: number): void {
    const n = this.nodes.get(tgid);
    if (!n) return;
    n.exitedAtMs = this.now();
    this.exited.push([tgid, n.exitedAtMs]);
  }

  /** Refresh ids that the kernel states on every record of the task. */
  touch(n: ProcNode, ppid: number, nsTgid: number, nsPpid: number, pidNs: number, mntNs: number, comm: string): void {
    if (ppid > 0 && n.ppid !== ppid) { n.ppid = ppid; this.gen++; }
    n.nsTgid = nsTgid;
    n.nsPpid = nsPpid;
    if (pidNs) n.pidNs = pidNs;
    if (mntNs) n.mntNs = mntNs;
    if (comm && !n.comm) { n.comm = comm; this.gen++; }
  }

  /** Drop exited entries older than the grace period. Returns how many were removed. */
  reap(): number {
    const limit = this.now() - this.exitGraceMs;
    let removed = 0;
    while (this.exitedHead < this.exited.length) {
      const [tgid, at] = this.exited[this.exitedHead]!;
      if (at > limit) break;
      this.exitedHead++;
      const n = this.nodes.get(tgid);
      if (n && n.exitedAtMs === at) {
        this.nodes.delete(tgid);
        this.gen++;
        removed++;
      }
    }
    if (this.exitedHead > 1024 && this.exitedHead * 2 > this.exited.length) {
      this.exited = this.exited.slice(this.exitedHead);
      this.exitedHead = 0;
    }
    return removed;
  }

  private insert(n: ProcNode): void {
    this.gen++;
    this.nodes.delete(n.tgid);
    this.nodes.set(n.tgid, n);
    if (this.nodes.size > this.maxSize) this.evict();
  }

  /** Bound the map: oldest exited entry first, else the least recently inserted one. */
  private evict(): void {
    this.gen++;
    while (this.nodes.size > this.maxSize && this.exitedHead < this.exited.length) {
      const [tgid, at] = this.exited[this.exitedHead++]!;
      const n = this.nodes.get(tgid);
      if (n && n.exitedAtMs === at) this.nodes.delete(tgid);
    }
    if (this.nodes.size > this.maxSize) {
      const first = this.nodes.keys().next();
      if (!first.done) this.nodes.delete(first.value);
    }
  }
}
