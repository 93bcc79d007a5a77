// Start-up detection of the strongest enforcer the running kernel supports, by trying it for
// real (as KubeArmor's bpflsmprobe does), never by version checks:
//   bpf-lsm                 lsm.bpf.o loads and each of its programs attaches;
//   kill-on-attempt+cgroup  netblock.bpf.o loads (bpf_send_signal accepted in a raw tracepoint),
//                           its raw-tracepoint probe attaches and connect4 attaches to the
//                           cgroup v2 root;
//   audit-only              otherwise.
// Probe objects use their own (empty) maps and are closed before returning.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { binding, type LinkHandle, type ObjectHandle } from '../native/binding';
import { loadRetryingEagain, native } from '../native/errors';
import type { EnforcerDetection } from './mode';

export const BPF_OUTPUT_DIR = path.resolve(__dirname, '..', '..', '..', 'bpf', '.output');
export const LSM_OBJECT = 'lsm.bpf.o';
export const NETBLOCK_OBJECT = 'netblock.bpf.o';
export const LSM_PROGRAMS = [
  'oa_lsm_bprm_check', 'oa_lsm_file_open', 'oa_lsm_path_unlink', 'oa_lsm_path_rmdir', 'oa_lsm_path_chmod',
  'oa_lsm_path_chown', 'oa_lsm_path_mknod', 'oa_lsm_path_mkdir', 'oa_lsm_path_rename', 'oa_lsm_socket_connect', 'oa_lsm_capable',
] as const;
export const NETBLOCK_PROGRAMS = ['oa_nb_connect4', 'oa_nb_connect6', 'oa_nb_sendmsg4', 'oa_nb_sendmsg6', 'oa_nb_bind4', 'oa_nb_bind6'] as const;
export const NETBLOCK_PROBE_PROGRAM = 'oa_nb_probe_signal';
const LSM_LIST = '/sys/kernel/security/lsm';

export interface DetectOptions {
  /** 'audit' skips every probe (config key `enforcer`). */
  preference?: 'auto' | 'audit';
  /** Directory holding lsm.bpf.o and netblock.bpf.o; default bpf/.output. */
  objectDir?: string;
  /** cgroup v2 mount; default: the first cgroup2 entry of /proc/mounts. */
  cgroupRoot?: string;
}

/** Mount point of the cgroup v2 hierarchy (first cgroup2 line of /proc/mounts), or null. */
export function findCgroup2Root(mounts = '/proc/mounts'): string | null {
  let text: string;
  try {
    text = readFileSync(mounts, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[2] === 'cgroup2' && f[1]) return f[1].replace(/\\040/g, ' ');
  }
  return null;
}

/** Mounts securityfs when it is not (as KubeArmor does), so the active LSM list can be read. */
export function ensureSecurityfs(): void {
  if (existsSync(LSM_LIST)) return;
  try {
    execFileSync('mount', ['-t', 'securityfs', 'none', path.dirname(LSM_LIST)], { stdio: 'ignore' });
  } catch {
    /* activeLsms() then says the list is absent */
  }
}

/** Active LSMs from securityfs, or why they cannot be read. */
export function activeLsms(file = LSM_LIST): { list: string[] } | { error: string } {
  try {
    return { list: readFileSync(file, 'utf8').trim().split(',').filter((s) => s.length > 0) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? `${file} absent (securityfs not mounted)` : `${file} unreadable (${code ?? (e as Error).message})` };
  }
}

function errText(e: unknown): string {
  const err = e as Error & { code?: string };
  return err.code && !err.message.includes(err.code) ? `${err.message} (${err.code})` : err.message;
}

/** Loads `file`, attaches programs with `attach`, then tears everything down. Returns null on
 *  success or the first error's text. */
