import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync, mkdirSync, chmodSync, statSync, lstatSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Op, RecordFlag, type FileRecord } from '../../src/events/record';
import { AgentMetrics } from '../../src/metrics/metrics';
import { Enricher } from '../../src/sensors/index';
import { SensorsHarness } from './sensors-harness';

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
const AT_REMOVEDIR = 0x200;
const AT_SYMLINK_NOFOLLOW = 0x100;

describe('kernel file sensor', function () {
  this.timeout(30000);
  let h: SensorsHarness;
  let dir: string;

  before(async function () {
    h = await SensorsHarness.open(this);
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'oa-file-')));
  });
  after(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** File records of the tester after its exec (libuv opens /dev/null between fork and exec)
   *  minus the dynamic loader's opens (ld.so.cache, shared libraries). */
  function files(pid: number): FileRecord[] {
    return (h.of(pid, Op.File) as FileRecord[]).filter((e) => e.comm === 'fileops' && !/^\/(etc\/ld\.so\.cache|usr\/lib|lib)/.test(e.path));
  }

  it('openat success: absolute path from the fd, ret = fd, flags, owner uid, header ids', async () => {
    const f = path.join(dir, 'a.txt');
    writeFileSync(f, 'x');
    const r = await h.run('fileops', ['openat', 'cwd', f, String(O_RDONLY | O_CLOEXEC), '0']);
    assert.deepEqual(r.lines, ['openat 3']);
    const recs = files(r.pid);
    assert.equal(recs.length, 1);
    const e = recs[0]!;
    assert.equal(e.syscall, 'openat');
    assert.equal(e.ret, 3);
    assert.equal(e.dirfd, AT_FDCWD);
    assert.equal(e.flags, O_RDONLY | O_CLOEXEC);
    assert.equal(e.mode, 0);
    assert.equal(e.path, f);
    assert.equal(e.cwd, '');
    assert.equal(e.fileOwnerUid, 0);
    assert.equal(e.tgid, r.pid);
    assert.equal(e.tid, r.pid);
    assert.equal(e.ppid, process.pid);
    assert.equal(e.nsTgid, r.pid);
    assert.equal(e.nsPpid, process.pid);
    assert.equal(e.uid, 0);
    assert.equal(e.gid, 0);
    assert.equal(e.comm, 'fileops');
    assert.equal(e.recordFlags, 0);
    assert.equal(e.ruleId, 0);
    assert.ok(e.pidNs > 0 && e.mntNs > 0);
  });

  // Path walk (bpf/lib/path.h): names shorter than 40 bytes are copied from the dentry's inline
  // d_shortname, longer ones (kept outside the dentry) by a string read; both must give the
  // same bytes, at either side of the boundary, and a path over 255 bytes is cut and flagged.
  it('component names at the inline-name boundary (39, 40, 41 bytes) and long ones resolve exactly; a path over 255 bytes is cut at 255 and flagged Truncated', async () => {
    const name = (n: number, c: string) => c.repeat(n);
    const d1 = path.join(dir, name(39, 'a'), name(1, 'b'), name(40, 'c'));
    mkdirSync(d1, { recursive: true });
    const f1 = path.join(d1, name(41, 'd'));
    const f2 = path.join(d1, `${name(38, 'e')}.x`); // 40 bytes
    const deep = path.join(dir, name(120, 'f'), name(100, 'g'));
    mkdirSync(deep, { recursive: true });
    const f3 = path.join(deep, name(60, 'h'));
    for (const f of [f1, f2, f3]) writeFileSync(f, 'x');
    assert.ok(Buffer.byteLength(f3) > 255 && Buffer.byteLength(f1) < 255);
    const r = await h.run('fileops', ['openat', 'cwd', f1, '0', '0', 'openat', 'cwd', f2, '0', '0', 'openat', 'cwd', f3, '0', '0']);
    assert.deepEqual(r.lines, ['openat 3', 'openat 4', 'openat 5']);
    assert.deepEqual(files(r.pid).map((e) => [e.ret, e.path, (e.recordFlags ?? 0) & RecordFlag.Truncated]), [
      [3, f1, 0],
      [4, f2, 0],
      [5, f3.slice(0, 255), RecordFlag.Truncated],
    ]);
  });

  it('relative open that fails: given path, cwd, -ENOENT', async () => {
    const r = await h.run('fileops', ['open', 'missing.txt', String(O_RDONLY), '0'], { cwd: dir });
    assert.deepEqual(r.lines, ['open -2']);
    const [e, ...rest] = files(r.pid);
    assert.equal(rest.length, 0);
    assert.equal(e!.syscall, 'open');
    assert.equal(e!.ret, -2);
    assert.equal(e!.dirfd, 0);
    assert.equal(e!.path, 'missing.txt');
    assert.equal(e!.cwd, dir);
    assert.equal(e!.fileOwnerUid, -1);
  });

  it('open refused to an unprivileged uid: -EACCES, uid/gid of the caller', async () => {
    const f = path.join(dir, 'secret.txt');
    writeFileSync(f, 'x');
    chmodSync(f, 0o600);
    chmodSync(dir, 0o755);
    const r = await h.run('fileops', ['--as', '65534', 'openat', 'cwd', f, String(O_WRONLY), '0']);
    assert.deepEqual(r.lines, ['openat -13']);
    const [e, ...rest] = files(r.pid);
    assert.equal(rest.length, 0);
    assert.equal(e!.ret, -13);
    assert.equal(e!.path, f);
    assert.equal(e!.cwd, '');
    assert.equal(e!.flags, O_WRONLY);
    assert.equal(e!.uid, 65534);
    assert.equal(e!.gid, 65534);
  });

  it('openat2 with O_CREAT: flags and mode from struct open_how', async () => {
    const f = path.join(dir, 'created.txt');
    const r = await h.run('fileops', ['openat2', 'cwd', f, String(O_WRONLY | O_CREAT), '0640']);
    assert.deepEqual(r.lines, ['openat2 3']);
    const [e] = files(r.pid);
    assert.equal(e!.syscall, 'openat2');
    assert.equal(e!.ret, 3);
    assert.equal(e!.flags, O_WRONLY | O_CREAT);
    assert.equal(e!.mode, 0o640);
    assert.equal(e!.path, f);
    assert.equal(e!.fileOwnerUid, 0);
  });

  it('unlink, unlinkat(AT_REMOVEDIR), rmdir, chmod, fchmod, fchmodat', async () => {
    const f = path.join(dir, 'u.txt');
    writeFileSync(f, 'x');
    mkdirSync(path.join(dir, 'd1'));
    mkdirSync(path.join(dir, 'd2'));
    const g = path.join(dir, 'm.txt');
    writeFileSync(g, 'x');
    const r = await h.run(
      'fileops',
      ['chmod', g, '0600', 'fchmod', g, '0640', 'fchmodat', 'cwd', 'm.txt', '0644',
        'unlink', 'u.txt', 'unlinkat', 'cwd', 'd1', String(AT_REMOVEDIR), 'rmdir', path.join(dir, 'd2')],
      { cwd: dir },
    );
    assert.deepEqual(r.lines, ['chmod 0', 'fd 3', 'fchmod 0', 'fchmodat 0', 'unlink 0', 'unlinkat 0', 'rmdir 0']);
    assert.equal(statSync(g).mode & 0o777, 0o644);
    const recs = files(r.pid).filter((e) => e.syscall !== 'open' && e.syscall !== 'openat');
    assert.deepEqual(
      recs.map((e) => [e.syscall, e.ret, e.dirfd, e.flags, e.mode, e.path, e.cwd]),
      [
        ['chmod', 0, 0, 0, 0o600, g, ''],
        ['fchmod', 0, 3, 0, 0o640, g, ''],
        ['fchmodat', 0, AT_FDCWD, 0, 0o644, 'm.txt', dir],
        ['unlink', 0, 0, 0, 0, 'u.txt', dir],
        ['unlinkat', 0, AT_FDCWD, AT_REMOVEDIR, 0, 'd1', dir],
        ['rmdir', 0, 0, 0, 0, path.join(dir, 'd2'), ''],
      ],
    );
  });

  it('chown, lchown, fchown, fchownat: requested uid/gid', async () => {
    const f = path.join(dir, 'o.txt');
    writeFileSync(f, 'x');
    const r = await h.run('fileops', ['chown', f, '1000', '1001', 'lchown', f, '-1', '1002', 'fchown', f, '1003', '-1',
      'fchownat', 'cwd', f, '0', '0', '0']);
    assert.deepEqual(r.lines, ['chown 0', 'lchown 0', 'fd 3', 'fchown 0', 'fchownat 0']);
    const recs = files(r.pid).filter((e) => e.syscall !== 'open' && e.syscall !== 'openat');
    assert.deepEqual(
      recs.map((e) => [e.syscall, e.ret, e.dirfd, e.ownerUid, e.ownerGid, e.path]),
      [
        ['chown', 0, 0, 1000, 1001, f],
        ['lchown', 0, 0, -1, 1002, f],
        ['fchown', 0, 3, 1003, -1, f],
        ['fchownat', 0, AT_FDCWD, 0, 0, f],
      ],
    );
  });

  it('fchownat(AT_SYMLINK_NOFOLLOW) on a symlink: flags = arg 5, mode 0; Data mode=<flags> as KubeArmor prints it', async () => {
    const target = path.join(dir, 't.txt');
    const link = path.join(dir, 'l.lnk');
    writeFileSync(target, 'x');
    symlinkSync(target, link);
    const r = await h.run('fileops', ['fchownat', 'cwd', link, '1005', '1006', String(AT_SYMLINK_NOFOLLOW)]);
    assert.deepEqual(r.lines, ['fchownat 0']);
    assert.deepEqual([lstatSync(link).uid, lstatSync(link).gid, statSync(target).uid], [1005, 1006, 0]);
    const recs = files(r.pid).filter((e) => e.syscall === 'fchownat');
    assert.deepEqual(
      recs.map((e) => [e.syscall, e.ret, e.dirfd, e.flags, e.mode, e.ownerUid, e.ownerGid, e.path, e.cwd]),
      [['fchownat', 0, AT_FDCWD, AT_SYMLINK_NOFOLLOW, 0, 1005, 1006, link, '']],
    );
    const [ev] = new Enricher({ clusterName: 'default', hostName: 'h', nodeId: '', metrics: new AgentMetrics() }).enrich(recs);
    assert.equal(ev!.ka.Resource, link);
    assert.equal(ev!.ka.Data, 'syscall=SYS_FCHOWNAT userid=1005 group=1006 mode=256');
    assert.deepEqual(ev!.ka.EventData, { Syscall: 'SYS_FCHOWNAT', Userid: '1005', Group: '1006', Mode: '256' });
  });

  it('flush: once KernelSensors.flush() resolves, every record committed before it is in the log (no poll period, no exit-record race)', async () => {
    const f = path.join(dir, 'flush.txt');
    writeFileSync(f, 'x');
    const ops = Array.from({ length: 50 }, () => ['openat', 'cwd', f, String(O_RDONLY), '0']).flat();
    // runNoWait returns at the tester's close; its opens were submitted without a wakeup.
    const r = await h.runNoWait('fileops', ops);
    assert.equal(r.code, 0);
    assert.equal(await h.sensors.flush(), true);
    assert.deepEqual(files(r.pid).map((e) => [e.syscall, e.ret, e.path]), Array.from({ length: 50 }, (_, i) => ['openat', 3 + i, f]));
    assert.equal(h.of(r.pid, Op.ProcessExit).length, 1);
  });
});
