// Container attribution from /proc/<pid>/cgroup, cached per (pid ns, mnt ns) like KubeArmor's
// NsMap. A task in the pid namespace of /proc/1 is a host task.
//
// cgroup file lines are "hierarchy-ID:controller-list:cgroup-path" (v1) or "0::/path" (v2).
// Container ids are 64 lower-case hex chars in the last path components that carry one:
//   containerd (k8s, systemd driver)  .../kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope
//   containerd (k8s, cgroupfs driver) /kubepods/burstable/pod<uid>/<id>
//   cri-o                             .../crio-<id>.scope   (crio-conmon-<id>.scope is the monitor, not the container)
//   docker                            /system.slice/docker-<id>.scope, /docker/<id>
//   podman                            /machine.slice/libpod-<id>.scope[/container], /libpod_parent/libpod-<id>
//                                     (libpod-conmon-<id>.scope is the monitor)
import * as fs from 'node:fs';
import * as path from 'node:path';

export type ContainerRuntime = 'containerd' | 'cri-o' | 'docker' | 'podman' | 'unknown';

export interface CgroupContainer {
  id: string;
  runtime: ContainerRuntime;
}

const SEGMENT = /^(?:(cri-containerd|crio|docker|libpod)-)?([0-9a-f]{64})(?:\.scope)?$/;

function runtimeOf(prefix: string | undefined, parents: string[]): ContainerRuntime {
  switch (prefix) {
    case 'cri-containerd': return 'containerd';
    case 'crio': return 'cri-o';
    case 'docker': return 'docker';
    case 'libpod': return 'podman';
  }
  if (parents.includes('docker')) return 'docker';
  if (parents.some((p) => p === 'kubepods' || p.startsWith('kubepods'))) return 'containerd';
  return 'unknown';
}

/** Container id in one cgroup path, deepest component first; undefined when none. */
export function containerFromCgroupPath(p: string): CgroupContainer | undefined {
  const segs = p.split('/').filter((s) => s !== '');
  for (let i = segs.length - 1; i >= 0; i--) {
    const m = SEGMENT.exec(segs[i]!);
    if (m) return { id: m[2]!, runtime: runtimeOf(m[1], segs.slice(0, i)) };
  }
  return undefined;
}

/** Container id from the full text of /proc/<pid>/cgroup (v2 line preferred, then v1 lines). */
export function containerFromCgroupFile(text: string): CgroupContainer | undefined {
  const lines = text.split('\n').filter((l) => l !== '');
  const paths: string[] = [];
  for (const line of lines) {
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    const p = line.slice(b + 1);
    if (line.startsWith('0::')) paths.unshift(p);
    else paths.push(p);
  }
  for (const p of paths) {
    const c = containerFromCgroupPath(p);
    if (c) return c;
  }
  return undefined;
}

export interface Attribution {
  host: boolean;
  containerId?: string;
  runtime?: ContainerRuntime;
}

/** include/linux/proc_ns.h: inode number of init_pid_ns (bpf/include/events.h OA_PROC_PID_INIT_INO). */
export const PROC_PID_INIT_INO = 0xeffffffc;

export interface ContainerResolverOptions {
  procRoot?: string;
  /** Pid namespace inode of the host; default: the initial pid namespace (PROC_PID_INIT_INO),
   *  the same constant the sensors use to pick the host visibility key. */
  hostPidNs?: number;
  maxEntries?: number;
  /** A (pidns,mntns) with no container found is re-checked after this long (the task may join its cgroup later). */
  negativeTtlMs?: number;
  now?: () => number;
}

interface CacheEntry {
  att: Attribution;
  expiresMs: number;
}

const HOST: Attribution = Object.freeze({ host: true });

export class ContainerResolver {
  readonly procRoot: string;
  readonly hostPidNs: number;
  private readonly cache = new Map<string, CacheEntry>();
  /** The entry of the last pair resolved through the cache. */
  private last: { pidNs: number; mntNs: number; entry: CacheEntry } | undefined;
  private readonly maxEntries: number;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;

  constructor(opts: ContainerResolverOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.maxEntries = opts.maxEntries ?? 4096;
    this.negativeTtlMs = opts.negativeTtlMs ?? 1000;
    this.now = opts.now ?? Date.now;
    // Not /proc/1/ns/pid: init may be unreadable even to root (EACCES under some VM inits), and
    // the kernel side decides "host" by this constant (bpf/include/events.h).
    this.hostPidNs = opts.hostPidNs ?? PROC_PID_INIT_INO;
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  /**
   * Attribute a task: host when it is in the host pid namespace, else the container of its cgroup.
   * `fallbackTgids` (e.g. the parent, which shares the cgroup unless moved) are read when the task
   * itself has already exited by the time its record is enriched.
   */
  resolve(tgid: number, pidNs: number, mntNs: number, fallbackTgids: readonly number[] = []): Attribution {
    if (pidNs === this.hostPidNs || pidNs === 0) return HOST;
    const now = this.now();
    // Events come in runs from one container: the last pair's answer, while it is valid.
    const last = this.last;
    if (last !== undefined && last.pidNs === pidNs && last.mntNs === mntNs && last.entry.expiresMs > now) return last.entry.att;
    const key = `${pidNs}:${mntNs}`;
    const hit = this.cache.get(key);
    if (hit && hit.expiresMs > now) { this.last = { pidNs, mntNs, entry: hit }; return hit.att; }
    let text: string | undefined;
    for (const t of [tgid, ...fallbackTgids]) {
      if (t <= 0) continue;
      try {
        text = fs.readFileSync(path.join(this.procRoot, String(t), 'cgroup'), 'utf8');
        break;
      } catch {
        text = undefined;
      }
    }
    if (text === undefined) {
      // Every candidate exited: keep what was known, and do not retry on each event of the pair.
      const att = hit?.att ?? { host: false };
      this.cache.delete(key);
      this.cache.set(key, { att, expiresMs: now + this.negativeTtlMs });
      return att;
    }
    const c = containerFromCgroupFile(text);
    const att: Attribution = c ? { host: false, containerId: c.id, runtime: c.runtime } : { host: false };
    this.cache.delete(key);
    this.cache.set(key, { att, expiresMs: c ? Number.POSITIVE_INFINITY : now + this.negativeTtlMs });
    if (this.cache.size > this.maxEntries) {
      const first = this.cache.keys().next();
      if (!first.done) this.cache.delete(first.value);
    }
    return att;
  }

  /** Forget a namespace pair (container gone). */
  forget(pidNs: number, mntNs: number): void {
    this.last = undefined;
    this.cache.delete(`${pidNs}:${mntNs}`);
  }
}

