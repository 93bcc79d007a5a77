// kubearmor-policy and posture annotations honoured live (kubearmor-compat.md §4.8, §4.10, §4.11):
// the real PodWatcher (against test/fakes/fake-kube-apiserver.ts, a FAKE Kubernetes API server),
// Enricher, PolicyStore and PolicyEngine wired as src/agent.ts wires them; each annotation change
// must change the compiled kernel rule set of the container (or of the host).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { defaultConfig } from '../../../src/config';
import { Op, type FileRecord } from '../../../src/events/record';
import { PostureMode, RuleFlag, RuleKind, type KernelRuleSet } from '../../../src/kernel/rule-types';
import { PodWatcher, storeRejections } from '../../../src/k8s/pod-watcher';
import { AgentMetrics } from '../../../src/metrics/metrics';
import { PolicyEngine } from '../../../src/policy/engine';
import type { CompiledRuleInfo } from '../../../src/policy/compile';
import { PolicyStore } from '../../../src/policy/store';
import { Enricher } from '../../../src/sensors/index';
import { FakeKubeApiServer } from '../../fakes/fake-kube-apiserver';
import { addProc, HOST_PID_NS, makeProcRoot } from '../sensors/fake-proc';
import { hex64, pod, waitFor } from './fixtures';

const WEB = hex64('live-web');
const WEB_NS = { pidNs: 4026532501, mntNs: 4026532502 };
const DIGEST = `sha256:${hex64('nginx')}`;
const webPod = (labels: Record<string, string>, annotations: Record<string, string> = {}) => pod({
  name: 'web-1', namespace: 'shop', labels, annotations,
  containers: [{ name: 'nginx', id: `containerd://${WEB}`, image: 'nginx:1.25.3', imageID: `docker.io/library/nginx@${DIGEST}` }],
});

const KSP = 'security.kubearmor.com/v1';
const POLICIES = [
  { apiVersion: KSP, kind: 'KubeArmorPolicy', metadata: { name: 'block-shadow', namespace: 'shop' },
    spec: { selector: { matchLabels: { app: 'web' } }, file: { matchPaths: [{ path: '/etc/shadow' }] }, action: 'Block' } },
  { apiVersion: KSP, kind: 'KubeArmorPolicy', metadata: { name: 'allow-nginx', namespace: 'shop' },
    spec: { selector: { matchLabels: { app: 'web' } }, process: { matchPaths: [{ path: '/usr/sbin/nginx' }] }, action: 'Allow' } },
  { apiVersion: KSP, kind: 'KubeArmorPolicy', metadata: { name: 'frontend-tmp', namespace: 'shop' },
    spec: { selector: { matchLabels: { tier: 'frontend' } }, file: { matchDirectories: [{ dir: '/tmp/', recursive: true }] }, action: 'Audit' } },
  { apiVersion: KSP, kind: 'KubeArmorHostPolicy', metadata: { name: 'host-nc' },
    spec: { nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'node-1' } }, process: { matchPaths: [{ path: '/usr/bin/nc' }] }, action: 'Block' } },
];

type Compiled = KernelRuleSet & { ruleTable: CompiledRuleInfo[] };
/** The compiled entries of one target, as (policy, kind, target, flags) and postures (kind, mode). */
function target(c: Compiled, ns: { pidNs: number; mntNs: number }) {
  return {
    rules: c.rules.filter((r) => r.pidNs === ns.pidNs && r.mntNs === ns.mntNs)
      .map((r) => ({ policy: c.ruleTable[r.ruleId - 1]!.policyName, kind: r.kind, target: r.target, flags: r.flags })),
    postures: c.postures.filter((p) => p.pidNs === ns.pidNs && p.mntNs === ns.mntNs).map((p) => ({ kind: p.kind, mode: p.mode })),
  };
}

const ENFORCED = {
  rules: [
    { policy: 'allow-nginx', kind: RuleKind.Process, target: '/usr/sbin/nginx', flags: RuleFlag.Allow },
    { policy: 'block-shadow', kind: RuleKind.File, target: '/etc/shadow', flags: RuleFlag.Block },
  ],
  postures: [{ kind: RuleKind.Process, mode: PostureMode.AllowListAudit }],
};

