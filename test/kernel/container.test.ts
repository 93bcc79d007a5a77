// A real container built in the test the way runtimes do it: a cgroup v2 directory named like
// docker's systemd-driver scope (/system.slice/docker-<64 hex>.scope), new pid + mount
// namespaces (unshare --pid --mount --fork --mount-proc), then a command inside it.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EnrichHarness } from './enrich-harness';
import { requireFile } from '../helpers/env';
import { findCgroup2Root } from '../../src/enforcer/detect';

/** The cgroup v2 mount: /sys/fs/cgroup/unified on this host, /sys/fs/cgroup in the kernel-matrix VMs. */
const CGROOT = findCgroup2Root() ?? '/sys/fs/cgroup';

describe('kernel enrich: container attribution', function () {
  this.timeout(60000);
  let h: EnrichHarness;
  let cg: string;
  const id = randomBytes(32).toString('hex');
  before(async function () {
    this.timeout(120000);
    requireFile(this, path.join(CGROOT, 'cgroup.procs'));
    requireFile(this, '/usr/bin/unshare');
    h = await EnrichHarness.open(this);
    cg = path.join(CGROOT, 'system.slice', `docker-${id}.scope`);
    fs.mkdirSync(cg, { recursive: true });
  });
  after(async () => {
    await h?.close();
    if (cg) {
      for (let i = 0; i < 50; i++) {
        try {
          fs.rmdirSync(cg);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  });

  it('events inside the container: ContainerLog, ContainerID from the cgroup, namespaced pids', async () => {
    const cat = fs.realpathSync('/bin/cat');
    const sh = fs.realpathSync('/bin/sh');
    const inner = '/bin/cat /etc/hostname > /dev/null; sleep 1; exit 0';
    // The outer shell joins the cgroup first, so the namespaces are created inside it.
    const r = await h.run('/bin/sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec /usr/bin/unshare --pid --mount --fork --mount-proc /bin/sh -c '${inner}'`]);
    assert.equal(r.code, 0);
    const ev = await h.waitFor((e) => e.ka.Operation === 'Process' && e.ka.ProcessName === cat && e.ka.ContainerID === id, `exec of cat in container ${id}`);
    const ka = ev.ka;
    assert.equal(ka.Type, 'ContainerLog');
    assert.equal(ka.ContainerID, id);
    assert.equal(ka.PID, 2, 'cat is the second process of the new pid namespace');
    assert.equal(ka.PPID, 1, 'its parent is the namespace init (the inner sh)');
    assert.notEqual(ka.HostPID, 2);
    assert.notEqual(ka.HostPPID, 1);
    assert.equal(ka.ParentProcessName, sh);
    assert.equal(ka.Source, sh);
    assert.equal(ka.Resource, `${cat} /etc/hostname`);
    assert.equal(ka.Result, 'Passed');
    assert.equal(ka.UserName, undefined, 'UserName is for host events only');
    assert.equal(ka.NamespaceName, undefined, 'no pod metadata source on a plain host');
    assert.notEqual(ev.extras.pidNs, h.enricher.containers.hostPidNs);
    // The inner shell is the namespace's pid 1, and a file event of cat is attributed the same way.
    const init = await h.waitFor((e) => e.ka.Operation === 'Process' && e.ka.ContainerID === id && e.ka.HostPID === ka.HostPPID, 'exec of the inner sh');
    assert.equal(init.ka.PID, 1);
    assert.equal(init.ka.PPID, 0);
    const open = await h.waitFor((e) => e.ka.Operation === 'File' && e.ka.HostPID === ka.HostPID && e.ka.Resource === '/etc/hostname', 'cat opening /etc/hostname');
    assert.equal(open.ka.Type, 'ContainerLog');
    assert.equal(open.ka.ContainerID, id);
    assert.equal(open.ka.PID, 2);
    // Host events in the same run stay host events.
    const host = await h.waitFor((e) => e.ka.HostPID === r.pid && e.ka.Operation === 'Process', 'exec of unshare on the host');
    assert.equal(host.ka.Type, 'HostLog');
    assert.equal(host.ka.ContainerID, undefined);
  });
});
