// KubeArmor time renderings: `Timestamp` = unix seconds, `UpdatedTime` = UTC with microseconds in
// Go layout "2006-01-02T15:04:05.000000Z" (common.GetDateTimeNow).

/** Unix seconds (floor) of a wall-clock nanosecond time. */
export function unixSeconds(wallNs: bigint): number {
  return Number(wallNs / 1_000_000_000n);
}

/** "2026-07-24T12:13:20.123456Z" from wall-clock nanoseconds (truncated to µs). */
export function updatedTime(wallNs: bigint): string {
  const ms = Number(wallNs / 1_000_000n);
  const us = Number((wallNs / 1000n) % 1000n);
  const iso = new Date(ms).toISOString(); // 2026-07-24T12:13:20.123Z
  return `${iso.slice(0, 23)}${String(us).padStart(3, '0')}Z`;
}
