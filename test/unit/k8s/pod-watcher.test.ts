// PodWatcher against test/fakes/fake-kube-apiserver.ts, a FAKE Kubernetes API server (no cluster here).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FakeKubeApiServer } from '../../fakes/fake-kube-apiserver';
import { PodWatcher, type PodChange, type SettingsChange, type VisibilityClear, type VisibilityTarget } from '../../../src/k8s/pod-watcher';
import type { Problem } from '../../../src/k8s/annotations';
import { defaultConfig } from '../../../src/config';
import { hex64, pod, waitFor } from './fixtures';

const D = (s: string) => `sha256:${hex64(s)}`;
const ids = { web: hex64('web'), db: hex64('db'), legacy: hex64('legacy'), report: hex64('report'), far: hex64('far') };

const webPod = pod({
  name: 'web-7d9f8b6c5d-x2x9q', namespace: 'shop', labels: { app: 'web', 'pod-template-hash': '7d9f8b6c5d' },
  owner: { kind: 'ReplicaSet', name: 'web-7d9f8b6c5d' },
  containers: [{ name: 'nginx', id: `containerd://${ids.web}`, image: 'docker.io/library/nginx:1.25.3', imageID: `docker.io/library/nginx@${D('nginx')}` }],
});
const dbPod = pod({
  name: 'db-0', namespace: 'shop', labels: { app: 'db' }, owner: { kind: 'StatefulSet', name: 'db' },
  containers: [{ name: 'postgres', id: `cri-o://${ids.db}`, image: 'docker.io/library/postgres:16', imageID: `docker.io/library/postgres@${D('pg')}` }],
});
const legacyPod = pod({
  name: 'legacy', namespace: 'ops', labels: { app: 'legacy' }, annotations: { 'kubearmor-visibility': 'process' },
  containers: [{ name: 'app', id: `docker://${ids.legacy}`, image: 'registry.local/legacy:2', imageID: `docker-pullable://registry.local/legacy@${D('legacy')}` }],
});
const reportPod = pod({
  name: 'report-29430000-k2j4d', namespace: 'ops', labels: { 'job-name': 'report-29430000' }, owner: { kind: 'Job', name: 'report-29430000' },
  containers: [{ name: 'report', id: `podman://${ids.report}`, image: 'quay.io/acme/report:1', imageID: `quay.io/acme/report@${D('report')}` }],
});
const farPod = pod({
  name: 'far', namespace: 'shop', node: 'node-2',
  containers: [{ name: 'far', id: `containerd://${ids.far}`, image: 'busybox:1.36', imageID: `docker.io/library/busybox@${D('bb')}` }],
});

const ksp = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'security.kubearmor.com/v1', kind: 'KubeArmorPolicy', metadata: { name, namespace: 'shop' }, spec });
const blockShadow = ksp('block-shadow', { selector: { matchLabels: { app: 'web' } }, severity: 5, file: { matchPaths: [{ path: '/etc/shadow' }] }, action: 'Block' });

