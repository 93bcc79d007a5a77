// Pod metadata end to end without a cluster: the real Enricher and PodWatcher against
// test/fakes/fake-kube-apiserver.ts, a FAKE Kubernetes API server (explicit test double), over a
// /proc fixture tree holding one container process per runtime cgroup layout (paths as each runtime
// writes them on a cgroup v2 node). Pod fields are asserted exactly, as KubeArmor renders them
// (kubearmor-compat.md §3.1): Labels "k=v" joined with "," (sorted here), ContainerImage
// image@sha256:digest, Owner the top-level controller.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Op, type FileRecord } from '../../../src/events/record';
import type { AgentEvent } from '../../../src/events/types';
import { PodWatcher, type VisibilityTarget } from '../../../src/k8s/pod-watcher';
import { startMetricsServer, type MetricsServer } from '../../../src/metrics/server';
import { Enricher } from '../../../src/sensors/index';
import { defaultConfig } from '../../../src/config';
import { FakeKubeApiServer } from '../../fakes/fake-kube-apiserver';
import { addProc, HOST_PID_NS, makeProcRoot } from '../sensors/fake-proc';
import { hex64, pod, waitFor } from './fixtures';

const D = (s: string) => `sha256:${hex64(s)}`;

interface Layout {
  runtime: string;
  pid: number;
  cgroup: (id: string) => string;
  pod: Parameters<typeof pod>[0];
  want: { NamespaceName: string; PodName: string; Labels: string; ContainerName: string; ContainerImage: string; Owner: { Ref: string; Name: string; Namespace: string } };
}

const id = (s: string) => hex64(`enrich-${s}`);
const LAYOUTS: Layout[] = [
  {
    runtime: 'containerd (systemd cgroup driver)', pid: 1001,
    cgroup: (c) => `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_5f60_7182_93a4_b5c6d7e8f901.slice/cri-containerd-${c}.scope\n`,
    pod: {
      name: 'web-7d9f8b6c5d-x2x9q', namespace: 'shop', labels: { tier: 'frontend', app: 'web', 'pod-template-hash': '7d9f8b6c5d' },
      owner: { kind: 'ReplicaSet', name: 'web-7d9f8b6c5d' },
      containers: [{ name: 'nginx', id: `containerd://${id('web')}`, image: 'docker.io/library/nginx:1.25.3', imageID: `docker.io/library/nginx@${D('nginx')}` }],
    },
    want: {
      NamespaceName: 'shop', PodName: 'web-7d9f8b6c5d-x2x9q', Labels: 'app=web,pod-template-hash=7d9f8b6c5d,tier=frontend', ContainerName: 'nginx',
      ContainerImage: `docker.io/library/nginx:1.25.3@${D('nginx')}`, Owner: { Ref: 'Deployment', Name: 'web', Namespace: 'shop' },
    },
  },
  {
    runtime: 'containerd (cgroupfs driver)', pid: 1002,
    cgroup: (c) => `0::/kubepods/besteffort/pod6f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8/${c}\n`,
    pod: {
      name: 'cache-0', namespace: 'shop', labels: { app: 'cache', 'statefulset.kubernetes.io/pod-name': 'cache-0' }, owner: { kind: 'StatefulSet', name: 'cache' },
      containers: [{ name: 'redis', id: `containerd://${id('cache')}`, image: 'docker.io/library/redis:7.2.4', imageID: `docker.io/library/redis@${D('redis')}` }],
    },
    want: {
      NamespaceName: 'shop', PodName: 'cache-0', Labels: 'app=cache,statefulset.kubernetes.io/pod-name=cache-0', ContainerName: 'redis',
      ContainerImage: `docker.io/library/redis:7.2.4@${D('redis')}`, Owner: { Ref: 'StatefulSet', Name: 'cache', Namespace: 'shop' },
    },
  },
  {
    runtime: 'cri-o', pid: 1003,
    cgroup: (c) => `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a1b2c3d_4e5f_6071_8293_a4b5c6d7e8f9.slice/crio-${c}.scope\n`,
    pod: {
      name: 'db-0', namespace: 'data', labels: { 'app.kubernetes.io/part-of': 'shop', app: 'db' }, owner: { kind: 'StatefulSet', name: 'db' },
      containers: [{ name: 'postgres', id: `cri-o://${id('db')}`, image: 'quay.io/sclorg/postgresql-16-c9s:20240601', imageID: `quay.io/sclorg/postgresql-16-c9s@${D('pg')}` }],
    },
    want: {
      NamespaceName: 'data', PodName: 'db-0', Labels: 'app=db,app.kubernetes.io/part-of=shop', ContainerName: 'postgres',
      ContainerImage: `quay.io/sclorg/postgresql-16-c9s:20240601@${D('pg')}`, Owner: { Ref: 'StatefulSet', Name: 'db', Namespace: 'data' },
    },
  },
  {
    runtime: 'docker (cri-dockerd, systemd driver)', pid: 1004,
    cgroup: (c) => `0::/kubepods.slice/kubepods-pod9e8d7c6b_5a49_3827_1605_f4e3d2c1b0a9.slice/docker-${c}.scope\n`,
    pod: {
      name: 'legacy', namespace: 'ops', labels: { app: 'legacy' },
      containers: [{ name: 'app', id: `docker://${id('legacy')}`, image: 'registry.local/legacy:2', imageID: `docker-pullable://registry.local/legacy@${D('legacy')}` }],
    },
    want: {
      NamespaceName: 'ops', PodName: 'legacy', Labels: 'app=legacy', ContainerName: 'app',
      ContainerImage: `registry.local/legacy:2@${D('legacy')}`, Owner: { Ref: 'Pod', Name: 'legacy', Namespace: 'ops' },
    },
  },
  {
    runtime: 'podman', pid: 1005,
    cgroup: (c) => `0::/machine.slice/libpod-${c}.scope/container\n`,
    pod: {
      name: 'report-29430000-k2j4d', namespace: 'ops', labels: { 'job-name': 'report-29430000', 'batch.kubernetes.io/controller-uid': 'a1b2' },
      owner: { kind: 'Job', name: 'report-29430000' },
      containers: [{ name: 'report', id: `podman://${id('report')}`, image: 'quay.io/acme/report:1', imageID: `quay.io/acme/report@${D('report')}` }],
    },
    want: {
      NamespaceName: 'ops', PodName: 'report-29430000-k2j4d', Labels: 'batch.kubernetes.io/controller-uid=a1b2,job-name=report-29430000', ContainerName: 'report',
      ContainerImage: `quay.io/acme/report:1@${D('report')}`, Owner: { Ref: 'CronJob', Name: 'report', Namespace: 'ops' },
    },
  },
];
const cid = (l: Layout) => l.pod.containers[0]!.id.slice(l.pod.containers[0]!.id.indexOf('://') + 3);
const nsOf = (pid: number) => ({ pidNs: 4026532000 + pid * 2, mntNs: 4026532001 + pid * 2 });

