import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import * as os from 'node:os';
import { Op, type ExecRecord, type ExitRecord, type ForkRecord } from '../../src/events/record';
import { SensorsHarness } from './sensors-harness';

/** Controlling tty of this process as the kernel names it ("pts0"), "" when none. */
function ownTty(): string {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const ttyNr = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[4]);
  if (ttyNr === 0) return '';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  return major === 136 ? `pts${minor}` : major === 4 ? `tty${minor}` : `?${major}:${minor}`;
}

describe('kernel process sensor', function () {
  this.timeout(30000);
  let h: SensorsHarness;
  const fileops = SensorsHarness.prog('fileops');
  const execer = SensorsHarness.prog('execer');
  const cwd = realpathSync(os.tmpdir());

  before(async function () {
    h = await SensorsHarness.open(this);
  });
  after(async () => h?.close());

  it('exec: absolute exe path, argv, cwd, tty, ids; fork and exit of the same process', async () => {
    const r = await h.run('execer', [fileops, 'fileops', 'openat', 'cwd', '/etc/hostname', '0', '0'], { cwd });
    assert.equal(r.code, 0);
    const execs = h.of(r.pid, Op.ProcessExec) as ExecRecord[];
    assert.deepEqual(
      execs.map((e) => [e.syscall, e.ret, e.path, e.args, e.cwd, e.tty, e.fd, e.atFlags, e.comm]),
      [
        ['execve', 0, execer, [execer, fileops, 'fileops', 'openat', 'cwd', '/etc/hostname', '0', '0'], cwd, ownTty(), -100, 0, 'execer'],
        ['execve', 0, fileops, ['fileops', 'openat', 'cwd', '/etc/hostname', '0', '0'], cwd, ownTty(), -100, 0, 'fileops'],
      ],
    );
    for (const e of execs) {
      assert.equal(e.tgid, r.pid);
      assert.equal(e.tid, r.pid);
      assert.equal(e.ppid, process.pid);
      assert.equal(e.nsTgid, r.pid);
      assert.equal(e.uid, 0);
      assert.equal(e.recordFlags, 0);
    }
    const fork = h.records.find((x) => x.op === Op.ProcessFork && (x as ForkRecord).childTgid === r.pid) as ForkRecord;
    assert.equal(fork.tgid, process.pid);
    assert.equal(fork.childNsTgid, r.pid);
    const exits = h.of(r.pid, Op.ProcessExit) as ExitRecord[];
    assert.deepEqual(exits.map((e) => [e.exitCode, e.comm]), [[0, 'fileops']]);
  });

  it('failed execve: ret -ENOENT, the filename as given, argv; exit status 1', async () => {
    const r = await h.run('execer', ['does-not-exist', 'arg0', 'arg1'], { cwd });
    assert.equal(r.code, 1);
    const execs = (h.of(r.pid, Op.ProcessExec) as ExecRecord[]).filter((e) => e.ret !== 0);
    assert.deepEqual(
      execs.map((e) => [e.syscall, e.ret, e.path, e.args, e.cwd, e.comm]),
      [['execve', -2, 'does-not-exist', ['arg0', 'arg1'], cwd, 'execer']],
    );
    const exits = h.of(r.pid, Op.ProcessExit) as ExitRecord[];
    assert.deepEqual(exits.map((e) => e.exitCode), [1 << 8]);
  });

  it('execveat(AT_FDCWD): syscall, fd and flags', async () => {
    const r = await h.run('execer', ['--at', fileops, 'fileops'], { cwd });
    const e = (h.of(r.pid, Op.ProcessExec) as ExecRecord[]).find((x) => x.syscall === 'execveat');
    assert.ok(e, 'no execveat record');
    assert.deepEqual([e.ret, e.path, e.args, e.fd, e.atFlags], [0, fileops, ['fileops'], -100, 0]);
  });

  it('argv longer than 20 entries is cut at 20 and flagged Truncated', async () => {
    const args = Array.from({ length: 25 }, (_, i) => `a${i}`);
    const r = await h.run('execer', [fileops, ...args], { cwd });
    const e = (h.of(r.pid, Op.ProcessExec) as ExecRecord[]).find((x) => x.path === fileops)!;
    assert.deepEqual(e.args, args.slice(0, 20));
    assert.equal(e.recordFlags, 4);
  });
});
