import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Op, type ExecRecord, type TaskStateRecord } from '../../src/events/record';
import { readMachineId } from '../../src/sensors/index';
import { requireFile } from '../helpers/env';
import { EnrichHarness } from './enrich-harness';
import { NsShell } from './sensors-harness';

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

  it('ExecEvent.ExecID: "0" on the host; after nsenter joins a pid namespace, ktime|pid of its setns, inherited by the child', async function () {
    requireFile(this, '/usr/bin/nsenter');
    const ns = await NsShell.start(this);
    try {
      const fileops = EnrichHarness.prog('fileops');
      // The child waits before its exec, so the lifecycle records (their own ring) are handled
      // before its events arrive.
      const r = await h.run('/usr/bin/nsenter', ['--target', String(ns.initPid), '--pid', '--mount', '--', '/bin/sh', '-c',
        `sleep 0.5; exec ${fileops} openat cwd /etc/hostname 0 0`]);
      assert.equal(r.code, 0);
      assert.equal(r.out, 'openat 3\n');
      const open = await h.waitFor((e) => e.ka.Operation === 'File' && e.ka.HostPPID === r.pid && e.ka.Resource === '/etc/hostname', 'fileops opening /etc/hostname');
      // nsenter joins the pid namespace, then the mount namespace: both leave its children in the
      // target pid namespace, so both are setns records; the later one is the ExecID.
      const setns = h.records.filter((x): x is TaskStateRecord => x.op === Op.TaskState && x.tgid === r.pid && x.nr === 308);
      assert.deepEqual(setns.map((x) => [x.pidNsForChildren, x.mntNs === ns.mntNs]), [[ns.pidNs, false], [ns.pidNs, true]]);
      const id = (setns[1]!.ktimeNs | BigInt(r.pid)).toString();
      assert.deepEqual(open.ka.ExecEvent, { ExecID: id, ExecutableName: 'fileops' });
      assert.equal(open.ka.PID, 2, 'the second process of the namespace (its init is the shell)');
      const exec = await h.waitFor((e) => e.ka.Operation === 'Process' && e.ka.HostPID === open.ka.HostPID && e.ka.ProcessName === fileops, 'exec of fileops');
      assert.deepEqual(exec.ka.ExecEvent, { ExecID: id, ExecutableName: 'fileops' });
      const nsenter = await h.waitFor((e) => e.ka.Operation === 'Process' && e.ka.HostPID === r.pid, 'exec of nsenter');
      assert.deepEqual(nsenter.ka.ExecEvent, { ExecID: '0', ExecutableName: 'nsenter' });
    } finally {
      await ns.close();
    }
  });

  it('TTY: a tester under a real pty (script -c): the exec record tty and the enriched TTY', async function () {
    requireFile(this, '/usr/bin/script');
    const syscaller = EnrichHarness.prog('syscaller');
    // (The pause keeps the later file event out of the drain round of the exec record.)
    const r = await h.run('/usr/bin/script', ['-q', '-c', `${syscaller} tty sleep 500 fchdir /`, '/dev/null']);
    assert.equal(r.code, 0);
    const m = /^tty \/dev\/pts\/(\d+)\r?\nfchdir 0\r?\n$/.exec(r.out);
    assert.ok(m, `ttyname(0) under script: ${JSON.stringify(r.out)}`);
    const pts = `pts${m[1]}`;
    const isRec = (x: (typeof h.records)[number]): x is ExecRecord =>
      x.op === Op.ProcessExec && x.path === syscaller && x.args.join(' ') === `${syscaller} tty sleep 500 fchdir /` && x.tty === pts;
    // script runs `$SHELL -c CMD`, and the shell execs syscaller in place: match the image too.
    const ev = await h.waitFor(
      (e) => e.ka.Operation === 'Process' && e.ka.ProcessName === syscaller && h.records.some((x) => isRec(x) && x.tgid === e.ka.HostPID),
      `exec of syscaller on ${pts}`,
    );
    const rec = h.records.find((x): x is ExecRecord => isRec(x) && x.tgid === ev.ka.HostPID)!;
    assert.equal(rec.tty, pts);
    assert.equal(ev.ka.TTY, pts);
    assert.equal(ev.ka.Resource, `${syscaller} tty sleep 500 fchdir /`);
    assert.ok(ev.extras.ancestry.includes(fs.realpathSync('/usr/bin/script')), 'a descendant of script');
    // Later events of the process carry the same TTY (from the process tree).
    const file = await h.waitFor((e) => e.ka.Operation === 'File' && e.ka.HostPID === ev.ka.HostPID && e.ka.Resource === '/', 'open("/") of syscaller');
    assert.equal(file.ka.TTY, pts);
  });
});
