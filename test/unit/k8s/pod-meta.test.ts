import assert from 'node:assert/strict';
import { podEntries, renderLabels, resolveOwner } from '../../../src/k8s/pod-meta';
import { hex64, pod } from './fixtures';

const img = (n: string) => ({ image: `docker.io/library/${n}:1`, imageID: `docker.io/library/${n}@sha256:${hex64(n)}` });

describe('k8s pod metadata', () => {
  it('resolves the top-level owner from ownerReferences', () => {
    const base = { namespace: 'shop', containers: [] };
    assert.deepEqual(resolveOwner(pod({ ...base, name: 'web-7d9f8b6c5d-x2x9q', labels: { 'pod-template-hash': '7d9f8b6c5d' }, owner: { kind: 'ReplicaSet', name: 'web-7d9f8b6c5d' } })),
      { Ref: 'Deployment', Name: 'web', Namespace: 'shop' });
    assert.deepEqual(resolveOwner(pod({ ...base, name: 'rs-abcde', owner: { kind: 'ReplicaSet', name: 'rs' } })), { Ref: 'ReplicaSet', Name: 'rs', Namespace: 'shop' });
    assert.deepEqual(resolveOwner(pod({ ...base, name: 'report-29430000-k2j4d', owner: { kind: 'Job', name: 'report-29430000' } })), { Ref: 'CronJob', Name: 'report', Namespace: 'shop' });
    assert.deepEqual(resolveOwner(pod({ ...base, name: 'migrate-x7z', owner: { kind: 'Job', name: 'migrate' } })), { Ref: 'Job', Name: 'migrate', Namespace: 'shop' });
    assert.deepEqual(resolveOwner(pod({ ...base, name: 'db-0', owner: { kind: 'StatefulSet', name: 'db' } })), { Ref: 'StatefulSet', Name: 'db', Namespace: 'shop' });
    assert.deepEqual(resolveOwner(pod({ ...base, name: 'fluent-q8x', owner: { kind: 'DaemonSet', name: 'fluent' } })), { Ref: 'DaemonSet', Name: 'fluent', Namespace: 'shop' });
    assert.deepEqual(resolveOwner(pod({ ...base, name: 'debug' })), { Ref: 'Pod', Name: 'debug', Namespace: 'shop' });
  });

  it('maps every started container (init included) to its PodMeta; unstarted ones are skipped', () => {
    const p = pod({
      name: 'web-1', namespace: 'shop', labels: { app: 'web', tier: 'front' }, annotations: { 'kubearmor-visibility': 'process', other: 'x' },
      containers: [{ name: 'app', id: `containerd://${hex64('app')}`, ...img('nginx') }, { name: 'side', id: '', ...img('envoy') }],
      init: [{ name: 'init', id: `containerd://${hex64('init')}`, ...img('busybox') }],
    });
    const m = podEntries(p);
    assert.deepEqual([...m.keys()], [hex64('init'), hex64('app')]);
    assert.deepEqual(m.get(hex64('app')), {
      namespace: 'shop', podName: 'web-1', labels: { app: 'web', tier: 'front' }, containerName: 'app',
      image: `docker.io/library/nginx:1@sha256:${hex64('nginx')}`, owner: { Ref: 'Pod', Name: 'web-1', Namespace: 'shop' },
      annotations: { 'kubearmor-visibility': 'process' },
    });
    assert.equal(m.get(hex64('init'))?.containerName, 'init');
  });

  it('renders Labels as sorted k=v joined with commas', () => {
    assert.equal(renderLabels({ tier: 'front', app: 'web' }), 'app=web,tier=front');
    assert.equal(renderLabels({}), '');
  });
});
