import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { containerFromCgroupFile, containerFromCgroupPath, ContainerResolver } from '../../../src/sensors/containers';
import { addProc, HOST_PID_NS, makeProcRoot } from './fake-proc';

const ID = '3f1c2b7a9d8e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718';
const ID2 = 'a94f5b8e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a79808f7e6d5c4b3a2f1e0d9c';

describe('containers: cgroup path parsing', () => {
  it('containerd under Kubernetes, systemd driver (cgroup v2)', () => {
    const f = `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f1a2b3c_4d5e_6f70_8192_a3b4c5d6e7f8.slice/cri-containerd-${ID}.scope\n`;
    assert.deepEqual(containerFromCgroupFile(f), { id: ID, runtime: 'containerd' });
  });

  it('containerd under Kubernetes, cgroupfs driver (cgroup v1 lines)', () => {
    const f = [
      `12:pids:/kubepods/besteffort/pod6f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8/${ID}`,
      `11:memory:/kubepods/besteffort/pod6f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8/${ID}`,
      `1:name=systemd:/kubepods/besteffort/pod6f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8/${ID}`,
      '0::/',
      '',
    ].join('\n');
    assert.deepEqual(containerFromCgroupFile(f), { id: ID, runtime: 'containerd' });
  });

  it('cri-o, and its conmon monitor is not a container', () => {
    assert.deepEqual(
      containerFromCgroupPath(`/kubepods.slice/kubepods-pod1234.slice/crio-${ID}.scope`),
      { id: ID, runtime: 'cri-o' },
    );
    assert.equal(containerFromCgroupPath(`/kubepods.slice/kubepods-pod1234.slice/crio-conmon-${ID}.scope`), undefined);
  });

  it('docker: systemd and cgroupfs drivers', () => {
    assert.deepEqual(containerFromCgroupFile(`0::/system.slice/docker-${ID}.scope\n`), { id: ID, runtime: 'docker' });
    assert.deepEqual(containerFromCgroupFile(`4:cpu,cpuacct:/docker/${ID2}\n0::/docker/${ID2}\n`), { id: ID2, runtime: 'docker' });
  });

  it('podman: machine.slice scope, payload sub-group, libpod_parent, rootless; conmon excluded', () => {
    assert.deepEqual(containerFromCgroupPath(`/machine.slice/libpod-${ID}.scope`), { id: ID, runtime: 'podman' });
    assert.deepEqual(containerFromCgroupPath(`/machine.slice/libpod-${ID}.scope/container`), { id: ID, runtime: 'podman' });
    assert.deepEqual(containerFromCgroupPath(`/libpod_parent/libpod-${ID2}`), { id: ID2, runtime: 'podman' });
    assert.deepEqual(
      containerFromCgroupPath(`/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope`),
      { id: ID, runtime: 'podman' },
    );
    assert.equal(containerFromCgroupPath(`/machine.slice/libpod-conmon-${ID}.scope`), undefined);
  });

  it('host cgroups carry no id', () => {
    assert.equal(containerFromCgroupFile('0::/user.slice/user-0.slice/session-3.scope\n'), undefined);
    assert.equal(containerFromCgroupFile('0::/init.scope\n'), undefined);
    assert.equal(containerFromCgroupFile(''), undefined);
    // 63 hex chars is not an id
    assert.equal(containerFromCgroupPath(`/docker/${ID.slice(1)}`), undefined);
  });
});

describe('containers: resolver', () => {
  it('host pid namespace is host; containers are cached per (pidns, mntns)', () => {
    const root = makeProcRoot();
    try {
      addProc(root, { pid: 500, ppid: 1, comm: 'nginx', exe: '/usr/sbin/nginx', args: ['nginx'], cwd: '/', pidNs: 4026532500, mntNs: 4026532501, nspid: [500, 1], cgroup: `0::/system.slice/docker-${ID}.scope\n` });
      const r = new ContainerResolver({ procRoot: root, hostPidNs: HOST_PID_NS });
      assert.deepEqual(r.resolve(42, HOST_PID_NS, 1), { host: true });
      assert.deepEqual(r.resolve(500, 4026532500, 4026532501), { host: false, containerId: ID, runtime: 'docker' });
      assert.equal(r.cacheSize, 1);
      // Another task of the same container that has already exited: served from the cache.
      assert.deepEqual(r.resolve(501, 4026532500, 4026532501), { host: false, containerId: ID, runtime: 'docker' });
      // First record of a pair whose task is gone: the parent's cgroup answers.
      addProc(root, { pid: 700, ppid: 1, comm: 'sh', exe: '/bin/sh', args: ['sh'], cwd: '/', pidNs: 4026532700, mntNs: 4026532701, cgroup: `0::/machine.slice/libpod-${ID2}.scope\n` });
      assert.deepEqual(r.resolve(701, 4026532700, 4026532701, [700]), { host: false, containerId: ID2, runtime: 'podman' });
      // Unknown namespace pair, task gone: not host, no container id.
      assert.deepEqual(r.resolve(999, 4026532900, 4026532901), { host: false });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a namespace pair with no container yet is re-checked after the negative TTL', () => {
    const root = makeProcRoot();
    let now = 1000;
    try {
      addProc(root, { pid: 600, ppid: 1, comm: 'sh', exe: '/bin/sh', args: ['sh'], cwd: '/', pidNs: 4026532600, mntNs: 4026532601, cgroup: '0::/system.slice/setup.scope\n' });
      const r = new ContainerResolver({ procRoot: root, hostPidNs: HOST_PID_NS, negativeTtlMs: 500, now: () => now });
      assert.deepEqual(r.resolve(600, 4026532600, 4026532601), { host: false });
      fs.writeFileSync(`${root}/600/cgroup`, `0::/machine.slice/libpod-${ID2}.scope\n`);
      now += 100;
      assert.deepEqual(r.resolve(600, 4026532600, 4026532601), { host: false });
      now += 500;
      assert.deepEqual(r.resolve(600, 4026532600, 4026532601), { host: false, containerId: ID2, runtime: 'podman' });
      // forget() (container gone) drops the pair: the next record reads /proc again.
      fs.writeFileSync(`${root}/600/cgroup`, `0::/system.slice/docker-${ID}.scope\n`);
      assert.deepEqual(r.resolve(600, 4026532600, 4026532601), { host: false, containerId: ID2, runtime: 'podman' });
      r.forget(4026532600, 4026532601);
      assert.deepEqual(r.resolve(600, 4026532600, 4026532601), { host: false, containerId: ID, runtime: 'docker' });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
