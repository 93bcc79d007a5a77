// OTLP log export. createOtlpSink(otlpOptionsFromConfig(config, env), metrics) → EventSink | null.
import type { AgentMetrics } from '../metrics/metrics';
import type { EventSink } from '../pipeline/sink';
import type { OtlpSinkOptions } from './options';
import { OtlpSink } from './sink';

export { otlpOptionsFromConfig, OtlpConfigError, OTLP_DEFAULTS, parseEndpoint } from './options';
export type { OtlpSinkOptions } from './options';
export { OtlpSink, EXPORT_DROP_REASONS } from './sink';
export { toLogRecord, summaryOf, attributesOf, EVENT_NAME_ALERT, EVENT_NAME_LOG } from './record';
export { severityOf, ALERT_SEVERITY_TABLE } from './severity';
export { agentResourceAttributes, agentVersion, instanceId } from './resource';

/**
 * The OTLP sink, or null when no endpoint is configured (opts === null). Warnings about ignored
 * environment values are written to stderr once, here.
 */
export function createOtlpSink(opts: OtlpSinkOptions | null, metrics: AgentMetrics): OtlpSink | null {
  if (!opts) return null;
  for (const w of opts.warnings) process.stderr.write(`otelarmor: warning: ${w}\n`);
  return new OtlpSink(opts, metrics);
}

export type { EventSink };
