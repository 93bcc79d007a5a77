import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EnrichHarness } from './enrich-harness';

describe('kernel enrich: file events', function () {
  this.timeout(30000);
  let h: EnrichHarness;
  let dir: string;
  before(async function () {
    this.timeout(120000);
    h = await EnrichHarness.open(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otelarmor-file-'));
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(path.join(dir, 'secret'), 'root only\n', { mode: 0o600 });
    fs.writeFileSync(path.join(dir, 'public'), 'anyone\n', { mode: 0o644 });
  });
  after(async () => {
    await h?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('unprivileged open of a root-only 0600 file: Permission denied, relative path made absolute', async () => {
    const fileops = EnrichHarness.prog('fileops');
    const r = await h.run(fileops, ['--as', '65534', 'openat', 'cwd', 'secret', '0', '0'], { cwd: dir });
    assert.equal(r.out.trim(), 'openat -13');
    // (The forked child opens /dev/null for its ignored stdin before the exec: that event is node's.)
    const ev = await h.waitFor((e) => e.ka.HostPID === r.pid && e.ka.Operation === 'File' && e.extras.path === path.join(dir, 'secret'), 'openat of secret');
    const ka = ev.ka;
    assert.equal(ka.Type, 'HostLog');
    assert.equal(ka.ProcessName, fileops);
    assert.equal(ka.ParentProcessName, fs.realpathSync(process.execPath));
    assert.equal(ka.Source, `${fileops} --as 65534 openat cwd secret 0 0`);
    assert.equal(ka.Resource, path.join(dir, 'secret'));
    assert.equal(ka.Data, 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY');
    assert.deepEqual(ka.EventData, { Syscall: 'SYS_OPENAT', Fd: '-100', Flags: 'O_RDONLY' });
    assert.equal(ka.Result, 'Permission denied');
    assert.equal(ka.UID, 65534);
    assert.equal(ka.UserName, 'nobody');
    assert.equal(ka.Cwd, `${dir}/`);
    assert.equal(ka.HostPID, r.pid);
    assert.equal(ka.PID, r.pid);
    assert.equal(ka.HostPPID, process.pid);
    assert.equal(ka.PPID, 0);
    assert.equal(ev.extras.retval, -13);
    assert.deepEqual(ev.extras.openFlagNames, ['O_RDONLY']);
  });

  it('flags string, create mode, unlinkat AT_REMOVEDIR, chown', async () => {
    const fileops = EnrichHarness.prog('fileops');
    const flags = 0o1 | 0o100 | 0o1000 | 0o2000000; // O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC
    fs.mkdirSync(path.join(dir, 'sub'));
    const r = await h.run(fileops, [
      'openat', 'cwd', 'new.txt', String(flags), '0640',
      'chown', path.join(dir, 'public'), '1', '2',
      'unlinkat', 'cwd', 'sub', String(0x200),
    ], { cwd: dir });
    assert.equal(r.code, 0);
    const open = await h.waitFor((e) => e.ka.HostPID === r.pid && e.extras.syscall === 'openat' && e.ka.Resource === path.join(dir, 'new.txt'), 'openat new.txt');
    assert.equal(open.ka.Data, 'syscall=SYS_OPENAT fd=-100 flags=O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC');
    assert.equal(open.ka.Result, 'Passed');
    assert.equal(open.extras.mode, 0o640);
    const chown = await h.waitFor((e) => e.ka.HostPID === r.pid && e.extras.syscall === 'chown', 'chown');
    assert.equal(chown.ka.Resource, path.join(dir, 'public'));
    assert.equal(chown.ka.Data, 'syscall=SYS_CHOWN userid=1 group=2');
    assert.equal(chown.ka.Result, 'Passed');
    const rm = await h.waitFor((e) => e.ka.HostPID === r.pid && e.extras.syscall === 'unlinkat', 'unlinkat');
    assert.equal(rm.ka.Resource, path.join(dir, 'sub'));
    assert.equal(rm.ka.Data, 'syscall=SYS_UNLINKAT flags=AT_REMOVEDIR');
    assert.equal(rm.ka.Result, 'Passed');
  });
});
