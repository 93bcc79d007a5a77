// Recorded events as JSON lines: {"ka": KubeArmorEvent, "extras": EventExtras, "timeNs"?: "<decimal>",
// "observedNs"?: "<decimal>"} (bigints as decimal strings). Used by `rules eval`, fixtures and bench.
import type { AgentEvent, EventExtras, KubeArmorEvent } from '../events/types';

export function parseEventLine(line: string): AgentEvent {
  const o = JSON.parse(line) as { ka?: KubeArmorEvent; extras?: EventExtras; timeNs?: string | number; observedNs?: string | number };
  if (typeof o.ka !== 'object' || o.ka === null) throw new Error('field "ka": missing (want {"ka": {...}, "extras": {...}})');
  if (typeof o.ka.Operation !== 'string') throw new Error('field "ka.Operation": missing');
  const extras = o.extras ?? { syscall: '', retval: 0, ancestry: [], pidNs: 0, mntNs: 0, cgroupId: '0' };
  if (typeof extras !== 'object') throw new Error('field "extras": must be an object');
  return {
    ka: o.ka,
    extras,
    timeNs: BigInt(o.timeNs ?? 0),
    observedNs: BigInt(o.observedNs ?? 0),
  };
}

export function eventLine(e: AgentEvent): string {
  return JSON.stringify({ ka: e.ka, extras: e.extras, timeNs: e.timeNs.toString(), observedNs: e.observedNs.toString() });
}
