import assert from 'node:assert/strict';
import { containerIdFromCgroupPath, containerIdFromStatus, imageWithDigest } from '../../../src/k8s/container-id';
import { hex64 } from './fixtures';

const ID = hex64('c1');
const DIGEST = `sha256:${hex64('img')}`;

describe('k8s container ids', () => {
  it('strips the runtime scheme of status.containerStatuses[].containerID', () => {
    assert.equal(containerIdFromStatus(`containerd://${ID}`), ID);
    assert.equal(containerIdFromStatus(`cri-o://${ID}`), ID);
    assert.equal(containerIdFromStatus(`docker://${ID}`), ID);
    assert.equal(containerIdFromStatus(`podman://${ID}`), ID);
    assert.equal(containerIdFromStatus(ID.toUpperCase()), ID);
  });

  it('rejects empty, short and non-hex ids (container not started yet)', () => {
    assert.equal(containerIdFromStatus(undefined), undefined);
    assert.equal(containerIdFromStatus(''), undefined);
    assert.equal(containerIdFromStatus('containerd://abc123'), undefined);
    assert.equal(containerIdFromStatus(`containerd://${ID.slice(0, 63)}z`), undefined);
  });

  it('finds the id in the cgroup v2 paths of each runtime', () => {
    const pod = 'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_5f60_7182_93a4_b5c6d7e8f901.slice';
    assert.equal(containerIdFromCgroupPath(`0::/${pod}/cri-containerd-${ID}.scope`), ID);
    assert.equal(containerIdFromCgroupPath(`/sys/fs/cgroup/${pod}/crio-${ID}.scope`), ID);
    assert.equal(containerIdFromCgroupPath(`0::/system.slice/docker-${ID}.scope`), ID);
    assert.equal(containerIdFromCgroupPath(`0::/docker/${ID}`), ID);
    assert.equal(containerIdFromCgroupPath(`0::/machine.slice/libpod-${ID}.scope/container`), ID);
    assert.equal(containerIdFromCgroupPath(`0::/kubepods/besteffort/pod1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901/${ID}`), ID);
  });

  it('returns undefined for host cgroups and the podman conmon scope', () => {
    assert.equal(containerIdFromCgroupPath('0::/user.slice/user-0.slice/session-3.scope'), undefined);
    assert.equal(containerIdFromCgroupPath('0::/init.scope'), undefined);
    assert.equal(containerIdFromCgroupPath(`0::/machine.slice/libpod-conmon-${ID}.scope`), undefined);
  });

  it('renders ContainerImage as image@sha256:digest for each runtime imageID format', () => {
    assert.equal(imageWithDigest('docker.io/library/nginx:1.25.3', `docker.io/library/nginx@${DIGEST}`), `docker.io/library/nginx:1.25.3@${DIGEST}`);
    assert.equal(imageWithDigest('nginx:1.25.3', `docker-pullable://nginx@${DIGEST}`), `nginx:1.25.3@${DIGEST}`);
    assert.equal(imageWithDigest('localhost/app:dev', DIGEST), `localhost/app:dev@${DIGEST}`);
    assert.equal(imageWithDigest(`quay.io/x/y@${DIGEST}`, `quay.io/x/y@${DIGEST}`), `quay.io/x/y@${DIGEST}`);
    assert.equal(imageWithDigest('busybox:1.36', ''), 'busybox:1.36');
  });
});
