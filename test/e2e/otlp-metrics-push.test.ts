// The metrics server's optional OTLP push (PeriodicExportingMetricReader + OTLP/gRPC metric
// exporter) into a real collector: the counters arrive with the agent resource.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMetricsSink } from '../../src/metrics/sink';
import { startMetricsServer } from '../../src/metrics/server';
import { defaultConfig } from '../../src/config';
import { otlpOptionsFromConfig } from '../../src/otlp';
import { tool } from '../helpers/env';
import { loadEvents } from '../fixtures/events';
import { freePort, sleep, TestCollector } from './otlp-helpers';

interface DataPoint { attributes?: { key: string; value: { stringValue?: string } }[]; asInt?: string; asDouble?: number }
interface Metric { name: string; sum?: { dataPoints: DataPoint[] } }
interface Req { resourceMetrics?: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeMetrics: { metrics: Metric[] }[] }[] }

describe('OTLP metrics push to a real collector', function () {
  this.timeout(60_000);

  it('pushes otelarmor.events and the kubearmor compat counters with the agent resource', async function () {
    const bin = tool(this, 'otelcol-otelarmor');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-otlp-metrics-'));
    const port = await freePort();
    const col = new TestCollector(bin, port, path.join(dir, 'out.jsonl'));
    await col.start();
    const srv = await startMetricsServer({
      address: '127.0.0.1:0', cluster: 'c1', nodeName: 'node-a',
      otlpPush: { options: otlpOptionsFromConfig({ ...defaultConfig(), otlpEndpoint: `http://127.0.0.1:${port}` }, {}), intervalMs: 500 },
      readiness: () => ({ ready: true, detail: {} }),
    });
    try {
      createMetricsSink(srv.metrics).write(loadEvents());
      const want = (m: Metric | undefined, labels: Record<string, string>): number | undefined => {
        const dp = m?.sum?.dataPoints.find((d) => Object.entries(labels).every(([k, v]) => d.attributes?.some((a) => a.key === k && a.value.stringValue === v)));
        return dp ? Number(dp.asInt ?? dp.asDouble) : undefined;
      };
      let found: { events?: number; host?: number; service?: string } = {};
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && (found.events === undefined || found.host === undefined)) {
        await sleep(250);
        if (!existsSync(col.file)) continue;
        for (const line of readFileSync(col.file, 'utf8').split('\n')) {
          if (!line.includes('resourceMetrics')) continue;
          let req: Req;
          try { req = JSON.parse(line) as Req; } catch { continue; }
          for (const rm of req.resourceMetrics ?? []) {
            const metrics = rm.scopeMetrics.flatMap((s) => s.metrics);
            const ev = want(metrics.find((m) => m.name === 'otelarmor.events'), { operation: 'File', type: 'MatchedPolicy' });
            const host = want(metrics.find((m) => m.name === 'kubearmor_alerts_in_host'), { HostName: 'node-a' });
            if (ev !== undefined && host !== undefined) {
              found = { events: ev, host, service: rm.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue };
            }
          }
        }
      }
      assert.deepEqual(found, { events: 1, host: 2, service: 'otelarmor' });
    } finally {
      await srv.close();
      await col.stop();
    }
  });
});
