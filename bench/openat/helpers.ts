// Cost of one BPF helper call (or the direct BTF loads that replace it) on this kernel, warm:
// helpers.bpf.c runs each operation 64 times per getppid(2) between two clock readings; the
// loop's own cost (mode 0) is subtracted. The sensors read task facts by direct loads where
// these numbers show a helper is dear (bpf/lib/common.h hdr__fill). Usage (root):
//   make -C bench/openat && node dist/bench/openat/helpers.js [getppid calls]
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { binding } from '../../src/native/binding';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const OBJ = path.join(ROOT, 'bench', 'openat', 'build', 'helpers.bpf.o');
const TRIGGER = path.join(ROOT, 'bench', 'openat', 'build', 'getppid');
const CALLS = Number(process.argv[2] ?? 20000);
const MODES: Record<number, string> = {
  0: '(loop, map lookup, task pointer)',
  1: 'bpf_ktime_get_boot_ns',
  2: 'bpf_get_current_comm',
  3: 'task->comm, 16 bytes by direct loads',
  4: 'bpf_get_current_cgroup_id',
  5: 'task->cgroups->dfl_cgrp->kn->id',
  6: 'bpf_get_current_pid_tgid + _uid_gid',
  7: 'task->tgid, pid, cred->uid, gid',
  8: 'bpf_probe_read_kernel 8 B',
  9: '4 chained BTF pointer loads',
  10: 'bpf_probe_read_kernel 256 B',
  11: 'bpf_probe_read_kernel_str (comm)',
  12: 'hash map lookup, 8 B key',
  13: 'bpf_task_storage_get',
  14: 'bpf_ringbuf_reserve + discard 624 B',
  15: 'bpf_ringbuf_query',
  16: 'bpf_task_pt_regs + 2 loads',
  17: 'bpf_get_current_task_btf (a 2nd call)',
  18: 'bpf_get_current_pid_tgid',
};

async function measure(mode: number): Promise<number> {
  const nb = binding();
  const m = Buffer.alloc(4);
  m.writeUInt32LE(mode);
  const o = nb.objectOpen(OBJ, { rodata: { mode: m }, mapMaxEntries: null, reuseMaps: null, autoload: null });
  try {
    nb.objectLoad(o);
    const link = nb.programAttach(o, 'helpers');
    execFileSync(TRIGGER, [String(CALLS)]);
    const bss = nb.mapLookup(o, '.bss', Buffer.alloc(4));
    await nb.linksDestroy([link]);
    if (!bss) throw new Error('helpers.bpf.o: no .bss');
    return Number(bss.readBigUInt64LE(mode * 8)) / Number(bss.readBigUInt64LE(256 + mode * 8));
  } finally {
    nb.objectClose(o);
  }
}

async function main(): Promise<void> {
  const base = await measure(0);
  console.log(`ns per operation, warm, ${CALLS} x 64 runs each (loop cost ${base.toFixed(1)} ns subtracted):`);
  for (const mode of Object.keys(MODES).map(Number).filter((x) => x > 0)) {
    console.log(`  ${MODES[mode]!.padEnd(40)} ${((await measure(mode)) - base).toFixed(1)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
