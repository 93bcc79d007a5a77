import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readMachineId } from '../../src/sensors/index';
import { EnrichHarness } from './enrich-harness';

describe('kernel enrich: process events', function () {
  this.timeout(30000);
  let h: EnrichHarness;
  before(async function () {
    this.timeout(120000);
    h = await EnrichHarness.open(this);
  });
  after(async () => {
    await h?.close();
  });

  it('sh forks and execs cat: every KubeArmor field of the exec event', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otelarmor-exec-'));
    try {
      const sh = fs.realpathSync('/bin/sh');
      const cat = fs.realpathSync('/bin/cat');
      // "; exit 0" keeps the shell from exec'ing cat in place: cat is a forked child of sh.
      const r = await h.run('/bin/sh', ['-c', '/bin/cat /etc/hostname > /dev/null; exit 0'], { cwd: dir });
      assert.equal(r.code, 0);
      const ev = await h.waitFor(
        (e) => e.ka.Operation === 'Process' && e.ka.HostPPID === r.pid && e.ka.ProcessName === cat,
        `exec of ${cat} by sh ${r.pid}`,
      );
      const ka = ev.ka;
      assert.equal(ka.Type, 'HostLog');
      assert.equal(ka.ClusterName, 'default');
      assert.equal(ka.HostName, os.hostname());
      assert.equal(ka.ParentProcessName, sh);
      assert.equal(ka.Source, sh);
      assert.equal(ka.Resource, `${cat} /etc/hostname`);
      assert.equal(ka.Data, 'syscall=SYS_EXECVE');
      assert.deepEqual(ka.EventData, { Syscall: 'SYS_EXECVE' });
      assert.equal(ka.Result, 'Passed');
      assert.equal(ka.Cwd, `${dir}/`);
      assert.equal(ka.PID, ka.HostPID);
      assert.equal(ka.PPID, 0);
      assert.equal(ka.UID, 0);
      assert.equal(ka.UserName, 'root');
      assert.equal(ka.ContainerID, undefined);
      assert.deepEqual(ka.ExecEvent, { ExecID: '0', ExecutableName: 'cat' });
      assert.equal(ka.NodeID, readMachineId() || undefined);
      assert.equal(ka.Timestamp, Number(ev.timeNs / 1_000_000_000n));
      assert.ok(Math.abs(Number(ev.timeNs / 1_000_000n) - Date.now()) < 60_000, 'kernel time converted to wall time');
      assert.deepEqual(ev.extras.args, ['/bin/cat', '/etc/hostname']);
      assert.equal(ev.extras.path, cat);
      assert.equal(ev.extras.ancestry[0], sh);
      assert.equal(ev.extras.ancestry[1], fs.realpathSync(process.execPath));
      // The file event of the new image carries the exec'd command line as Source.
      const open = await h.waitFor(
        (e) => e.ka.Operation === 'File' && e.ka.HostPID === ka.HostPID && e.ka.Resource === '/etc/hostname',
        'cat opening /etc/hostname',
      );
      assert.equal(open.ka.ProcessName, cat);
      assert.equal(open.ka.Source, `${cat} /etc/hostname`);
      assert.equal(open.ka.ParentProcessName, sh);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failed exec: Result is the errno text and ProcessName stays the caller', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otelarmor-exec-'));
    try {
      const script = path.join(dir, 'noexec.sh');
      fs.writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
      const node = fs.realpathSync(process.execPath);
      const code = `try{require('child_process').execFileSync(${JSON.stringify(script)})}catch(e){process.exit(e.code==='EACCES'?0:1)}`;
      const r = await h.run(process.execPath, ['-e', code], { cwd: dir });
      assert.equal(r.code, 0);
      const ev = await h.waitFor(
        (e) => e.ka.Operation === 'Process' && e.ka.Result !== 'Passed' && (e.ka.Resource ?? '').startsWith(script),
        'failed exec of a non-executable file',
      );
      assert.equal(ev.ka.Result, 'Permission denied');
      assert.equal(ev.ka.Resource, script);
      assert.equal(ev.ka.Data, 'syscall=SYS_EXECVE');
      assert.equal(ev.ka.ProcessName, node, 'the forked child still runs the node image');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
