import assert from 'node:assert/strict';
import { AgentMetrics } from '../../../src/metrics/metrics';
import { recordAttach } from '../../../src/metrics/probes';

describe('otelarmor_probe_attached from attach reports', () => {
  it('attached = 1, failed = 0, not attached on purpose = -1', () => {
    const m = new AgentMetrics();
    recordAttach(m, { program: 'a', attached: true, error: null });
    recordAttach(m, { program: 'b', attached: false, error: 'bpf_link_create: EINVAL' });
    recordAttach(m, { program: 'c', attached: true, error: null });
    assert.deepEqual([...m.gauges.probeAttached], [['a', 1], ['b', 0], ['c', 1]]);
    recordAttach(m, { program: 'c', attached: false, error: null });
    recordAttach(m, { program: 'b', attached: true, error: null });
    assert.deepEqual([...m.gauges.probeAttached], [['a', 1], ['b', 1], ['c', -1]]);
  });
});
