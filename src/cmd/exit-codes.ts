/** Process exit codes of every otelarmor command (documented in README, Usage, and docs/reliability.md). */
export const EXIT = {
  OK: 0,
  /** Runtime failure (could not start, lost a required peer, ...). */
  FAILURE: 1,
  /** Unknown command/flag or bad flag value. */
  USAGE: 2,
  /** Invalid input file: policy, Rego bundle, config, events file. */
  INVALID_INPUT: 3,
  /** A required kernel capability is missing (BPF load, tracefs, cgroup v2). */
  KERNEL: 4,
} as const;
