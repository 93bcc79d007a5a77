import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Op, type SyscallRecord } from '../../src/events/record';
import { AgentMetrics } from '../../src/metrics/metrics';
import { Enricher } from '../../src/sensors/index';
import { SensorsHarness } from './sensors-harness';

const NR_GETPPID = 110;

describe('kernel syscall sensor', function () {
  this.timeout(30000);
  let h: SensorsHarness;
  let dir: string;

  before(async function () {
    h = await SensorsHarness.open(this);
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'oa-sys-')));
  });
  after(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function sys(pid: number): SyscallRecord[] {
    return (h.of(pid, Op.Syscall) as SyscallRecord[]).filter((e) => e.comm === 'syscaller');
  }

  it('setuid, setgid, mount (strings, flags), umount2, ptrace', async () => {
    const r = await h.run('syscaller', ['setgid', '0', 'setuid', '0', 'mount', 'oa-src', dir, 'tmpfs', '1', 'umount2', dir, '2', 'ptrace', '16', '999999999']);
    assert.deepEqual(r.lines, ['setgid 0', 'setuid 0', 'mount 0', 'umount2 0', 'ptrace -3']);
    const dirArg = (e: SyscallRecord): bigint => e.args[1];
    assert.deepEqual(
      sys(r.pid).map((e) => [e.nr, e.ret, e.strs]),
      [
        [106, 0, ['', '', '']],
        [105, 0, ['', '', '']],
        [165, 0, ['oa-src', dir, 'tmpfs']],
        [166, 0, [dir, '', '']],
        [101, -3, ['', '', '']],
      ],
    );
    const [gid, uid, mount, umount, ptrace] = sys(r.pid);
    assert.equal(gid!.args[0], 0n);
    assert.equal(uid!.args[0], 0n);
    assert.equal(mount!.args[3], 1n);
    assert.ok(dirArg(mount!) > 0n);
    assert.equal(umount!.args[1], 2n);
    assert.deepEqual(ptrace!.args.slice(0, 2), [16n, 999999999n]);
    // KubeArmor renders x86_64 umount2 as its "umount" syscall (kubearmor-compat.md §3.7).
    const [ev] = new Enricher({ clusterName: 'default', hostName: 'h', nodeId: '', metrics: new AgentMetrics() }).enrich([umount!]);
    assert.deepEqual([ev!.ka.Operation, ev!.ka.Resource, ev!.ka.Data, ev!.ka.Result, ev!.extras.syscall],
      ['Syscall', undefined, `syscall=SYS_UMOUNT target=${dir} flag=2`, 'Passed', 'umount2']);
  });

  it('generic pair: a filtered syscall number is emitted only while in the filter', async () => {
    assert.deepEqual(h.sensors.setSyscallFilter([NR_GETPPID, 105]), [NR_GETPPID]);
    const r = await h.run('syscaller', ['getppid']);
    h.sensors.setSyscallFilter([]);
    const r2 = await h.run('syscaller', ['getppid']);
    assert.deepEqual(sys(r.pid).map((e) => [e.nr, e.ret]), [[NR_GETPPID, process.pid]]);
    assert.deepEqual(sys(r2.pid), []);
  });
});
