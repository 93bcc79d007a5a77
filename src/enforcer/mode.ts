// Enforcer modes, as reported by the otelarmor.enforcer_mode gauge and the start-up line, and the
// oa_enforce map value each one puts into the kernel (bpf/include/rules.h OA_ENF_*).

export type EnforcerMode = 'bpf-lsm' | 'kill-on-attempt+cgroup' | 'audit-only';

/** Every mode, in preference order. */
export const ENFORCER_MODES: readonly EnforcerMode[] = ['bpf-lsm', 'kill-on-attempt+cgroup', 'audit-only'];

/** oa_enforce[0] values (bpf/include/rules.h). */
export const EnforceValue = {
  /** Nothing is killed or denied; rule matches are only flagged. */
  Audit: 0,
  /** Sensors SIGKILL the caller on a Block verdict; netblock denies sock_addr operations. */
  Kill: 1,
  /** lsm.bpf.c denies with EACCES; sensors only flag (netblock also denies). */
  Lsm: 2,
} as const;

export function enforceValue(mode: EnforcerMode): number {
  if (mode === 'bpf-lsm') return EnforceValue.Lsm;
  if (mode === 'kill-on-attempt+cgroup') return EnforceValue.Kill;
  return EnforceValue.Audit;
}

export interface EnforcerDetection {
  mode: EnforcerMode;
  /** Why this mode: the real error of every better mode that was tried. */
  reason: string;
}
