// Alert throttling per container {pidNs, mntNs} as KubeArmor's feeder (alert_throttling.md):
// at most maxAlertPerSec alerts in a one-second window; the first alert over the limit is
// replaced by one SystemEvent/AlertThreshold notice and alerts are dropped for throttleSec.
// Windows are whole seconds of the injected clock (KubeArmor compares Unix seconds).

export type ThrottleDecision = 'pass' | 'notice' | 'drop';

interface State {
  count: number;
  first: number;
  throttled: boolean;
}

export class AlertThrottle {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly maxPerSec: number,
    private readonly throttleSec: number,
    private readonly nowMs: () => number,
  ) {}

  check(pidNs: number, mntNs: number): ThrottleDecision {
    const now = Math.floor(this.nowMs() / 1000);
    const key = `${pidNs}:${mntNs}`;
    const s = this.states.get(key);
    if (!s) {
      if (this.states.size >= 65536) this.prune(now);
      this.states.set(key, { count: 1, first: now, throttled: false });
      return this.maxPerSec < 1 ? this.start(key, now) : 'pass';
    }
    if (s.throttled) {
      if (now - s.first < this.throttleSec) return 'drop';
      s.throttled = false;
      s.count = 1;
      s.first = now;
      return 'pass';
    }
    if (now - s.first >= 1) {
      s.count = 1;
      s.first = now;
      return 'pass';
    }
    s.count++;
    if (s.count > this.maxPerSec) return this.start(key, now);
    return 'pass';
  }

  private start(key: string, now: number): ThrottleDecision {
    const s = this.states.get(key);
    if (s) { s.throttled = true; s.first = now; }
    return 'notice';
  }

  private prune(now: number): void {
    for (const [k, s] of this.states) {
      if (now - s.first >= Math.max(1, this.throttleSec)) this.states.delete(k);
    }
  }
}