function tryObject(file: string, attach: (h: ObjectHandle) => LinkHandle[]): string | null {
  if (!existsSync(file)) return `${file} is missing (run make -C bpf)`;
  let b;
  try {
    b = binding();
  } catch (e) {
    return `native addon unavailable: ${errText(e)}`;
  }
  let h: ObjectHandle | null = null;
  const links: LinkHandle[] = [];
  try {
    const opened = loadRetryingEagain(() => b.objectOpen(file, { rodata: null, mapMaxEntries: null, reuseMaps: null, autoload: null }), (o) => b.objectLoad(o), (o) => b.objectClose(o));
    h = opened;
    links.push(...attach(opened));
    return null;
  } catch (e) {
    return `${path.basename(file)}: ${errText(e)}`;
  } finally {
    for (const l of links) b.linkDestroy(l);
    if (h) b.objectClose(h);
  }
}

/** Why BPF-LSM hooks would never run here, or null when "bpf" is an active LSM. With
 *  CONFIG_BPF_LSM=y the lsm programs load and attach whatever lsm= says, but the kernel calls
 *  them only when "bpf" is in the active list (kernels booted without it: measured on 6.1). */
export function lsmInactive(): string | null {
  ensureSecurityfs();
  const lsms = activeLsms();
  if ('error' in lsms) return `BPF-LSM state unknown: ${lsms.error}`;
  return lsms.list.includes('bpf') ? null : `"bpf" is not an active LSM (active: ${lsms.list.join(',') || 'none'}; boot with lsm=...,bpf): lsm programs would load but never run`;
}

/** Probes BPF-LSM. null = usable, else the reason it is not. */
export function probeLsm(objectDir = BPF_OUTPUT_DIR): string | null {
  const inactive = lsmInactive();
  if (inactive) return inactive;
  const lsms = activeLsms();
  const err = tryObject(path.join(objectDir, LSM_OBJECT), (h) =>
    LSM_PROGRAMS.map((p) => native(() => binding().programAttach(h, p), p)),
  );
  if (err === null) return null;
  const listed = 'list' in lsms ? `active LSMs: ${lsms.list.join(',') || 'none'}${lsms.list.includes('bpf') ? '' : ' (no "bpf")'}` : lsms.error;
  return `${err}; ${listed}`;
}

/** Probes tracepoint + bpf_send_signal + cgroup sock_addr attach. null = usable. */
export function probeKillOnAttempt(objectDir = BPF_OUTPUT_DIR, cgroupRoot: string | null = findCgroup2Root()): string | null {
  if (cgroupRoot === null) return 'no cgroup v2 hierarchy in /proc/mounts';
  return tryObject(path.join(objectDir, NETBLOCK_OBJECT), (h) => [
    native(() => binding().programAttach(h, NETBLOCK_PROBE_PROGRAM), NETBLOCK_PROBE_PROGRAM),
    native(() => binding().programAttachCgroup(h, 'oa_nb_connect4', cgroupRoot), 'oa_nb_connect4'),
  ]);
}

/** The strongest usable enforcer and why; never throws. */
export async function detectEnforcer(opts: DetectOptions = {}): Promise<EnforcerDetection> {
  if (opts.preference === 'audit') return { mode: 'audit-only', reason: 'configured: enforcer audit' };
  const dir = opts.objectDir ?? BPF_OUTPUT_DIR;
  const lsmErr = probeLsm(dir);
  if (lsmErr === null) return { mode: 'bpf-lsm', reason: `BPF-LSM programs load and attach (${LSM_PROGRAMS.join(', ')})` };
  const cg = opts.cgroupRoot ?? findCgroup2Root();
  const killErr = probeKillOnAttempt(dir, cg);
  if (killErr === null) {
    return {
      mode: 'kill-on-attempt+cgroup',
      reason: `BPF-LSM unavailable: ${lsmErr}; using SIGKILL from tracepoints and cgroup sock_addr programs on ${cg}`,
    };
  }
  return { mode: 'audit-only', reason: `BPF-LSM unavailable: ${lsmErr}; kill-on-attempt unavailable: ${killErr}` };
}
