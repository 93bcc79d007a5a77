// CPU cost of encoding AgentEvents into an OTLP ExportLogsServiceRequest, in one run: the direct
// encoder (src/otlp/encode.ts) against the OpenTelemetry JS SDK path it replaces
// (toLogRecord → ProtobufLogsSerializer), on the recorded fixtures. Prints µs/event and the ratio.
// Usage: node dist/bench/export/encode.js [events=100000]
import * as os from 'node:os';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LogsRequestEncoder } from '../../src/otlp/encode';
import { toLogRecord } from '../../src/otlp/record';
import { agentResourceAttributes } from '../../src/otlp/resource';
import type { AgentEvent } from '../../src/events/types';
import { loadEvents } from '../../test/fixtures/events';

function cpuUs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

const total = Number(process.argv[2] ?? 100_000);
const fx = loadEvents();
const events: AgentEvent[] = [];
for (let i = 0; i < total; i++) {
  const t = fx[i % fx.length]!;
  // Realistic variety: time strings unique per event, 1000 distinct paths/command lines.
  const ka = { ...t.ka, HostPID: 1000 + (i % 30000), UpdatedTime: `2025-11-25T00:00:${String(i % 60).padStart(2, '0')}.${String(i % 1e6).padStart(6, '0')}Z` };
  if (ka.Resource) ka.Resource = `${ka.Resource}.${i % 1000}`;
  if (ka.Source) ka.Source = `${ka.Source} ${i % 1000}`;
  events.push({ ...t, ka, timeNs: t.timeNs + BigInt(i) });
}
const attrs = agentResourceAttributes({ cluster: 'default', nodeName: 'bench', hostName: os.hostname() });
const scope = { name: 'otelarmor', version: '0.1.0' };
const enc = new LogsRequestEncoder(attrs, scope, { commandLine: false });
const resource = resourceFromAttributes(attrs);
const BATCH = 2048;
let bytes = 0;
const direct = () => { bytes = 0; for (let i = 0; i < total; i += BATCH) bytes += enc.encode(events.slice(i, i + BATCH)).length; };
const sdk = () => {
  for (let i = 0; i < total; i += BATCH) {
    const recs = events.slice(i, i + BATCH).map((e) => toLogRecord(e, { commandLine: false, resource, scope }));
    ProtobufLogsSerializer.serializeRequest(recs);
  }
};
direct(); sdk(); // warm-up
const d = cpuUs(direct) / total;
const s = cpuUs(sdk) / total;
process.stdout.write(`encode: direct ${d.toFixed(2)} µs/event (${Math.round(1e6 / d)} events/s per core), ` +
  `SDK ${s.toFixed(2)} µs/event; SDK/direct = ${(s / d).toFixed(1)}x; ${(bytes / total).toFixed(0)} B/event; ` +
  `load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs\n`);
