// otelarmor_probe_attached{program} from the kernel sensors' attach reports
// (KernelSensors.onAttachChange): 1 attached, 0 failed to load or attach, -1 not attached on
// purpose (the generic syscall pair while no policy needs it, a demand group of
// src/kernel/sensors.ts while no visibility entry or rule wants its category). A series never disappears (the SDK
// keeps reporting the last value of an observable gauge's attribute set), so "not needed" is a
// value of its own: alerts on == 0 do not count it as a missing hook.
import type { AgentMetrics } from './metrics';

export interface AttachReport { program: string; attached: boolean; error: string | null }

export const PROBE_NOT_NEEDED = -1;

export function recordAttach(metrics: AgentMetrics, r: AttachReport): void {
  metrics.gauges.probeAttached.set(r.program, r.attached ? 1 : r.error !== null ? 0 : PROBE_NOT_NEEDED);
}