function openat(pid: number): FileRecord {
  const ns = nsOf(pid);
  return {
    op: Op.File, flags: 0, ktimeNs: 5_000_000_000n, tgid: pid, tid: pid, ppid: 900, nsTgid: 1, nsPpid: 0, uid: 0, gid: 0,
    pidNs: ns.pidNs, mntNs: ns.mntNs, cgroupId: BigInt(pid), comm: 'sh', ruleId: 0,
    syscall: 'openat', ret: 3, dirfd: -100, mode: 0, ownerUid: -1, ownerGid: -1, path: '/etc/hostname', cwd: '', fileOwnerUid: 0,
  };
}

const POD_FIELDS = ['Type', 'NamespaceName', 'PodName', 'Labels', 'ContainerID', 'ContainerName', 'ContainerImage', 'Owner'] as const;
const podFields = (e: AgentEvent) => Object.fromEntries(POD_FIELDS.map((k) => [k, e.ka[k]]));

async function promSample(srv: MetricsServer, series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://${srv.address}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('k8s enrichment: Enricher + PodWatcher against the FAKE kube-apiserver, per runtime cgroup layout', () => {
  let fake: FakeKubeApiServer;
  let w: PodWatcher;
  let srv: MetricsServer;
  let e: Enricher;
  let now = 1_000_000;
  const vis: VisibilityTarget[] = [];
  const root = makeProcRoot();

  before(async () => {
    addProc(root, { pid: 1, ppid: 0, comm: 'systemd', exe: '/usr/lib/systemd/systemd', args: ['/sbin/init'], cwd: '/' });
    addProc(root, { pid: 900, ppid: 1, comm: 'containerd-shim', exe: '/usr/bin/containerd-shim-runc-v2', args: ['/usr/bin/containerd-shim-runc-v2'], cwd: '/' });
    for (const l of LAYOUTS) {
      addProc(root, { pid: l.pid, ppid: 900, comm: 'sh', exe: '/bin/sh', args: ['sh'], cwd: '/', nspid: [l.pid, 1], ...nsOf(l.pid), cgroup: l.cgroup(cid(l)) });
    }
    // A container whose pod the API never reports, and one whose pod appears late.
    addProc(root, { pid: 1006, ppid: 900, comm: 'sh', exe: '/bin/sh', args: ['sh'], cwd: '/', nspid: [1006, 1], ...nsOf(1006), cgroup: `0::/system.slice/docker-${id('orphan')}.scope\n` });
    addProc(root, { pid: 1007, ppid: 900, comm: 'sh', exe: '/bin/sh', args: ['sh'], cwd: '/', nspid: [1007, 1], ...nsOf(1007), cgroup: `0::/kubepods.slice/kubepods-pod5.slice/cri-containerd-${id('late')}.scope\n` });
    addProc(root, { pid: 1008, ppid: 900, comm: 'sh', exe: '/bin/sh', args: ['sh'], cwd: '/', nspid: [1008, 1], ...nsOf(1008), cgroup: `0::/system.slice/docker-${id('orphan2')}.scope\n` });

    fake = await FakeKubeApiServer.start();
    for (const n of ['shop', 'data', 'ops']) fake.upsert('namespaces', { metadata: { name: n } });
    fake.upsert('nodes', { metadata: { name: 'node-1' } });
    for (const l of LAYOUTS) fake.upsert('pods', pod(l.pod));
    srv = await startMetricsServer({ address: '127.0.0.1:0', readiness: () => ({ ready: true, detail: {} }) });
    w = new PodWatcher({ nodeName: 'node-1', config: defaultConfig(), server: fake.url, procRoot: root, policies: false, postEvents: false, log: () => undefined });
    w.onVisibilityChange((t) => vis.push(t));
    await w.start();
    e = new Enricher({
      clusterName: 'default', hostName: 'node-1', nodeId: 'f00dfeed', metrics: srv.metrics, pods: w, procRoot: root, passwdPath: path.join(root, 'passwd'),
      hostPidNs: HOST_PID_NS, bootToWallNs: (b) => b, now: () => now, podHoldMs: 1000, podHoldMax: 2,
    });
    e.seedFromProc();
  });

  after(async () => {
    await w?.stop();
    await fake?.close();
    await srv?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const l of LAYOUTS) {
    it(`${l.runtime}: every pod field of a container event`, () => {
      const [ev, ...rest] = e.enrich([openat(l.pid)]);
      assert.equal(rest.length, 0);
      assert.deepEqual(podFields(ev!), { Type: 'ContainerLog', ContainerID: cid(l), ...l.want });
      assert.deepEqual([ev!.extras.pidNs, ev!.extras.mntNs], [nsOf(l.pid).pidNs, nsOf(l.pid).mntNs]);
    });

    it(`${l.runtime}: the pod watcher keyed the container's kernel visibility by its process's namespaces`, () => {
      assert.deepEqual(vis.filter((t) => t.containerId === cid(l)), [{ ...nsOf(l.pid), containerId: cid(l), categories: ['process', 'file', 'network', 'capabilities'] }]);
    });
  }

  it('a label update is rendered in the next event (sorted k=v)', async () => {
    const web = LAYOUTS[0]!;
    fake.upsert('pods', pod({ ...web.pod, labels: { ...web.pod.labels, version: '1.25.3', 'a.b/c': 'x' } }));
    await waitFor('labels', () => w.lookup(cid(web))?.labels.version === '1.25.3');
    const [ev] = e.enrich([openat(web.pid)]);
    assert.equal(ev!.ka.Labels, 'a.b/c=x,app=web,pod-template-hash=7d9f8b6c5d,tier=frontend,version=1.25.3');
  });

  it('an event of a container whose pod arrives later is held, then replayed with its pod fields', async () => {
    assert.deepEqual(e.enrich([openat(1007)]), []);
    assert.equal(e.heldCount, 1);
    fake.upsert('pods', pod({
      name: 'late', namespace: 'shop', labels: { app: 'late' },
      containers: [{ name: 'c', id: `containerd://${id('late')}`, image: 'busybox:1.36', imageID: `docker.io/library/busybox@${D('bb')}` }],
    }));
    await waitFor('late pod', () => w.lookup(id('late')));
    now += 100;
    const [ev, ...rest] = e.enrich([]);
    assert.equal(rest.length, 0);
    assert.deepEqual(podFields(ev!), {
      Type: 'ContainerLog', NamespaceName: 'shop', PodName: 'late', Labels: 'app=late', ContainerID: id('late'), ContainerName: 'c',
      ContainerImage: `busybox:1.36@${D('bb')}`, Owner: { Ref: 'Pod', Name: 'late', Namespace: 'shop' },
    });
    assert.equal(e.stats.podMetaUnresolved, 0);
  });

  it('unresolved pods: released without pod fields after the hold, counted in otelarmor_pod_metadata_unresolved_total', async () => {
    assert.deepEqual(e.enrich([openat(1006), openat(1008)]), []);
    assert.equal(e.heldCount, 2);
    // The hold holds 2 (podHoldMax): a third event leaves at once, counted as hold_full.
    const [full] = e.enrich([openat(1006)]);
    assert.deepEqual(podFields(full!), {
      Type: 'ContainerLog', NamespaceName: undefined, PodName: undefined, Labels: undefined, ContainerID: id('orphan'), ContainerName: undefined,
      ContainerImage: undefined, Owner: undefined,
    });
    now += 1000;
    const out = e.enrich([]);
    assert.deepEqual(out.map((x) => x.ka.ContainerID), [id('orphan'), id('orphan2')]);
    assert.equal(out[0]!.ka.PodName, undefined);
    assert.deepEqual(e.stats, { podMetaUnresolved: 3, podHoldOverflow: 1 });
    assert.equal(await promSample(srv, 'otelarmor_pod_metadata_unresolved_total{reason="timeout"}'), 2);
    assert.equal(await promSample(srv, 'otelarmor_pod_metadata_unresolved_total{reason="hold_full"}'), 1);
  });
});