describe('k8s live policy mode and postures (PodWatcher against the FAKE kube-apiserver + PolicyEngine)', () => {
  let fake: FakeKubeApiServer;
  let w: PodWatcher;
  let engine: PolicyEngine;
  let e: Enricher;
  let compiled: Compiled;
  let compiles = 0;
  const root = makeProcRoot();
  const recompile = () => { compiled = engine.compileForKernel(); compiles++; };
  const openat = (p: string): FileRecord => ({
    op: Op.File, flags: 0, ktimeNs: 1n, tgid: 2001, tid: 2001, ppid: 1, nsTgid: 1, nsPpid: 0, uid: 0, gid: 0, ...WEB_NS, cgroupId: 1n,
    comm: 'nginx', ruleId: 0, syscall: 'openat', ret: -13, dirfd: -100, mode: 0, ownerUid: -1, ownerGid: -1, path: p, cwd: '', fileOwnerUid: 0,
  });
  /** One event through enrichment and policy matching, as the agent's pipeline runs it. */
  const event = (p: string) => engine.process(e.enrich([openat(p)]));
  /** Waits until the watcher signalled and the rule set was recompiled. */
  const nextCompile = async (what: string, change: () => void) => {
    const n = compiles;
    change();
    await waitFor(what, () => compiles > n);
  };

  before(async () => {
    addProc(root, { pid: 1, ppid: 0, comm: 'systemd', exe: '/usr/lib/systemd/systemd', args: ['/sbin/init'], cwd: '/' });
    addProc(root, { pid: 2001, ppid: 1, comm: 'nginx', exe: '/usr/sbin/nginx', args: ['nginx'], cwd: '/', nspid: [2001, 1], ...WEB_NS,
      cgroup: `0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-${WEB}.scope\n` });
    fake = await FakeKubeApiServer.start();
    fake.upsert('namespaces', { metadata: { name: 'shop' } });
    fake.upsert('nodes', { metadata: { name: 'node-1' } });
    fake.upsert('pods', webPod({ app: 'web' }));
    for (const p of POLICIES) fake.upsert(p.kind === 'KubeArmorHostPolicy' ? 'kubearmorhostpolicies' : 'kubearmorpolicies', p);
    const store = new PolicyStore();
    const metrics = new AgentMetrics();
    engine = new PolicyEngine({
      store, config: defaultConfig(), metrics, hostName: 'node-1', hostLabels: { 'kubernetes.io/hostname': 'node-1' },
      enforcerCanBlock: true, lsmActive: false, onContainer: recompile,
    });
    w = new PodWatcher({ nodeName: 'node-1', config: defaultConfig(), server: fake.url, procRoot: root, log: () => undefined });
    engine.setAnnotationSources({
      namespaceAnnotations: (ns) => w.namespaceAnnotations(ns), podAnnotations: (id) => w.lookup(id)?.annotations, nodeAnnotations: () => w.nodeAnnotations(),
    });
    w.onPolicies((source, objects) => {
      const r = store.replaceSource(source, objects);
      recompile();
      return storeRejections(source, objects, r.details);
    });
    w.onSettingsChange(recompile);
    await w.start();
    await waitFor('policies', () => store.snapshot.policies.length === 4);
    e = new Enricher({ clusterName: 'c', hostName: 'node-1', nodeId: '', metrics, pods: w, procRoot: root, hostPidNs: HOST_PID_NS, bootToWallNs: (b) => b });
    e.seedFromProc();
  });

  after(async () => {
    await w?.stop();
    await fake?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('enabled: the container seen in an event gets its Block rule (kill bit) and allow-list posture; the host its host policy', () => {
    const [a] = event('/etc/shadow');
    assert.deepEqual([a!.ka.PolicyName, a!.ka.Action], ['block-shadow', 'Block']);
    assert.deepEqual(target(compiled, WEB_NS), ENFORCED);
    assert.deepEqual(target(compiled, { pidNs: 0, mntNs: 0 }).rules, [{ policy: 'host-nc', kind: RuleKind.Process, target: '/usr/bin/nc', flags: RuleFlag.Block }]);
  });

  it('namespace kubearmor-policy: Disabled (any case) → no kernel rules for the container, no alert', async () => {
    await nextCompile('disabled', () => fake.upsert('namespaces', { metadata: { name: 'shop', annotations: { 'kubearmor-policy': 'Disabled' } } }));
    assert.deepEqual(target(compiled, WEB_NS), { rules: [], postures: [] });
    assert.equal(compiled.userSpaceOnly.filter((u) => u.pidNs === WEB_NS.pidNs).length, 0);
    const [ev] = event('/etc/shadow');
    assert.equal(ev!.ka.Type, 'ContainerLog');
  });

  it('namespace audited → Block compiles as Audit (no kill bit); alerts render Audit (Block)', async () => {
    await nextCompile('audited', () => fake.upsert('namespaces', { metadata: { name: 'shop', annotations: { 'kubearmor-policy': 'audited' } } }));
    const t = target(compiled, WEB_NS);
    assert.deepEqual(t.rules, [
      { policy: 'allow-nginx', kind: RuleKind.Process, target: '/usr/sbin/nginx', flags: RuleFlag.Allow },
      { policy: 'block-shadow', kind: RuleKind.File, target: '/etc/shadow', flags: RuleFlag.Audit },
    ]);
    assert.ok(t.rules.every((r) => (r.flags & RuleFlag.Block) === 0));
    assert.deepEqual(event('/etc/shadow').map((x) => [x.ka.PolicyName, x.ka.Action, x.ka.Enforcer]), [['block-shadow', 'Audit (Block)', 'eBPF Monitor']]);
  });

  it('pod annotation kubearmor-policy: enabled overrides the namespace (pod > namespace)', async () => {
    await nextCompile('pod enabled', () => fake.upsert('pods', webPod({ app: 'web' }, { 'kubearmor-policy': 'ENABLED' })));
    assert.deepEqual(target(compiled, WEB_NS), ENFORCED);
  });

  it('postures: namespace kubearmor-file-posture block → allow-list block; the pod annotation audit wins over it', async () => {
    await nextCompile('ns posture', () => fake.upsert('namespaces', { metadata: { name: 'shop', annotations: { 'kubearmor-policy': 'audited', 'kubearmor-file-posture': 'Block' } } }));
    // The pod still says enabled, so the block posture is enforced.
    assert.deepEqual(target(compiled, WEB_NS).postures, [{ kind: RuleKind.Process, mode: PostureMode.AllowListBlock }]);
    await nextCompile('pod posture', () => fake.upsert('pods', webPod({ app: 'web' }, { 'kubearmor-policy': 'enabled', 'kubearmor-file-posture': 'audit' })));
    assert.deepEqual(target(compiled, WEB_NS).postures, [{ kind: RuleKind.Process, mode: PostureMode.AllowListAudit }]);
  });

  it('a pod label update re-tracks the container (new identity) and recompiles: the tier=frontend policy now applies', async () => {
    fake.upsert('pods', webPod({ app: 'web', tier: 'frontend' }, { 'kubearmor-policy': 'enabled', 'kubearmor-file-posture': 'audit' }));
    await waitFor('labels', () => w.lookup(WEB)?.labels.tier === 'frontend');
    const n = compiles;
    event('/etc/hostname');
    assert.equal(compiles, n + 1);
    assert.deepEqual(engine.knownContainers(), [{ ...WEB_NS, namespace: 'shop', labels: { app: 'web', tier: 'frontend' }, containerName: 'nginx' }]);
    assert.deepEqual(target(compiled, WEB_NS).rules.map((r) => [r.policy, r.target]), [
      ['allow-nginx', '/usr/sbin/nginx'], ['block-shadow', '/etc/shadow'], ['frontend-tmp', '/tmp'], ['frontend-tmp', '/tmp/'],
    ]);
    // Same identity again: no recompile.
    event('/etc/hostname');
    assert.equal(compiles, n + 1);
  });

  it('node kubearmor-policy: disabled → the host target loses its rules; audited → no kill bit', async () => {
    await nextCompile('node disabled', () => fake.upsert('nodes', { metadata: { name: 'node-1', annotations: { 'kubearmor-policy': 'disabled' } } }));
    assert.deepEqual(target(compiled, { pidNs: 0, mntNs: 0 }), { rules: [], postures: [] });
    await nextCompile('node audited', () => fake.upsert('nodes', { metadata: { name: 'node-1', annotations: { 'kubearmor-policy': 'audited' } } }));
    assert.deepEqual(target(compiled, { pidNs: 0, mntNs: 0 }).rules, [{ policy: 'host-nc', kind: RuleKind.Process, target: '/usr/bin/nc', flags: RuleFlag.Audit }]);
  });

  it('objects the PolicyStore rejects (schema-valid CRDs) are posted as Warning Events with the store\'s reason', async () => {
    fake.upsert('kubearmorpolicies', { apiVersion: KSP, kind: 'KubeArmorPolicy', metadata: { name: 'empty-file', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'web' } }, file: { matchPaths: [] }, action: 'Block' } });
    const ev = await waitFor('event', () => fake.events.find((x) => (x.body.involvedObject as { name: string }).name === 'empty-file'));
    assert.equal(ev.namespace, 'shop');
    assert.equal(ev.body.reason, 'InvalidPolicy');
    assert.equal(ev.body.type, 'Warning');
    assert.equal(ev.body.message, 'spec.file: section has no rules (matchPaths, matchDirectories or matchPatterns)');
  });
});

