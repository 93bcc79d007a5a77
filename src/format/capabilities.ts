// Linux capability numbers (include/uapi/linux/capability.h) → "CAP_*" names.

const CAPS: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** "CAP_NET_RAW"; an unknown number renders as its decimal (getCapabilityName). */
export function capabilityName(cap: number): string {
  return CAPS[cap] ?? String(cap);
}

/** Policy spelling: lower case without "CAP_" ("net_raw"); decimal when unknown. */
export function capabilityPolicyName(cap: number): string {
  const n = CAPS[cap];
  return n === undefined ? String(cap) : n.slice(4).toLowerCase();
}

/** Number for "CAP_NET_RAW" / "net_raw" (any case), or undefined. */
export function capabilityNumber(name: string): number | undefined {
  const up = name.toUpperCase();
  const i = CAPS.indexOf(up.startsWith('CAP_') ? up : `CAP_${up}`);
  return i < 0 ? undefined : i;
}
