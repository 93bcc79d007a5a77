// Reading recorded events (karmor --json dialect lines, as `otelarmor run --output jsonl:PATH`
// writes them) back into AgentEvents for offline policy testing and recommendation.
import { readFileSync } from 'node:fs';
import type { AgentEvent, KubeArmorEvent } from '../events/types';
import { fromKarmorJson } from '../output/karmor-json';

export interface ReplayResult {
  events: AgentEvent[];
  /** `file:line N: reason` for lines that could not be read. */
  errors: string[];
}

/** Recorded alerts are turned back into the logs they came from, so that the policies under
 *  test decide afresh; AlertThreshold notices are skipped. */
export function readRecordedEvents(file: string): ReplayResult {
  const text = readFileSync(file, 'utf8');
  const events: AgentEvent[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let ka: KubeArmorEvent;
    try {
      ka = fromKarmorJson(line);
    } catch (e) {
      errors.push(`${file}:line ${i + 1}: ${(e as Error).message}`);
      return;
    }
    if (ka.Type === 'SystemEvent') return;
    if (ka.Type === 'MatchedPolicy' || ka.Type === 'MatchedHostPolicy') {
      ka.Type = ka.ContainerID ? 'ContainerLog' : 'HostLog';
      for (const k of ['PolicyName', 'Severity', 'Tags', 'ATags', 'Message', 'Action', 'Enforcer'] as const) delete ka[k];
    }
    const sys = /(?:^|\s)syscall=SYS_([A-Z0-9_]+)/.exec(ka.Data ?? '');
    const ts = BigInt(ka.Timestamp) * 1_000_000_000n;
    events.push({
      ka, timeNs: ts, observedNs: ts,
      extras: { syscall: sys ? (sys[1] as string).toLowerCase() : '', retval: 0, ancestry: [], pidNs: 0, mntNs: 0, cgroupId: '' },
    });
  });
  return { events, errors };
}
