// KubeArmor time renderings: `Timestamp` = unix seconds, `UpdatedTime` = UTC with microseconds in
// Go layout "2006-01-02T15:04:05.000000Z" (common.GetDateTimeNow).
// Events arrive in time order: the second they fall in is kept (its start in ns, its number and
// its "2006-01-02T15:04:05." text), so most events cost one range check and the µs digits.

const NS_PER_S = 1_000_000_000n;
let secStartNs = 1n; // empty range until the first call
let secEndNs = 0n;
let secNumber = 0;
let secText = '';

function enterSecond(wallNs: bigint): void {
  const sec = wallNs >= 0n ? wallNs / NS_PER_S : (wallNs - NS_PER_S + 1n) / NS_PER_S; // floor
  secStartNs = sec * NS_PER_S;
  secEndNs = secStartNs + NS_PER_S;
  secNumber = Number(sec);
  secText = new Date(secNumber * 1000).toISOString().slice(0, 20); // 2026-07-24T12:13:20.
}

/** Unix seconds (floor) of a wall-clock nanosecond time. */
export function unixSeconds(wallNs: bigint): number {
  if (wallNs < secStartNs || wallNs >= secEndNs) enterSecond(wallNs);
  return secNumber;
}

/** "2026-07-24T12:13:20.123456Z" from wall-clock nanoseconds (truncated to µs). */
export function updatedTime(wallNs: bigint): string {
  if (wallNs < secStartNs || wallNs >= secEndNs) enterSecond(wallNs);
  const us = Math.floor(Number(wallNs - secStartNs) / 1000);
  return `${secText}${us < 100000 ? String(us).padStart(6, '0') : us}Z`;
}
