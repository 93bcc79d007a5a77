import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { ProcessTree, readProcNode, ttyName } from '../../../src/sensors/proc-tree';
import { addProc, HOST_MNT_NS, HOST_PID_NS, makeProcRoot, removeProc } from './fake-proc';

describe('proc-tree', () => {
  let root: string;
  beforeEach(() => {
    root = makeProcRoot();
    addProc(root, { pid: 1, ppid: 0, comm: 'systemd', exe: '/usr/lib/systemd/systemd', args: ['/sbin/init'], cwd: '/' });
    addProc(root, { pid: 100, ppid: 1, comm: 'sshd', exe: '/usr/sbin/sshd', args: ['sshd: root@pts/0'], cwd: '/' });
    addProc(root, { pid: 200, ppid: 100, comm: 'bash', exe: '/usr/bin/bash', args: ['-bash'], cwd: '/root', ttyNr: (136 << 8) | 3 });
    addProc(root, { pid: 300, ppid: 200, comm: 'my prog) x', exe: '/opt/my prog', args: ['./my prog', '--flag', 'a b'], cwd: '/opt', ttyNr: (136 << 8) | 3 });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('tty names from tty_nr', () => {
    assert.equal(ttyName(0), '');
    assert.equal(ttyName((136 << 8) | 0), 'pts0');
    assert.equal(ttyName((137 << 8) | 2), 'pts258');
    assert.equal(ttyName((4 << 8) | 1), 'tty1');
    assert.equal(ttyName((4 << 8) | 64), 'ttyS0');
  });

  it('reads a /proc entry: exe, argv, cwd, tty, comm with parens and spaces, namespaces', () => {
    assert.deepEqual(readProcNode(root, 300), {
      tgid: 300, ppid: 200, nsTgid: 300, nsPpid: 200, exe: '/opt/my prog', args: ['./my prog', '--flag', 'a b'],
      cwd: '/opt', tty: 'pts3', comm: 'my prog) x', pidNs: HOST_PID_NS, mntNs: HOST_MNT_NS, execId: '0', exitedAtMs: 0,
    });
    assert.equal(readProcNode(root, 4242), undefined);
  });

  it('namespaced pids: NSpid last value, ppid in the same namespace', () => {
    addProc(root, { pid: 700, ppid: 300, comm: 'sh', exe: '/bin/sh', args: ['sh'], cwd: '/', nspid: [700, 1], pidNs: 4026532700 });
    addProc(root, { pid: 701, ppid: 700, comm: 'cat', exe: '/bin/cat', args: ['cat'], cwd: '/', nspid: [701, 2], pidNs: 4026532700 });
    assert.equal(readProcNode(root, 700)!.nsTgid, 1);
    assert.equal(readProcNode(root, 700)!.nsPpid, 0);
    assert.equal(readProcNode(root, 701)!.nsTgid, 2);
    assert.equal(readProcNode(root, 701)!.nsPpid, 1);
  });

  it('seeds from /proc and answers ancestry', () => {
    const t = new ProcessTree({ procRoot: root });
    assert.equal(t.seedFromProc(), 4);
    assert.equal(t.size, 4);
    assert.deepEqual(t.ancestry(300), ['/usr/bin/bash', '/usr/sbin/sshd', '/usr/lib/systemd/systemd']);
    assert.deepEqual(t.ancestry(300, 2), ['/usr/bin/bash', '/usr/sbin/sshd']);
  });

  it('ancestry follows every change of the chain: an ancestor exec, a reparent, a reaped parent', () => {
    let now = 1000;
    const t = new ProcessTree({ procRoot: root, exitGraceMs: 10, now: () => now });
    t.seedFromProc();
    assert.deepEqual(t.ancestry(300), ['/usr/bin/bash', '/usr/sbin/sshd', '/usr/lib/systemd/systemd']);
    assert.deepEqual(t.ancestry(300), ['/usr/bin/bash', '/usr/sbin/sshd', '/usr/lib/systemd/systemd']); // the same answer again
    t.onExec(200, '/usr/bin/zsh', ['zsh'], '/root', 'pts3', 'zsh');
    assert.deepEqual(t.ancestry(300), ['/usr/bin/zsh', '/usr/sbin/sshd', '/usr/lib/systemd/systemd']);
    t.touch(t.peek(300)!, 100, 300, 100, 0, 0, 'my prog) x'); // reparented to sshd
    assert.deepEqual(t.ancestry(300), ['/usr/sbin/sshd', '/usr/lib/systemd/systemd']);
    t.onExit(100);
    removeProc(root, 100);
    now += 10;
    assert.equal(t.reap(), 1);
    assert.deepEqual(t.ancestry(300), []);
    assert.throws(() => (t.ancestry(300) as string[]).push('x'), TypeError); // shared between events: frozen
  });

  it('fork copies the parent image; exec replaces it; exit is reaped after the grace period', () => {
    let now = 10_000;
    const t = new ProcessTree({ procRoot: root, exitGraceMs: 1000, now: () => now });
    t.seedFromProc();
    const child = t.onFork(200, 400, 400, 200);
    assert.equal(child.exe, '/usr/bin/bash');
    assert.deepEqual(child.args, ['-bash']);
    assert.equal(child.cwd, '/root');
    assert.equal(child.tty, 'pts3');
    assert.equal(child.ppid, 200);
    t.onExec(400, '/usr/bin/cat', ['cat', '/etc/hosts'], '/root', 'pts3', 'cat');
    assert.equal(t.peek(400)!.exe, '/usr/bin/cat');
    assert.deepEqual(t.ancestry(400), ['/usr/bin/bash', '/usr/sbin/sshd', '/usr/lib/systemd/systemd']);
    t.onExit(400);
    now += 999;
    assert.equal(t.reap(), 0);
    assert.equal(t.peek(400)!.exe, '/usr/bin/cat', 'still resolvable during the grace period');
    now += 1;
    assert.equal(t.reap(), 1);
    assert.equal(t.peek(400), undefined);
    // A re-used pid that forked again after the exit record is not reaped by the stale entry.
    t.onFork(200, 401, 401, 200);
    t.onExit(401);
    t.onFork(200, 401, 401, 200);
    now += 5000;
    assert.equal(t.reap(), 0);
    assert.equal(t.peek(401)!.exitedAtMs, 0);
  });

  it('misses are read lazily from /proc; gone processes stay unknown', () => {
    const t = new ProcessTree({ procRoot: root });
    assert.equal(t.peek(300), undefined);
    assert.equal(t.get(300)!.exe, '/opt/my prog');
    assert.equal(t.peek(300)!.exe, '/opt/my prog');
    removeProc(root, 100);
    assert.equal(t.get(100), undefined);
  });

  it('bounded: evicts the oldest exited entry first, then the oldest entry', () => {
    const t = new ProcessTree({ procRoot: root, maxSize: 3 });
    t.onExec(10, '/a', ['a'], '/', '', 'a');
    t.onExec(11, '/b', ['b'], '/', '', 'b');
    t.onExec(12, '/c', ['c'], '/', '', 'c');
    t.onExit(11);
    t.onExec(13, '/d', ['d'], '/', '', 'd');
    assert.equal(t.size, 3);
    assert.equal(t.peek(11), undefined);
    assert.ok(t.peek(10) && t.peek(12) && t.peek(13));
    t.onExec(14, '/e', ['e'], '/', '', 'e');
    assert.equal(t.size, 3);
    assert.equal(t.peek(10), undefined);
  });
});
