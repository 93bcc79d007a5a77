import assert from 'node:assert/strict';
import {
  effectiveHostPolicyMode, effectiveHostVisibility, effectivePolicyMode, effectivePostures, effectiveVisibility, parseVisibility,
  pickKubeArmorAnnotations,
} from '../../../src/k8s/annotations';
import { defaultConfig } from '../../../src/config';

const cfg = { ...defaultConfig(), defaultNetworkPosture: 'block' as const };

describe('k8s annotations: effective visibility', () => {
  it('uses config.visibility without annotations', () => {
    assert.deepEqual(effectiveVisibility(cfg, { namespace: 'shop', podName: 'web' }), { value: ['process', 'file', 'network', 'capabilities'], problems: [] });
  });

  it('namespace annotation overrides the default; pod annotation overrides the namespace', () => {
    const s = { namespace: 'shop', podName: 'web', namespaceAnnotations: { 'kubearmor-visibility': 'network, process,dns' } };
    assert.deepEqual(effectiveVisibility(cfg, s), { value: ['process', 'network', 'dns'], problems: [] });
    assert.deepEqual(effectiveVisibility(cfg, { ...s, podAnnotations: { 'kubearmor-visibility': 'file' } }), { value: ['file'], problems: [] });
    assert.deepEqual(effectiveVisibility(cfg, { ...s, podAnnotations: { 'kubearmor-visibility': 'none' } }), { value: [], problems: [] });
  });

  it('reports unknown categories and keeps the valid ones; dns is namespace-only', () => {
    assert.deepEqual(parseVisibility('process,dns,bogus', 'pod', 'pod/shop/web'), {
      value: ['process'],
      problems: [
        { object: 'pod/shop/web', annotation: 'kubearmor-visibility', value: 'process,dns,bogus', reason: 'unknown category "dns" (allowed: process,file,network,capabilities,syscall)' },
        { object: 'pod/shop/web', annotation: 'kubearmor-visibility', value: 'process,dns,bogus', reason: 'unknown category "bogus" (allowed: process,file,network,capabilities,syscall)' },
      ],
    });
  });

  it('untracked namespaces get no visibility whatever the annotations say', () => {
    assert.deepEqual(effectiveVisibility(cfg, { namespace: 'kubearmor', podName: 'x', podAnnotations: { 'kubearmor-visibility': 'process' } }), { value: [], problems: [] });
  });

  it('host visibility comes from the node annotation, else config.hostVisibility', () => {
    assert.deepEqual(effectiveHostVisibility(cfg, 'node-1', {}).value, ['process', 'file', 'network']);
    assert.deepEqual(effectiveHostVisibility(cfg, 'node-1', { 'kubearmor-visibility': 'process,capabilities' }).value, ['process', 'capabilities']);
  });
});

describe('k8s annotations: postures', () => {
  it('takes the global defaults without annotations', () => {
    assert.deepEqual(effectivePostures(cfg, { namespace: 'shop', podName: 'web' }), { value: { file: 'audit', network: 'block', capabilities: 'audit' }, problems: [] });
  });

  it('namespace annotations set postures, pod annotations override them', () => {
    const s = { namespace: 'shop', podName: 'web', namespaceAnnotations: { 'kubearmor-file-posture': 'block', 'kubearmor-network-posture': 'Audit' } };
    assert.deepEqual(effectivePostures(cfg, s).value, { file: 'block', network: 'audit', capabilities: 'audit' });
    assert.deepEqual(effectivePostures(cfg, { ...s, podAnnotations: { 'kubearmor-file-posture': 'audit', 'kubearmor-capabilities-posture': 'block' } }).value,
      { file: 'audit', network: 'audit', capabilities: 'block' });
  });

  it('an invalid value falls back to the global default and is reported', () => {
    const r = effectivePostures(cfg, { namespace: 'shop', podName: 'web', namespaceAnnotations: { 'kubearmor-network-posture': 'deny' } });
    assert.deepEqual(r, {
      value: { file: 'audit', network: 'block', capabilities: 'audit' },
      problems: [{ object: 'namespace/shop', annotation: 'kubearmor-network-posture', value: 'deny', reason: 'expected audit or block; using the global default block' }],
    });
  });
});

describe('k8s annotations: invalid pod posture', () => {
  it('an invalid pod value is reported and ignored: the namespace value stays', () => {
    const r = effectivePostures(cfg, {
      namespace: 'shop', podName: 'web', namespaceAnnotations: { 'kubearmor-file-posture': 'BLOCK' }, podAnnotations: { 'kubearmor-file-posture': 'deny' },
    });
    assert.deepEqual(r, {
      value: { file: 'block', network: 'block', capabilities: 'audit' },
      problems: [{ object: 'pod/shop/web', annotation: 'kubearmor-file-posture', value: 'deny', reason: 'expected audit or block; ignored (block stays)' }],
    });
  });
});

describe('k8s annotations: kubearmor-policy mode', () => {
  it('defaults to enabled; pod overrides namespace', () => {
    assert.equal(effectivePolicyMode(cfg, { namespace: 'shop', podName: 'web' }).value, 'enabled');
    assert.equal(effectivePolicyMode(cfg, { namespace: 'shop', podName: 'web', namespaceAnnotations: { 'kubearmor-policy': 'disabled' } }).value, 'disabled');
    assert.equal(effectivePolicyMode(cfg, { namespace: 'shop', podName: 'web', namespaceAnnotations: { 'kubearmor-policy': 'disabled' }, podAnnotations: { 'kubearmor-policy': 'audited' } }).value, 'audited');
  });

  it('kube-system and unavailable enforcement force audited; untracked namespaces are disabled', () => {
    assert.equal(effectivePolicyMode(cfg, { namespace: 'kube-system', podName: 'coredns' }).value, 'audited');
    assert.equal(effectivePolicyMode(cfg, { namespace: 'shop', podName: 'web' }, { forceAudited: true }).value, 'audited');
    assert.equal(effectivePolicyMode(cfg, { namespace: 'kubearmor', podName: 'relay' }).value, 'disabled');
  });

  it('reports an invalid mode and ignores it', () => {
    assert.deepEqual(effectivePolicyMode(cfg, { namespace: 'shop', podName: 'web', podAnnotations: { 'kubearmor-policy': 'on' } }), {
      value: 'enabled',
      problems: [{ object: 'pod/shop/web', annotation: 'kubearmor-policy', value: 'on', reason: 'expected enabled, disabled or audited; ignored' }],
    });
    assert.equal(effectiveHostPolicyMode('node-1', { 'kubearmor-policy': 'audited' }).value, 'audited');
  });

  it('keeps only kubearmor-* annotations', () => {
    assert.deepEqual(pickKubeArmorAnnotations({ 'kubearmor-policy': 'enabled', 'kubectl.kubernetes.io/restartedAt': 'x', 'kubearmor-file-posture': 'block' }),
      { 'kubearmor-policy': 'enabled', 'kubearmor-file-posture': 'block' });
  });
});