describe('storeRejections', () => {
  it('maps PolicyStore details of the source to one rejection per object, reasons joined', () => {
    const objects = [
      { kind: 'KubeArmorPolicy', metadata: { name: 'ok', namespace: 'shop' } },
      { kind: 'KubeArmorPolicy', metadata: { name: 'bad', namespace: 'shop' } },
      { kind: 'KubeArmorClusterPolicy', metadata: { name: 'csp' } },
    ];
    assert.deepEqual(storeRejections('k8s:KubeArmorPolicy', objects, [
      { file: 'k8s:KubeArmorPolicy:KubeArmorPolicy/shop/bad', document: 1, path: 'spec', reason: 'no rules' },
      { file: 'k8s:KubeArmorPolicy:KubeArmorPolicy/shop/bad', document: 1, path: 'spec.tags[0]', reason: 'must be a string' },
      { file: 'k8s:KubeArmorPolicy:KubeArmorClusterPolicy//csp', document: 2, path: '', reason: 'x' },
      { file: '/etc/otelarmor/policies/a.yaml', document: 0, path: 'metadata.name', reason: 'duplicate' },
    ]), [
      { kind: 'KubeArmorPolicy', name: 'bad', namespace: 'shop', reason: 'spec: no rules; spec.tags[0]: must be a string' },
      { kind: 'KubeArmorClusterPolicy', name: 'csp', reason: '(document): x' },
    ]);
  });
});
