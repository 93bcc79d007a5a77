// KubeArmorResultFilter behind the real Rego stage (default pack compiled by opa): ENOENT and
// EINPROGRESS results reach the rules, never the log stream; alerts derived from them stay.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentEvent } from '../../../src/events/types';
import { AgentMetrics } from '../../../src/metrics/metrics';
import { buildRules } from '../../../src/rego/build';
import { RegoEngine } from '../../../src/rego/engine';
import { KubeArmorResultFilter } from '../../../src/sensors/index';
import { ROOT, tool } from '../../helpers/env';
import { O, bashHost, connectInet, curlCtr, open } from '../../fixtures/rego/events';

function failed(ev: AgentEvent, retval: number, result: string): AgentEvent {
  ev.extras.retval = retval;
  ev.ka.Result = result;
  return ev;
}

describe('KubeArmorResultFilter (after the Rego stage)', function () {
  let dir: string;
  let bundle: string;

  before(function () {
    const opa = tool(this, 'opa');
    dir = mkdtempSync(path.join(os.tmpdir(), 'otelarmor-result-filter-'));
    bundle = path.join(dir, 'default-bundle.tar.gz');
    buildRules(path.join(ROOT, 'policies', 'rego'), bundle, opa);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('drops ENOENT/EINPROGRESS logs, counts them by reason, keeps other failures and the alert raised on EINPROGRESS', async () => {
    const metrics = new AgentMetrics();
    const rego = await RegoEngine.load([bundle], { metrics });
    const filter = new KubeArmorResultFilter(metrics);
    // A shell's non-blocking connect to a raw IP: EINPROGRESS, still an attack signal.
    const nonBlocking = failed(connectInet('10.0.0.5', 4444, bashHost), -115, 'Operation now in progress');
    const missing = failed(open('/etc/optional.conf', O.RDONLY, bashHost), -2, 'No such file or directory');
    const denied = failed(open('/srv/app/private.txt', O.RDONLY, bashHost), -13, 'Permission denied');
    const passed = connectInet('10.0.0.9', 443, curlCtr);
    const curlInProgress = failed(connectInet('10.0.0.9', 443, curlCtr), -115, 'Operation now in progress');
    const out = filter.process(rego.process([nonBlocking, missing, denied, passed, curlInProgress]));
    assert.deepEqual(out.map((e) => [e.ka.Type, e.ka.PolicyName ?? '', e.ka.Result]), [
      ['HostLog', '', 'Permission denied'],
      ['ContainerLog', '', 'Passed'],
      ['MatchedHostPolicy', 'rego:shell_outbound_raw_ip', 'Operation now in progress'],
    ]);
    assert.equal(out[0], denied);
    assert.equal(out[1], passed);
    assert.deepEqual(Object.fromEntries(filter.removed), { kubearmor_result_einprogress: 2, kubearmor_result_enoent: 1 });
    assert.deepEqual(Object.fromEntries(metrics.filterCounts), { kubearmor_result_einprogress: 2, kubearmor_result_enoent: 1 });
    assert.deepEqual(Object.fromEntries(metrics.dropCounts), {});
  });

  it('a batch with nothing to drop is returned as is', () => {
    const filter = new KubeArmorResultFilter(new AgentMetrics());
    const batch = [connectInet('10.0.0.9', 443, curlCtr)];
    assert.equal(filter.process(batch), batch);
    assert.deepEqual(filter.process([]), []);
  });
});
