// Syscall records (bpf/syscalls.bpf.c) → KubeArmor events (monitor/logUpdate.go):
//   setuid/setgid  Operation Syscall, Resource "", Data "syscall=SYS_SETUID userid=<n>" (setgid uses
//                  the same "userid=" key in KubeArmor)
//   mount          Operation Syscall, Data "syscall=SYS_MOUNT source=<s> target=<t> filesystem=<fs> mountflag=<n> data="
//                  (the data argument is not captured: always empty)
//   umount2        Operation Syscall, Data "syscall=SYS_UMOUNT target=<t> flag=<n>" (kubearmor-compat.md
//                  §3.7: KubeArmor hooks x86_64 umount2 as its "umount" syscall and prints SYS_UMOUNT;
//                  extras.syscall keeps the kernel name "umount2")
//   ptrace         Operation Process, Resource <target exec path>,
//                  Data "syscall=SYS_PTRACE request=PTRACE_* pid=<pid> process=<target exec path>"
//   any other      Operation Syscall, Resource "", Data "syscall=SYS_<NAME>" (filter-map syscalls)
import type { SyscallRecord } from '../events/record';
import { ptraceRequestName } from '../format/ptrace';
import { syscallBaseName, syscallName } from '../format/syscalls';
import { isInt, type HandlerContext, type HandlerResult } from './common';

const NR_PTRACE = 101;
const NR_SETUID = 105;
const NR_SETGID = 106;
const NR_MOUNT = 165;
const NR_UMOUNT2 = 166;

function i32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

export function handleSyscall(rec: SyscallRecord, ctx: HandlerContext): HandlerResult {
  if (!isInt(rec.nr) || !isInt(rec.ret) || !Array.isArray(rec.args) || rec.args.length < 6 || !Array.isArray(rec.strs)) {
    return 'syscall_fields';
  }
  const sys = `syscall=${syscallName(rec.nr)}`;
  const name = syscallBaseName(rec.nr) ?? String(rec.nr);
  const a = rec.args;
  const base = { ret: rec.ret, syscall: name };
  switch (rec.nr) {
    case NR_SETUID:
    case NR_SETGID:
      return { ...base, operation: 'Syscall', resource: '', data: `${sys} userid=${i32(a[0]!)}` };
    case NR_MOUNT:
      return {
        ...base,
        operation: 'Syscall',
        resource: '',
        data: `${sys} source=${rec.strs[0] ?? ''} target=${rec.strs[1] ?? ''} filesystem=${rec.strs[2] ?? ''} mountflag=${i32(a[3]!)} data=`,
        extras: { path: rec.strs[1] ?? '' },
      };
    case NR_UMOUNT2:
      return {
        ...base,
        operation: 'Syscall',
        resource: '',
        data: `syscall=SYS_UMOUNT target=${rec.strs[0] ?? ''} flag=${i32(a[1]!)}`,
        extras: { path: rec.strs[0] ?? '' },
      };
    case NR_PTRACE: {
      const req = Number(BigInt.asUintN(32, a[0]!));
      const pid = i32(a[1]!);
      // The pid argument is in the caller's pid namespace.
      const node = ctx.node;
      let target = node ? ctx.tree.findByNsPid(node.pidNs, pid) : undefined;
      if (!target && (!node || node.nsTgid === node.tgid)) target = ctx.tree.get(pid);
      const binary = target?.exe ?? '';
      return {
        ...base,
        operation: 'Process',
        resource: binary,
        data: `${sys} request=${ptraceRequestName(req)} pid=${pid} process=${binary}`,
        extras: binary ? { path: binary } : {},
      };
    }
    default:
      return { ...base, operation: 'Syscall', resource: '', data: sys };
  }
}
