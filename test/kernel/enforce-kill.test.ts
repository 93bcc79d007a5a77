// Kill-on-attempt for real: Block rules stop the program before it can use the result of the
// syscall (no output from a blocked exec, no data from a blocked read); Audit leaves it alone
// and still reports the match although file visibility is off; an allow-list with block
// posture kills what is not listed. Rules are hand-built KernelRuleSets scoped to test paths or
// to a private (pid ns, mnt ns) pair.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findCgroup2Root } from '../../src/enforcer';
import { Op, RecordFlag, type CapabilityRecord, type ExecRecord, type FileRecord } from '../../src/events/record';
import { PostureMode, RuleFlag, RuleKind } from '../../src/kernel/rule-types';
import { EMPTY_RULES, EnforceHarness, namespacesOf, prog } from './enforce-harness';

const SECRET = 'oa-secret-3f9c1d';

describe('kernel enforcement: kill-on-attempt', function () {
  this.timeout(30000);
  let h: EnforceHarness;
  let dir: string;

  before(async function () {
    // Host: process visible, file NOT visible (the Audit test relies on it).
    h = await EnforceHarness.open(this, ['process']);
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'oa-enforce-')));
  });
  afterEach(() => {
    h?.enforcer.apply(EMPTY_RULES);
  });
  after(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('start-up: mode gauge and one start-up line', () => {
    assert.equal(h.enforcer.mode, 'kill-on-attempt+cgroup');
    assert.deepEqual(Object.fromEntries(h.metrics.gauges.enforcerMode), { 'bpf-lsm': 0, 'kill-on-attempt+cgroup': 1, 'audit-only': 0 });
    assert.deepEqual(h.logLines, [
      `enforcer: kill-on-attempt+cgroup: Block kills the caller after the syscall (SIGKILL from the sensors); 6 cgroup programs on ${findCgroup2Root()} deny connect/sendmsg/bind`,
    ]);
    assert.equal(h.enforcer.status.cgroupRoot, findCgroup2Root());
    assert.deepEqual(h.enforcer.status.attached, ['oa_nb_connect4', 'oa_nb_connect6', 'oa_nb_sendmsg4', 'oa_nb_sendmsg6', 'oa_nb_bind4', 'oa_nb_bind6']);
  });

  it('blocked exec: the program never prints, dies of SIGKILL, record flagged Killed|Matched with the rule id', async () => {
    const marker = prog('enforce-marker');
    h.enforcer.apply({
      rules: [{ pidNs: 0, mntNs: 0, kind: RuleKind.Process, num: 0, target: marker, source: '', ruleId: 41, flags: RuleFlag.Block }],
      postures: [],
      userSpaceOnly: [],
    });
    const r = await h.run(marker, ['blocked']);
    assert.deepEqual(r.lines, []);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.code, null);
    const execs = h.of(r.pid, Op.ProcessExec) as ExecRecord[];
    assert.equal(execs.length, 1);
    const e = execs[0]!;
    assert.equal(e.path, marker);
    assert.equal(e.ret, 0);
    assert.equal(e.recordFlags, RecordFlag.Matched | RecordFlag.Killed);
    assert.equal(e.ruleId, 41);

    // Same binary with the rule removed: runs normally, record unflagged.
    h.enforcer.apply(EMPTY_RULES);
    const ok = await h.run(marker, ['free']);
    assert.deepEqual(ok.lines, ['marker free']);
    assert.equal(ok.code, 0);
    const e2 = h.of(ok.pid, Op.ProcessExec)[0] as ExecRecord;
    assert.equal(e2.recordFlags, 0);
    assert.equal(e2.ruleId, 0);
  });

  it('blocked read: the secret is never printed, the reader dies of SIGKILL at the open', async () => {
    const secret = path.join(dir, 'secret.txt');
    writeFileSync(secret, SECRET);
    h.enforcer.apply({
      rules: [{ pidNs: 0, mntNs: 0, kind: RuleKind.File, num: 0, target: secret, source: '', ruleId: 42, flags: RuleFlag.Block }],
      postures: [],
      userSpaceOnly: [],
    });
    const r = await h.run(prog('enforce-read'), [secret]);
    assert.deepEqual(r.lines, []);
    assert.equal(r.signal, 'SIGKILL');
    const files = h.of(r.pid, Op.File) as FileRecord[];
    assert.equal(files.length, 1);
    const f = files[0]!;
    assert.equal(f.path, secret);
    assert.ok(f.ret >= 3, `open succeeded in the kernel before the kill (ret ${f.ret})`);
    // File visibility is off on the host: the record exists only because the rule matched.
    assert.equal(f.recordFlags, RecordFlag.Matched | RecordFlag.Killed | RecordFlag.RuleOnly);
    assert.equal(f.ruleId, 42);
  });

  it('directory rule (recursive, from a source): blocks a file two levels down for that reader only', async () => {
    const sub = path.join(dir, 'vault', 'inner');
    mkdirSync(sub, { recursive: true });
    const secret = path.join(sub, 'key.txt');
    writeFileSync(secret, SECRET);
    h.enforcer.apply({
      rules: [
        { pidNs: 0, mntNs: 0, kind: RuleKind.File, num: 0, target: path.join(dir, 'vault') + '/', source: prog('enforce-read'), ruleId: 43, flags: RuleFlag.Block | RuleFlag.Dir | RuleFlag.Recursive },
      ],
      postures: [],
      userSpaceOnly: [],
    });
    const r = await h.run(prog('enforce-read'), [secret]);
    assert.deepEqual(r.lines, []);
    assert.equal(r.signal, 'SIGKILL');
    const f = h.of(r.pid, Op.File)[0] as FileRecord;
    assert.equal(f.ruleId, 43);
    assert.equal(f.recordFlags, RecordFlag.Matched | RecordFlag.Killed | RecordFlag.RuleOnly);
    // Another program (cat) reading the same file is not the rule's source: untouched.
    const cat = await h.run('/bin/cat', [secret]);
    assert.deepEqual(cat.lines, [SECRET]);
    assert.equal(cat.code, 0);
  });

  it('non-recursive directory rule covers direct children only', async () => {
    const top = path.join(dir, 'flat');
    mkdirSync(path.join(top, 'deeper'), { recursive: true });
    writeFileSync(path.join(top, 'a.txt'), 'A');
    writeFileSync(path.join(top, 'deeper', 'b.txt'), 'B');
    h.enforcer.apply({
      rules: [{ pidNs: 0, mntNs: 0, kind: RuleKind.File, num: 0, target: top + '/', source: '', ruleId: 44, flags: RuleFlag.Block | RuleFlag.Dir }],
      postures: [],
      userSpaceOnly: [],
    });
    const deep = await h.run(prog('enforce-read'), [path.join(top, 'deeper', 'b.txt')]);
    assert.deepEqual(deep.lines, ['open 3', 'data B']);
    assert.equal(deep.code, 0);
    const direct = await h.run(prog('enforce-read'), [path.join(top, 'a.txt')]);
    assert.deepEqual(direct.lines, []);
    assert.equal(direct.signal, 'SIGKILL');
  });

  it('Audit: the read succeeds and prints, the record is Matched|RuleOnly with the rule id although file visibility is off', async () => {
    const secret = path.join(dir, 'audited.txt');
    writeFileSync(secret, SECRET);
    h.enforcer.apply({
      rules: [{ pidNs: 0, mntNs: 0, kind: RuleKind.File, num: 0, target: secret, source: '', ruleId: 45, flags: RuleFlag.Audit }],
      postures: [],
      userSpaceOnly: [],
    });
    const r = await h.run(prog('enforce-read'), [secret]);
    assert.deepEqual(r.lines, ['open 3', `data ${SECRET}`]);
    assert.equal(r.code, 0);
    assert.equal(r.signal, null);
    // Only the audited open is reported: the loader's opens (libc, ...) are invisible.
    const files = h.of(r.pid, Op.File) as FileRecord[];
    assert.deepEqual(files.map((f) => [f.path, f.ret, f.recordFlags, f.ruleId]), [[secret, 3, RecordFlag.Matched | RecordFlag.RuleOnly, 45]]);
  });

  it('execname Block: any binary with that basename is killed at exec, other names run', async () => {
    const copy = path.join(dir, 'bin', 'enforce-marker');
    mkdirSync(path.dirname(copy), { recursive: true });
    copyFileSync(prog('enforce-marker'), copy);
    chmodSync(copy, 0o755);
    const other = path.join(dir, 'bin', 'marker-other');
    copyFileSync(prog('enforce-marker'), other);
    chmodSync(other, 0o755);
    h.enforcer.apply({
      rules: [{ pidNs: 0, mntNs: 0, kind: RuleKind.Process, num: 0, target: 'enforce-marker', source: '', ruleId: 48, flags: RuleFlag.Block | RuleFlag.ExecName }],
      postures: [],
      userSpaceOnly: [],
    });
    for (const bin of [prog('enforce-marker'), copy]) {
      const r = await h.run(bin, ['by-name']);
      assert.deepEqual(r.lines, []);
      assert.equal(r.signal, 'SIGKILL');
      const e = h.of(r.pid, Op.ProcessExec)[0] as ExecRecord;
      assert.deepEqual([e.path, e.recordFlags, e.ruleId], [bin, RecordFlag.Matched | RecordFlag.Killed, 48]);
    }
    const ok = await h.run(other, ['other-name']);
    assert.deepEqual(ok.lines, ['marker other-name']);
    assert.equal(ok.code, 0);
  });

  it('ownerOnly Block (process): the exe owner runs it, a non-owner is killed; exec records carry the exe owner uid', async () => {
    const mine = path.join(dir, 'owned-marker');
    copyFileSync(prog('enforce-marker'), mine);
    chmodSync(mine, 0o755);
    const theirs = path.join(dir, 'nobody-marker');
    copyFileSync(prog('enforce-marker'), theirs);
    chmodSync(theirs, 0o755);
    chownSync(theirs, 65534, 65534);
    h.enforcer.apply({
      rules: [
        { pidNs: 0, mntNs: 0, kind: RuleKind.Process, num: 0, target: mine, source: '', ruleId: 49, flags: RuleFlag.Block | RuleFlag.OwnerOnly },
        { pidNs: 0, mntNs: 0, kind: RuleKind.Process, num: 0, target: theirs, source: '', ruleId: 50, flags: RuleFlag.Block | RuleFlag.OwnerOnly },
      ],
      postures: [],
      userSpaceOnly: [],
    });
    // This test runs as root: root owns `mine` (exempt: the exec is neither flagged nor killed).
    const ok = await h.run(mine, ['owner']);
    assert.deepEqual(ok.lines, ['marker owner']);
    const e1 = h.of(ok.pid, Op.ProcessExec)[0] as ExecRecord;
    assert.deepEqual([e1.recordFlags, e1.ruleId, e1.exeOwnerUid], [0, 0, 0]);
    const killed = await h.run(theirs, ['not-owner']);
    assert.deepEqual(killed.lines, []);
    assert.equal(killed.signal, 'SIGKILL');
    const e2 = h.of(killed.pid, Op.ProcessExec)[0] as ExecRecord;
    assert.deepEqual([e2.recordFlags, e2.ruleId, e2.exeOwnerUid], [RecordFlag.Matched | RecordFlag.Killed, 50, 65534]);
  });

  it('capability Block (CAP_CHOWN from fileops): killed at the cap_capable check, before it prints the chown result', async () => {
    const f = path.join(dir, 'cap.txt');
    writeFileSync(f, 'x');
    h.enforcer.apply({
      rules: [{ pidNs: 0, mntNs: 0, kind: RuleKind.Capability, num: 0 /* CAP_CHOWN */, target: '', source: prog('fileops'), ruleId: 51, flags: RuleFlag.Block }],
      postures: [],
      userSpaceOnly: [],
    });
    const r = await h.run(prog('fileops'), ['chown', f, '1000', '1000']);
    assert.deepEqual(r.lines, []);
    assert.equal(r.signal, 'SIGKILL');
    const caps = h.of(r.pid, Op.Capability) as CapabilityRecord[];
    // chown(2) checks CAP_CHOWN twice (new uid: chown_ok, new gid: chgrp_ok); both match, both kill
    const killed = [0, 0, RecordFlag.Matched | RecordFlag.Killed | RecordFlag.RuleOnly, 51];
    assert.deepEqual(caps.map((c) => [c.cap, c.ret, c.recordFlags, c.ruleId]), [killed, killed]);
    // The check granted the capability: the chown itself completed before the kill.
    assert.equal(statSync(f).uid, 1000);
    // Another program's CAP_CHOWN is not the rule's source.
    const other = await h.run('/bin/chown', ['0:0', f]);
    assert.equal(other.code, 0);
    assert.equal(statSync(f).uid, 0);
  });

  it('readOnly Block: a read-only open is exempt (no record), chmod and unlink are writes and are killed', async () => {
    const kept = path.join(dir, 'ro.txt');
    writeFileSync(kept, SECRET);
    h.enforcer.apply({
      rules: [{ pidNs: 0, mntNs: 0, kind: RuleKind.File, num: 0, target: kept, source: '', ruleId: 47, flags: RuleFlag.Block | RuleFlag.ReadOnly }],
      postures: [],
      userSpaceOnly: [],
    });
    const read = await h.run(prog('enforce-read'), [kept]);
    assert.deepEqual(read.lines, ['open 3', `data ${SECRET}`]);
    assert.deepEqual(h.of(read.pid, Op.File), [], 'exempt read: not flagged (file visibility is off)');
    const chmod = await h.run(prog('fileops'), ['chmod', kept, '0600']);
    assert.equal(chmod.signal, 'SIGKILL');
    const unlink = await h.run(prog('fileops'), ['unlink', kept]);
    assert.equal(unlink.signal, 'SIGKILL');
    const recs = [...h.of(chmod.pid, Op.File), ...h.of(unlink.pid, Op.File)] as FileRecord[];
    assert.deepEqual(recs.map((f) => [f.syscall, f.path, f.ret, f.recordFlags, f.ruleId]), [
      ['chmod', kept, 0, RecordFlag.Matched | RecordFlag.Killed | RecordFlag.RuleOnly, 47],
      // the syscall ran before the kill: the file is gone (kill-on-attempt stops the caller, not the unlink)
      ['unlink', kept, 0, RecordFlag.Matched | RecordFlag.Killed | RecordFlag.RuleOnly, 47],
    ]);
  });

  it('allow-list with block posture (private pid+mnt namespace): listed exec runs, unlisted exec is killed', async () => {
    const marker = prog('enforce-marker');
    const secret = path.join(dir, 'allow.txt');
    writeFileSync(secret, SECRET);
    const inNamespace = (target: string, args: string[]) =>
      h.runInNamespace(target, args, (ns) => ({
        rules: [{ ...ns, kind: RuleKind.Process, num: 0, target: marker, source: '', ruleId: 46, flags: RuleFlag.Allow }],
        postures: [{ ...ns, kind: RuleKind.Process, mode: PostureMode.AllowListBlock }],
        userSpaceOnly: [],
      }));
    const allowed = await inNamespace(marker, ['listed']);
    assert.equal(allowed.lines.length, 5);
    assert.deepEqual([allowed.lines[0], allowed.lines[1], allowed.lines[3], allowed.lines[4]], ['unshare 0', 'pipe 0', 'marker listed', 'exit 0']);
    assert.match(allowed.lines[2]!, /^child \d+$/);
    // The private namespace has no visibility and an Allow hit is silent: no exec record at all.
    const listedPid = Number(/\d+/.exec(allowed.lines[2]!)![0]);
    assert.deepEqual(h.of(listedPid, Op.ProcessExec), []);

    const denied = await inNamespace(prog('enforce-read'), [secret]);
    assert.deepEqual(denied.lines.slice(0, 2), ['unshare 0', 'pipe 0']);
    assert.equal(denied.lines[3], 'signal 9');
    assert.equal(denied.lines.length, 4);
    const childPid = Number(/\d+/.exec(denied.lines[2]!)![0]);
    const e = (await h.waitFor((x) => x.op === Op.ProcessExec && x.tgid === childPid, 'unlisted exec')) as ExecRecord;
    assert.equal(e.path, prog('enforce-read'));
    assert.equal(e.recordFlags, RecordFlag.Matched | RecordFlag.Killed | RecordFlag.RuleOnly);
    assert.equal(e.ruleId, 0, 'default posture: rule id 0');
    const ns = namespacesOf(process.pid);
    assert.notEqual(e.pidNs, ns.pidNs, 'the killed exec ran in the private pid namespace');
  });
});
