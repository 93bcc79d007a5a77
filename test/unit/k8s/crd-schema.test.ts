import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CAPABILITY_NAMES, CRD_FILE, POLICY_KINDS, SYSCALL_NAMES, crdYaml, validatePolicyObject,
} from '../../../src/k8s/crd-schema';
import { ROOT } from '../../helpers/env';

const ksp = (spec: Record<string, unknown>) => ({ apiVersion: 'security.kubearmor.com/v1', kind: 'KubeArmorPolicy', metadata: { name: 'p', namespace: 'shop' }, spec });

describe('k8s KubeArmor CRDs', () => {
  it('the chart carries exactly the generated CRDs', () => {
    for (const k of POLICY_KINDS) {
      const file = path.join(ROOT, 'helm', 'otelarmor', 'files', 'crds', CRD_FILE[k]);
      assert.equal(readFileSync(file, 'utf8'), crdYaml(k), `${file} is stale: run node dist/src/k8s/crd-schema.js --write`);
    }
  });

  it('has 34 capabilities (0–33) and the x86_64 syscalls 0–334', () => {
    assert.equal(CAPABILITY_NAMES.length, 34);
    assert.equal(CAPABILITY_NAMES[0], 'chown');
    assert.equal(CAPABILITY_NAMES[33], 'mac_admin');
    assert.equal(SYSCALL_NAMES.length, 335);
    assert.equal(SYSCALL_NAMES[59], 'execve');
    assert.equal(SYSCALL_NAMES[257], 'openat');
    assert.equal(SYSCALL_NAMES[334], 'rseq');
  });

  it('accepts the reference example and comma lists of capabilities/protocols', () => {
    assert.deepEqual(validatePolicyObject('KubeArmorPolicy', ksp({
      selector: { matchLabels: { app: 'web' } }, severity: 5, action: 'block',
      file: { matchPaths: [{ path: '/etc/shadow', fromSource: [{ path: '/bin/cat' }] }] },
      process: { matchDirectories: [{ dir: '/tmp/', recursive: true }], matchPaths: [{ execname: 'nc' }] },
      network: { matchProtocols: [{ protocol: 'tcp,udp' }] },
      capabilities: { matchCapabilities: [{ capability: 'net_raw,sys_admin' }] },
      syscalls: { matchSyscalls: [{ syscall: ['unlink', 'rmdir'] }], matchPaths: [{ path: '/etc/', syscall: ['openat'] }] },
    })), []);
  });

  it('rejects the violations the API server would reject, naming each field', () => {
    assert.deepEqual(validatePolicyObject('KubeArmorPolicy', ksp({
      selector: { matchLabels: { app: 'web' } }, severity: 11, action: 'Deny',
      file: { matchDirectories: [{ dir: '/etc' }], matchPaths: [{ path: '/etc/' }] },
      process: { matchPaths: [{ execname: '/bin/sh' }] },
      capabilities: { matchCapabilities: [{ capability: 'bpf' }] },
      syscalls: { matchSyscalls: [{ syscall: ['not_a_syscall'] }] },
    })), [
      'spec.severity: 11 is greater than 10',
      'spec.action: "Deny" is not one of Allow|Audit|Block|allow|audit|block',
      'spec.file.matchDirectories[0].dir: "/etc" does not match ^\\/$|^\\/.*\\/$',
      'spec.file.matchPaths[0].path: "/etc/" does not match ^\\/+.*[^\\/]$',
      'spec.process.matchPaths[0].execname: "/bin/sh" does not match ^[^\\/]+$',
      `spec.capabilities.matchCapabilities[0].capability: "bpf" does not match (${CAPABILITY_NAMES.join('|')})$`,
      'spec.syscalls.matchSyscalls[0].syscall[0]: "not_a_syscall" is not one of the allowed values',
    ]);
  });

  it('enforces the host-policy differences (nodeSelector, fromSource required)', () => {
    assert.deepEqual(validatePolicyObject('KubeArmorHostPolicy', {
      apiVersion: 'security.kubearmor.com/v1', kind: 'KubeArmorHostPolicy', metadata: { name: 'h' },
      spec: { network: { matchProtocols: [{ protocol: 'icmp' }] }, action: 'Audit' },
    }), ['spec.nodeSelector: required', 'spec.network.matchProtocols[0].fromSource: required']);
    assert.deepEqual(validatePolicyObject('KubeArmorClusterPolicy', {
      apiVersion: 'security.kubearmor.com/v1', kind: 'KubeArmorClusterPolicy', metadata: { name: 'c' },
      spec: { selector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['x'] }] }, process: { matchPaths: [{ path: '/bin/sh' }] } },
    }), ['spec.selector.matchExpressions[0].key: "pod" is not one of namespace|label']);
  });

  it('checks apiVersion, kind, metadata.name and unknown fields', () => {
    assert.deepEqual(validatePolicyObject('KubeArmorPolicy', { apiVersion: 'v1', kind: 'KubeArmorPolicy', metadata: {}, spec: { selector: {}, fiel: {} } }), [
      'apiVersion: expected security.kubearmor.com/v1, got "v1"',
      'metadata.name: required',
      'spec.fiel: unknown field',
    ]);
  });
});
