// File records (bpf/file.bpf.c) → KubeArmor "File" events. Data per syscall
// (monitor/logUpdate.go; the chmod/lchown/fchown/openat2 shapes extend the same pattern):
//   open      syscall=SYS_OPEN flags=<O_*|...>
//   openat    syscall=SYS_OPENAT fd=<dirfd> flags=<O_*|...>        (openat2 likewise, SYS_OPENAT2)
//   unlink    syscall=SYS_UNLINK               rmdir  syscall=SYS_RMDIR
//   unlinkat  syscall=SYS_UNLINKAT flags=<AT_REMOVEDIR or empty>
//   chown     syscall=SYS_CHOWN userid=<uid> group=<gid>           (lchown, fchown likewise)
//   fchownat  syscall=SYS_FCHOWNAT userid=<uid> group=<gid> mode=<n>   (n = the 5th argument, the
//             AT_* flags word, in decimal: KubeArmor prints fchownat's flags under the key "mode")
//   chmod     syscall=SYS_CHMOD mode=<n>    fchmod syscall=SYS_FCHMOD fd=<fd> mode=<n>
//   fchmodat  syscall=SYS_FCHMODAT fd=<dirfd> mode=<n>
// Resource = the path argument made absolute against the caller's cwd (AT_FDCWD) or the dirfd's
// directory (read from /proc/<pid>/fd while the task lives).
import * as fs from 'node:fs';
import type { FileRecord } from '../events/record';
import type { EventExtras } from '../events/types';
import { AT_FDCWD, unlinkAtFlagString } from '../format/at-flags';
import { openFlagNames } from '../format/open-flags';
import { syscallName, syscallNumber } from '../format/syscalls';
import { absolutePath, isInt, type HandlerContext, type HandlerResult } from './common';

function baseDir(rec: FileRecord, ctx: HandlerContext): string {
  const atCall = rec.syscall === 'openat' || rec.syscall === 'openat2' || rec.syscall === 'unlinkat'
    || rec.syscall === 'fchownat' || rec.syscall === 'fchmodat';
  if (!atCall || rec.dirfd === AT_FDCWD) return rec.cwd || ctx.node?.cwd || '';
  try {
    return fs.readlinkSync(`${ctx.tree.procRoot}/${rec.tgid}/fd/${rec.dirfd}`);
  } catch {
    return '';
  }
}

/** `syscall=SYS_<NAME>` of each file syscall name, built on first use. */
const sysText = new Map<string, string | undefined>();
function sysPrefix(syscall: string): string | undefined {
  let t = sysText.get(syscall);
  if (t === undefined && !sysText.has(syscall)) {
    const nr = syscallNumber(syscall);
    t = nr === undefined ? undefined : `syscall=${syscallName(nr)}`;
    sysText.set(syscall, t);
  }
  return t;
}

interface OpenText { names: string[]; data: string }
const OPEN_TEXTS_MAX = 4096;
let openTextCount = 0;
/** Flag names and Data of open calls by Data prefix → flags → dirfd: few triples recur. The
 *  names arrays are shared by the events (read-only, like every string array on an event). */
const openTexts = new Map<string, Map<number, Map<number, OpenText>>>();

function openText(sys: string, open: boolean, flags: number, dirfd: number): OpenText {
  if (openTextCount >= OPEN_TEXTS_MAX) { openTexts.clear(); openTextCount = 0; }
  let byFlags = openTexts.get(sys);
  if (!byFlags) openTexts.set(sys, (byFlags = new Map()));
  let byFd = byFlags.get(flags);
  if (!byFd) byFlags.set(flags, (byFd = new Map()));
  let t = byFd.get(dirfd);
  if (!t) {
    const names = openFlagNames(flags);
    t = { names, data: open ? `${sys} flags=${names.join('|')}` : `${sys} fd=${dirfd} flags=${names.join('|')}` };
    openTextCount++;
    byFd.set(dirfd, t);
  }
  return t;
}

export function handleFile(rec: FileRecord, ctx: HandlerContext): HandlerResult {
  if (typeof rec.path !== 'string' || typeof rec.syscall !== 'string' || !isInt(rec.ret)) return 'file_fields';
  const sys = sysPrefix(rec.syscall);
  if (sys === undefined) return 'file_syscall';
  const abs = absolutePath(rec.path, baseDir(rec, ctx));
  const extras: Partial<EventExtras> = { path: abs };
  let data: string;
  switch (rec.syscall) {
    case 'open':
    case 'openat':
    case 'openat2': {
      const t = openText(sys, rec.syscall === 'open', rec.flags, rec.dirfd);
      data = t.data;
      extras.openFlags = rec.flags;
      extras.openFlagNames = t.names;
      if (rec.flags & 0o100 || rec.flags & 0o20000000) extras.mode = rec.mode;
      extras.fileOwnerUid = rec.fileOwnerUid;
      break;
    }
    case 'unlink':
    case 'rmdir':
      data = sys;
      break;
    case 'unlinkat':
      data = `${sys} flags=${unlinkAtFlagString(rec.flags)}`;
      break;
    case 'chown':
    case 'lchown':
      data = `${sys} userid=${rec.ownerUid} group=${rec.ownerGid}`;
      break;
    case 'fchown':
      data = `${sys} fd=${rec.dirfd} userid=${rec.ownerUid} group=${rec.ownerGid}`;
      break;
    case 'fchownat':
      data = `${sys} userid=${rec.ownerUid} group=${rec.ownerGid} mode=${rec.flags}`;
      break;
    case 'chmod':
      data = `${sys} mode=${rec.mode}`;
      extras.mode = rec.mode;
      break;
    case 'fchmod':
    case 'fchmodat':
      data = `${sys} fd=${rec.dirfd} mode=${rec.mode}`;
      extras.mode = rec.mode;
      break;
    case 'mkdir':
      data = `${sys} mode=${rec.mode}`;
      break;
    case 'mkdirat':
      data = `${sys} fd=${rec.dirfd} mode=${rec.mode}`;
      break;
    case 'rename':
      data = sys;
      break;
    case 'renameat':
    case 'renameat2':
      data = `${sys} fd=${rec.dirfd} flags=${rec.flags}`;
      break;
    default:
      return 'file_syscall';
  }
  return {
    operation: 'File',
    resource: abs,
    data,
    ret: rec.ret,
    syscall: rec.syscall,
    cwd: rec.cwd || undefined,
    extras,
  };
}