describe('k8s PodWatcher (against the FAKE kube-apiserver)', function () {
  let fake: FakeKubeApiServer;
  let w: PodWatcher;
  const changes: PodChange[] = [];
  const vis: VisibilityTarget[] = [];
  const cleared: VisibilityClear[] = [];
  const settingsChanges: SettingsChange[] = [];
  const watchErrors: string[] = [];
  const problems: Problem[] = [];
  const policies: { source: string; names: string[] }[] = [];
  const logs: string[] = [];
  const lastObjects = new Map<string, unknown[]>();
  // A proc tree with the files the namespace scan reads: <pid>/cgroup and the <pid>/ns/{pid,mnt}
  // links, "pid:[<inode>]" as the kernel renders them (their targets need not exist: only readlink).
  const procRoot = mkdtempSync(path.join(tmpdir(), 'otelarmor-proc-'));
  /** Adds a process of a container to the proc tree; returns its {pidNs, mntNs}. */
  const addContainerProc = (pid: number, cgroup: string) => {
    const ns = { pidNs: 4026533000 + pid * 2, mntNs: 4026533001 + pid * 2 };
    mkdirSync(path.join(procRoot, String(pid), 'ns'), { recursive: true });
    writeFileSync(path.join(procRoot, String(pid), 'cgroup'), cgroup);
    symlinkSync(`pid:[${ns.pidNs}]`, path.join(procRoot, String(pid), 'ns', 'pid'));
    symlinkSync(`mnt:[${ns.mntNs}]`, path.join(procRoot, String(pid), 'ns', 'mnt'));
    return ns;
  };
  // pid 4242 belongs to the web container (cgroup path as containerd's systemd driver writes it).
  const webNs = addContainerProc(4242, `0::/kubepods.slice/kubepods-pod1b2c3d4e_5f60.slice/cri-containerd-${ids.web}.scope\n`);
  let reportNs = { pidNs: 0, mntNs: 0 };

  before(async () => {
    fake = await FakeKubeApiServer.start();
    fake.upsert('namespaces', { metadata: { name: 'shop', annotations: { 'kubearmor-visibility': 'process,file' } } });
    fake.upsert('namespaces', { metadata: { name: 'ops' } });
    fake.upsert('nodes', { metadata: { name: 'node-1', annotations: { 'kubearmor-visibility': 'process' } } });
    fake.upsert('nodes', { metadata: { name: 'node-2' } });
    for (const p of [webPod, dbPod, legacyPod, reportPod, farPod]) fake.upsert('pods', p);
    fake.upsert('kubearmorpolicies', blockShadow);
    w = new PodWatcher({
      nodeName: 'node-1', config: defaultConfig(), server: fake.url, retryMs: 50, procRoot, nsRetryMs: 20, log: (l, m) => logs.push(`${l}: ${m}`),
      metrics: { k8sWatchError: (r) => watchErrors.push(r) },
    });
    w.onChange((c) => changes.push(c));
    w.onVisibilityChange((t) => vis.push(t));
    w.onVisibilityClear((t) => cleared.push(t));
    w.onSettingsChange((c) => settingsChanges.push(c));
    w.onProblem((p) => problems.push(p));
    w.onPolicies((source, objects) => {
      policies.push({ source, names: objects.map((o) => (o as { metadata: { name: string } }).metadata.name) });
      lastObjects.set(source, objects);
      return objects.some((o) => (o as { metadata: { name: string } }).metadata.name === 'rejected-by-store')
        ? [{ kind: 'KubeArmorPolicy', name: 'rejected-by-store', namespace: 'shop', reason: 'file.matchPaths[0]: duplicate rule' }] : undefined;
    });
    await w.start();
  });

  after(async () => {
    await w?.stop();
    await fake?.close();
    rmSync(procRoot, { recursive: true, force: true });
  });

  it('lists pods of this node only, with the node field selector', async () => {
    const podReq = fake.requests.find((r) => r.path === '/api/v1/pods' && r.query.watch === undefined);
    assert.equal(podReq?.query.fieldSelector, 'spec.nodeName=node-1');
    const nodeReq = fake.requests.find((r) => r.path === '/api/v1/nodes' && r.query.watch === undefined);
    assert.equal(nodeReq?.query.fieldSelector, 'metadata.name=node-1');
    await waitFor('watches', () => fake.openWatches() === 6);
    assert.deepEqual(w.containerIds().sort(), [ids.web, ids.db, ids.legacy, ids.report].sort());
    assert.equal(w.lookup(ids.far), undefined);
  });

  it('maps containerd, CRI-O, Docker and podman container ids to exact PodMeta', () => {
    assert.deepEqual(w.lookup(ids.web), {
      namespace: 'shop', podName: 'web-7d9f8b6c5d-x2x9q', labels: { app: 'web', 'pod-template-hash': '7d9f8b6c5d' }, containerName: 'nginx',
      image: `docker.io/library/nginx:1.25.3@${D('nginx')}`, owner: { Ref: 'Deployment', Name: 'web', Namespace: 'shop' }, annotations: {},
    });
    assert.deepEqual(w.lookup(ids.db), {
      namespace: 'shop', podName: 'db-0', labels: { app: 'db' }, containerName: 'postgres',
      image: `docker.io/library/postgres:16@${D('pg')}`, owner: { Ref: 'StatefulSet', Name: 'db', Namespace: 'shop' }, annotations: {},
    });
    assert.deepEqual(w.lookup(ids.legacy), {
      namespace: 'ops', podName: 'legacy', labels: { app: 'legacy' }, containerName: 'app',
      image: `registry.local/legacy:2@${D('legacy')}`, owner: { Ref: 'Pod', Name: 'legacy', Namespace: 'ops' }, annotations: { 'kubearmor-visibility': 'process' },
    });
    assert.deepEqual(w.lookup(ids.report), {
      namespace: 'ops', podName: 'report-29430000-k2j4d', labels: { 'job-name': 'report-29430000' }, containerName: 'report',
      image: `quay.io/acme/report:1@${D('report')}`, owner: { Ref: 'CronJob', Name: 'report', Namespace: 'ops' }, annotations: {},
    });
    assert.deepEqual(w.namespaceAnnotations('shop'), { 'kubearmor-visibility': 'process,file' });
    assert.deepEqual(w.namespaceAnnotations('ops'), {});
    assert.equal(w.namespaceAnnotations('nope'), undefined);
  });

  it('announced the initial visibility of the host and of every container with a process in /proc', () => {
    const last = (id: string) => vis.filter((t) => t.containerId === id).at(-1);
    assert.deepEqual(last(ids.web), { ...webNs, containerId: ids.web, categories: ['process', 'file'] });
    // No process of these containers in procRoot yet: nothing to key the kernel entry by.
    assert.equal(last(ids.legacy), undefined);
    assert.equal(last(ids.report), undefined);
    assert.deepEqual(last(''), { pidNs: 0, mntNs: 0, containerId: '', categories: ['process'] });
    assert.deepEqual(w.settings(ids.db), { visibility: ['process', 'file'], postures: { file: 'audit', network: 'audit', capabilities: 'audit' }, policyMode: 'enabled' });
  });

  it('watch: a new pod is added and announced with its container ids', async () => {
    const id = hex64('api');
    fake.upsert('pods', pod({
      name: 'api-5c8d7f9b4-abcde', namespace: 'shop', labels: { app: 'api', 'pod-template-hash': '5c8d7f9b4' }, owner: { kind: 'ReplicaSet', name: 'api-5c8d7f9b4' },
      containers: [{ name: 'api', id: `containerd://${id}`, image: 'ghcr.io/acme/api:3', imageID: `ghcr.io/acme/api@${D('api')}` }],
    }));
    const c = await waitFor('added', () => changes.find((x) => x.podName === 'api-5c8d7f9b4-abcde'));
    assert.deepEqual(c, { type: 'added', namespace: 'shop', podName: 'api-5c8d7f9b4-abcde', containerIds: [id] });
    assert.deepEqual(w.lookup(id)?.owner, { Ref: 'Deployment', Name: 'api', Namespace: 'shop' });
  });

  it('watch: a modified pod updates labels, and a restarted container replaces its id', async () => {
    const newId = hex64('db-restarted');
    const p = structuredClone(dbPod) as { metadata: { labels: Record<string, string> }; status: { containerStatuses: { containerID: string }[] } };
    p.metadata.labels.version = '16.2';
    p.status.containerStatuses[0]!.containerID = `cri-o://${newId}`;
    fake.upsert('pods', p);
    const c = await waitFor('updated', () => changes.find((x) => x.type === 'updated' && x.podName === 'db-0'));
    assert.deepEqual(c, { type: 'updated', namespace: 'shop', podName: 'db-0', containerIds: [newId] });
    assert.equal(w.lookup(ids.db), undefined);
    assert.deepEqual(w.lookup(newId)?.labels, { app: 'db', version: '16.2' });
  });

  it('watch: a deleted pod is forgotten', async () => {
    fake.remove('pods', 'legacy', 'ops');
    const c = await waitFor('deleted', () => changes.find((x) => x.type === 'deleted'));
    assert.deepEqual(c, { type: 'deleted', namespace: 'ops', podName: 'legacy', containerIds: [ids.legacy] });
    assert.equal(w.lookup(ids.legacy), undefined);
  });

  it('a container whose process appears in /proc later is announced by the rescan', async () => {
    const before = vis.length;
    reportNs = addContainerProc(5151, `0::/machine.slice/libpod-${ids.report}.scope/container\n`);
    await waitFor('rescan', () => vis.length > before);
    assert.deepEqual(vis.slice(before), [{ ...reportNs, containerId: ids.report, categories: ['process', 'file', 'network', 'capabilities'] }]);
  });

  it('a namespace annotation change re-announces the visibility of its containers', async () => {
    const before = vis.length;
    fake.upsert('namespaces', { metadata: { name: 'ops', annotations: { 'kubearmor-visibility': 'network' } } });
    await waitFor('visibility', () => vis.length > before && vis.slice(before));
    assert.deepEqual(vis.slice(before), [{ ...reportNs, containerId: ids.report, categories: ['network'] }]);
    assert.deepEqual(w.namespaceAnnotations('ops'), { 'kubearmor-visibility': 'network' });
  });

  it('a pod annotation change re-announces that container only', async () => {
    const before = vis.length;
    const p = structuredClone(webPod) as { metadata: { annotations: Record<string, string> } };
    p.metadata.annotations['kubearmor-visibility'] = 'process,network,capabilities';
    fake.upsert('pods', p);
    await waitFor('visibility', () => vis.length > before);
    assert.deepEqual(vis.slice(before), [{ ...webNs, containerId: ids.web, categories: ['process', 'network', 'capabilities'] }]);
  });

  it('a node annotation change re-announces host visibility', async () => {
    const before = vis.length;
    fake.upsert('nodes', { metadata: { name: 'node-1', annotations: { 'kubearmor-visibility': 'process,file,network' } } });
    await waitFor('host visibility', () => vis.length > before);
    assert.deepEqual(vis.slice(before), [{ pidNs: 0, mntNs: 0, containerId: '', categories: ['process', 'file', 'network'] }]);
  });

  it('an invalid posture annotation falls back to the global default, is reported and posted as an Event', async () => {
    fake.upsert('namespaces', { metadata: { name: 'shop', annotations: { 'kubearmor-visibility': 'process,file', 'kubearmor-file-posture': 'deny', 'kubearmor-network-posture': 'block' } } });
    await waitFor('problem', () => problems.find((p) => p.annotation === 'kubearmor-file-posture'));
    assert.deepEqual(problems.filter((p) => p.object === 'namespace/shop'), [
      { object: 'namespace/shop', annotation: 'kubearmor-file-posture', value: 'deny', reason: 'expected audit or block; using the global default audit' },
    ]);
    const api = hex64('api');
    assert.deepEqual(w.settings(api)?.postures, { file: 'audit', network: 'block', capabilities: 'audit' });
    const ev = await waitFor('event', () => fake.events.find((e) => e.body.reason === 'InvalidAnnotation'));
    assert.equal(ev.namespace, 'default');
    assert.deepEqual(ev.body.involvedObject, { apiVersion: 'v1', kind: 'Namespace', name: 'shop' });
    assert.equal(ev.body.type, 'Warning');
    assert.equal(ev.body.message, 'kubearmor-file-posture="deny": expected audit or block; using the global default audit');
    assert.deepEqual(ev.body.source, { component: 'otelarmor', host: 'node-1' });
  });

  it('CRDs: the initial list, add, update and delete reach onPolicies as full sets per kind', async () => {
    assert.deepEqual(policies[0], { source: 'k8s:KubeArmorPolicy', names: ['block-shadow'] });
    const n = policies.length;
    fake.upsert('kubearmorclusterpolicies', {
      metadata: { name: 'no-raw' }, spec: { selector: { matchExpressions: [{ key: 'namespace', operator: 'In', values: ['shop'] }] }, network: { matchProtocols: [{ protocol: 'raw' }] }, action: 'Block' },
    });
    await waitFor('csp', () => policies.length > n);
    assert.deepEqual(policies.slice(n), [{ source: 'k8s:KubeArmorClusterPolicy', names: ['no-raw'] }]);
    const m = policies.length;
    fake.upsert('kubearmorpolicies', ksp('audit-tmp', { selector: { matchLabels: { app: 'db' } }, file: { matchDirectories: [{ dir: '/tmp/', recursive: true }] }, action: 'Audit' }));
    await waitFor('ksp add', () => policies.length > m);
    assert.deepEqual(policies.slice(m), [{ source: 'k8s:KubeArmorPolicy', names: ['block-shadow', 'audit-tmp'] }]);
    const u = policies.length;
    fake.upsert('kubearmorpolicies', ksp('audit-tmp', { selector: { matchLabels: { app: 'db' } }, file: { matchDirectories: [{ dir: '/tmp/', recursive: true }] }, action: 'Block' }));
    await waitFor('ksp update', () => policies.length > u);
    assert.deepEqual(policies.slice(u), [{ source: 'k8s:KubeArmorPolicy', names: ['block-shadow', 'audit-tmp'] }]);
    assert.deepEqual((lastObjects.get('k8s:KubeArmorPolicy')![1] as { spec: unknown }).spec,
      { selector: { matchLabels: { app: 'db' } }, file: { matchDirectories: [{ dir: '/tmp/', recursive: true }] }, action: 'Block' });
    const k = policies.length;
    fake.remove('kubearmorpolicies', 'block-shadow', 'shop');
    await waitFor('ksp delete', () => policies.length > k);
    assert.deepEqual(policies.slice(k), [{ source: 'k8s:KubeArmorPolicy', names: ['audit-tmp'] }]);
    const h = policies.length;
    fake.upsert('kubearmorhostpolicies', {
      metadata: { name: 'host-shadow' }, spec: { nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'node-1' } }, file: { matchPaths: [{ path: '/etc/shadow' }] }, action: 'Audit' },
    });
    await waitFor('hsp', () => policies.length > h);
    assert.deepEqual(policies.slice(h), [{ source: 'k8s:KubeArmorHostPolicy', names: ['host-shadow'] }]);
  });

  it('an invalid CRD object is withheld, logged and posted as a Warning Event', async () => {
    const before = fake.events.length;
    fake.upsert('kubearmorpolicies', ksp('bad-dir', { selector: { matchLabels: { app: 'web' } }, file: { matchDirectories: [{ dir: '/etc' }] }, action: 'Block' }));
    const ev = await waitFor('event', () => fake.events.slice(before).find((e) => e.body.reason === 'InvalidPolicy'));
    assert.equal(ev.namespace, 'shop');
    const inv = ev.body.involvedObject as Record<string, unknown>;
    assert.deepEqual({ apiVersion: inv.apiVersion, kind: inv.kind, name: inv.name, namespace: inv.namespace },
      { apiVersion: 'security.kubearmor.com/v1', kind: 'KubeArmorPolicy', name: 'bad-dir', namespace: 'shop' });
    assert.equal(typeof inv.uid, 'string');
    assert.equal(ev.body.message, 'invalid KubeArmorPolicy: spec.file.matchDirectories[0].dir: "/etc" does not match ^\\/$|^\\/.*\\/$');
    assert.ok(logs.includes('warn: KubeArmorPolicy shop/bad-dir: invalid KubeArmorPolicy: spec.file.matchDirectories[0].dir: "/etc" does not match ^\\/$|^\\/.*\\/$'));
    assert.ok(policies.every((p) => !p.names.includes('bad-dir')));
  });

  it('objects the policy store rejects are posted as Events too', async () => {
    fake.upsert('kubearmorpolicies', ksp('rejected-by-store', { selector: { matchLabels: { app: 'web' } }, file: { matchPaths: [{ path: '/etc/passwd' }] } }));
    const ev = await waitFor('event', () => fake.events.find((e) => (e.body.involvedObject as { name: string }).name === 'rejected-by-store'));
    assert.equal(ev.body.reason, 'InvalidPolicy');
    assert.equal(ev.body.message, 'file.matchPaths[0]: duplicate rule');
  });

  it('kubearmor-policy / posture annotation changes signal the containers (and the host) whose settings changed', async () => {
    const before = settingsChanges.length;
    fake.upsert('namespaces', { metadata: { name: 'ops', annotations: { 'kubearmor-visibility': 'network', 'kubearmor-policy': 'Audited' } } });
    await waitFor('ns settings', () => settingsChanges.length > before);
    assert.deepEqual(settingsChanges.slice(before), [{ host: false, containerIds: [ids.report] }]);
    assert.equal(w.settings(ids.report)?.policyMode, 'audited');
    // Visibility did not change: no re-announcement for it.
    assert.deepEqual(vis.filter((t) => t.containerId === ids.report).length, 2);
    const p = structuredClone(reportPod) as { metadata: { annotations: Record<string, string> } };
    p.metadata.annotations['kubearmor-capabilities-posture'] = 'block';
    const b2 = settingsChanges.length;
    fake.upsert('pods', p);
    await waitFor('pod settings', () => settingsChanges.length > b2);
    assert.deepEqual(settingsChanges.slice(b2), [{ host: false, containerIds: [ids.report] }]);
    assert.deepEqual(w.settings(ids.report)?.postures, { file: 'audit', network: 'audit', capabilities: 'block' });
    const b3 = settingsChanges.length;
    fake.upsert('nodes', { metadata: { name: 'node-1', annotations: { 'kubearmor-visibility': 'process,file,network', 'kubearmor-policy': 'disabled' } } });
    await waitFor('node settings', () => settingsChanges.length > b3);
    assert.deepEqual(settingsChanges.slice(b3), [{ host: true, containerIds: [] }]);
    assert.deepEqual(w.hostSettings(), { visibility: ['process', 'file', 'network'], policyMode: 'disabled' });
  });

  it('a deleted pod clears the kernel visibility entry of its announced containers', async () => {
    const id = hex64('gone');
    const goneNs = addContainerProc(6161, `0::/kubepods/besteffort/pod0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/${id}\n`);
    fake.upsert('pods', pod({ name: 'gone', namespace: 'shop', containers: [{ name: 'c', id: `containerd://${id}`, image: 'busybox:1.36', imageID: `docker.io/library/busybox@${D('bb')}` }] }));
    await waitFor('announced', () => vis.find((t) => t.containerId === id));
    assert.deepEqual(cleared, []);
    fake.remove('pods', 'gone', 'shop');
    await waitFor('cleared', () => cleared.length > 0);
    assert.deepEqual(cleared, [{ ...goneNs, containerId: id }]);
  });

  it('resumes after the server ends its watches (no event lost)', async () => {
    fake.dropWatches();
    const id = hex64('after-drop');
    fake.upsert('pods', pod({ name: 'late', namespace: 'shop', containers: [{ name: 'c', id: `containerd://${id}`, image: 'busybox:1.36', imageID: `docker.io/library/busybox@${D('bb')}` }] }));
    await waitFor('late pod', () => w.lookup(id));
    assert.equal(w.lookup(id)?.podName, 'late');
  });
});

