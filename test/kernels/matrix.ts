// The kernel matrix: each entry is a kernel (and boot-time LSM list) users run otelarmor on, with
// what otelarmor must do there. scripts/kernels.sh boots the VM entries (virtme-ng over this
// machine's root filesystem) and runs test/kernels/ in each, and on the host; the expectations
// below are the oracle of conformance.test.ts and the rows of docs/kernels.md. They state what
// each kernel has (from its BTF, tracefs and Kconfig), never what otelarmor's own probes find.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export type EnforcerModeName = 'bpf-lsm' | 'kill-on-attempt+cgroup' | 'audit-only';

export interface MatrixExpect {
  /** Build of the sensors object the agent must load (src/kernel/sensors.ts SensorsVariant). */
  variant: 'btf-cast' | 'probe-read';
  /** The capability sensor's hook (HOOK_CHOICES). */
  capHook: 'tracepoint capability/cap_capable' | 'fexit cap_capable';
  enforcer: EnforcerModeName;
  /** otelarmor_kernel_feature{feature} values. */
  features: Record<string, number>;
}

export interface MatrixEntry {
  name: string;
  /** Debian package whose kernel the VM boots; null for the host's own kernel. */
  package: string | null;
  /** Boot with "bpf" in lsm= (BPF-LSM active). */
  bpfLsm: boolean;
  /** Also run the whole test/kernel suite in this VM (the sensors are LSM-independent: once per kernel). */
  kernelSuite: boolean;
  expect: MatrixExpect;
}

const LSM_ON = 'lockdown,capability,landlock,bpf';
const LSM_OFF = 'lockdown,capability,landlock';

/** Kernel command-line lsm= of an entry's VM. */
export function lsmList(e: MatrixEntry): string {
  return e.bpfLsm ? LSM_ON : LSM_OFF;
}

// Debian 12's stock 6.1 LTS: no kfunc bpf_rdonly_cast (6.2), no d_shortname (6.14), no
// capability/cap_capable tracepoint (6.13); BPF trampolines, CONFIG_BPF_LSM=y and
// CONFIG_SECURITY_PATH=y.
const DEB61: Omit<MatrixExpect, 'enforcer'> = {
  variant: 'probe-read',
  capHook: 'fexit cap_capable',
  features: { kfunc_bpf_rdonly_cast: 0, dentry_d_shortname: 0, tracepoint_cap_capable: 0, fexit_cap_capable: 1 },
};
// Debian's 6.12 (bookworm-security, trixie): bpf_rdonly_cast, no d_shortname, no tracepoint.
const DEB612: Omit<MatrixExpect, 'enforcer'> = {
  variant: 'btf-cast',
  capHook: 'fexit cap_capable',
  features: { kfunc_bpf_rdonly_cast: 1, dentry_d_shortname: 0, tracepoint_cap_capable: 0, fexit_cap_capable: 1 },
};

export const MATRIX: readonly MatrixEntry[] = [
  { name: '6.1-bpflsm', package: 'linux-image-amd64', bpfLsm: true, kernelSuite: true, expect: { ...DEB61, enforcer: 'bpf-lsm' } },
  { name: '6.1', package: 'linux-image-amd64', bpfLsm: false, kernelSuite: false, expect: { ...DEB61, enforcer: 'kill-on-attempt+cgroup' } },
  { name: '6.12-bpflsm', package: 'linux-image-6.12-amd64', bpfLsm: true, kernelSuite: true, expect: { ...DEB612, enforcer: 'bpf-lsm' } },
  { name: '6.12', package: 'linux-image-6.12-amd64', bpfLsm: false, kernelSuite: false, expect: { ...DEB612, enforcer: 'kill-on-attempt+cgroup' } },
];

/**
 * The host entry: the machine running the matrix, whatever its kernel. Its expectations come from
 * independent oracles: bpftool's dump of the kernel BTF and its feature probe, tracefs, and the
 * active LSM list. BPF-LSM needs both "bpf" in that list and the lsm program type loading: this
 * development machine lists "bpf" but refuses BPF trampolines (EPERM), so it has no BPF-LSM.
 */
export function hostEntry(): MatrixEntry {
  const btf = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const cast = /\] FUNC 'bpf_rdonly_cast' /.test(btf);
  const shortname = /\] STRUCT 'dentry' size=\d+ vlen=\d+\n(?:\t.*\n)*?\t'd_shortname' /.test(btf);
  const tp = existsSync('/sys/kernel/tracing/events/capability/cap_capable');
  let lsms: string[] = [];
  try { lsms = readFileSync('/sys/kernel/security/lsm', 'utf8').trim().split(','); } catch { /* securityfs absent */ }
  const probe = execFileSync('bpftool', ['feature', 'probe', 'kernel'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const bpfLsm = lsms.includes('bpf') && probe.includes('program_type lsm is available');
  const features: Record<string, number> = { kfunc_bpf_rdonly_cast: cast ? 1 : 0, dentry_d_shortname: shortname ? 1 : 0, tracepoint_cap_capable: tp ? 1 : 0 };
  if (!tp) features.fexit_cap_capable = 1;
  return {
    name: 'host',
    package: null,
    bpfLsm,
    kernelSuite: false,
    expect: {
      variant: cast ? 'btf-cast' : 'probe-read',
      capHook: tp ? 'tracepoint capability/cap_capable' : 'fexit cap_capable',
      enforcer: bpfLsm ? 'bpf-lsm' : 'kill-on-attempt+cgroup',
      features,
    },
  };
}

/** The entry this process runs under: OTELARMOR_MATRIX_ENTRY (set by test/kernels/guest.sh), else the host. */
export function currentEntry(): MatrixEntry {
  const name = process.env.OTELARMOR_MATRIX_ENTRY ?? 'host';
  if (name === 'host') return hostEntry();
  const e = MATRIX.find((m) => m.name === name);
  if (!e) throw new Error(`OTELARMOR_MATRIX_ENTRY=${name}: not an entry of test/kernels/matrix.ts`);
  return e;
}
