// Turns the kernel sensors' cumulative counters (KernelSensors.stats()) into the agent's metrics:
// each call records the increase since the previous call. Losses by stage:
//   kernel   reason "args_lost_<op>" syscall events without usable enter args: stored before a
//                                    detach, or not storable (oa_counters.args_lost)
//   ringbuf  reason "full_<op>"     records lost because no ring had room (oa_drops, per op)
//            reason "handoff"        records drained but not handed to JS (drain thread closing)
//   decode   reason <DecodeErrorReason> records the decoder rejected
//   pipeline reason "callback_error" records whose batch callback threw
// and the gauges ringbuf_fill_ratio / ringbuf_alert_lane_fill_ratio.
import { Op } from '../events/record';
import type { AgentMetrics } from '../metrics/metrics';
import type { KernelSensorsStats } from './sensors';

const OP_NAMES: Record<number, string> = {
  [Op.ProcessExec]: 'exec',
  [Op.ProcessFork]: 'fork',
  [Op.ProcessExit]: 'exit',
  [Op.File]: 'file',
  [Op.Network]: 'network',
  [Op.Capability]: 'capability',
  [Op.Syscall]: 'syscall',
  [Op.TaskState]: 'task',
};

export class KernelStatsRecorder {
  private readonly seen = new Map<string, number>();

  constructor(private readonly metrics: AgentMetrics) {}

  /** Records what grew since the last call; never throws. */
  record(st: KernelSensorsStats): void {
    for (const [op, n] of Object.entries(st.kernelDropsByOp)) {
      this.delta('ringbuf', `full_${OP_NAMES[Number(op)] ?? `op${op}`}`, n ?? 0);
    }
    for (const [op, c] of Object.entries(st.countersByOp)) {
      if (c && c.argsLost > 0) this.delta('kernel', `args_lost_${OP_NAMES[Number(op)] ?? `op${op}`}`, c.argsLost);
    }
    this.delta('ringbuf', 'handoff', st.lostHandoff);
    for (const [reason, n] of Object.entries(st.decodeErrors)) this.delta('decode', reason, n ?? 0);
    this.delta('pipeline', 'callback_error', st.callbackErrors);
    this.metrics.gauges.ringbufFillRatio = st.ringbufFillRatio;
    this.metrics.gauges.alertRingFillRatio = st.alertRingFillRatio;
  }

  private delta(stage: 'kernel' | 'ringbuf' | 'decode' | 'pipeline', reason: string, total: number): void {
    const key = `${stage}/${reason}`;
    const d = total - (this.seen.get(key) ?? 0);
    if (d > 0) {
      this.metrics.dropped(stage, reason, d);
      this.seen.set(key, total);
    }
  }
}