describe('k8s PodWatcher list failures (against the FAKE kube-apiserver)', () => {
  it('retries a failed list and recovers', async () => {
    const fake = await FakeKubeApiServer.start();
    const id = hex64('retry');
    fake.upsert('pods', pod({ name: 'r', namespace: 'x', containers: [{ name: 'c', id: `containerd://${id}`, image: 'busybox:1.36', imageID: '' }] }));
    fake.failLists.add('pods');
    const logs: string[] = [];
    const watchErrors: string[] = [];
    const w = new PodWatcher({
      nodeName: 'node-1', config: defaultConfig(), server: fake.url, retryMs: 20, policies: false, log: (l, m) => logs.push(`${l}: ${m}`),
      metrics: { k8sWatchError: (r) => watchErrors.push(r) },
    });
    try {
      await w.start();
      assert.equal(w.lookup(id), undefined);
      await waitFor('retry log', () => logs.find((l) => l.startsWith('warn: /api/v1/pods: list/watch failed')));
      assert.equal(watchErrors[0], '/api/v1/pods');
      fake.failLists.delete('pods');
      await waitFor('pod after retry', () => w.lookup(id));
      assert.equal(w.lookup(id)?.image, 'busybox:1.36');
    } finally {
      await w.stop();
      await fake.close();
    }
  });
});
