import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Op, type SyscallRecord } from '../../src/events/record';
import { KernelStatsRecorder } from '../../src/kernel/stats-metrics';
import { RuleKind } from '../../src/kernel/rule-types';
import { AgentMetrics } from '../../src/metrics/metrics';
import { Enricher } from '../../src/sensors/index';
import { SensorsHarness } from './sensors-harness';

const NR_GETPPID = 110;
const NR_READ = 0;

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

  // oa_epochs: an enter+exit pair keeps the enter's args in task storage; args stored before a
  // detach must never pair with an exit after the re-attach (counted in oa_counters.args_lost).
  it('generic pair: args stored before a detach are dropped and counted at the next exit after the re-attach', async () => {
    h.sensors.setSyscallFilter([NR_READ, NR_GETPPID]); // before the tester's first read(2)
    const child = spawn(SensorsHarness.prog('syscaller'), ['wait', 'wait', 'getppid'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const pid = child.pid!;
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    /** Waits until the tester has printed `lines` lines and sleeps in read(2). */
    const blockedInRead = (lines: number) => SensorsHarness.blockedIn(pid, NR_READ, lines, () => out.split('\n').filter((l) => l).length);
    const sysCounters = () => h.sensors.stats().countersByOp[Op.Syscall]!;
    try {
      await blockedInRead(0); // oa_raw_sys_enter stored read #1's args at the current epoch
      const epoch0 = h.sensors.epochs()[RuleKind.Syscall]!;
      h.sensors.setSyscallFilter([]); // detached synchronously
      child.stdin.write('1\n');
      await blockedInRead(1); // read #1 returned with no exit program; read #2 entered detached
      h.sensors.setSyscallFilter([NR_READ, NR_GETPPID]);
      assert.equal(h.sensors.epochs()[RuleKind.Syscall], epoch0 + 1);
      const lost0 = sysCounters().argsLost;
      const metrics = new AgentMetrics();
      const recorder = new KernelStatsRecorder(metrics);
      recorder.record(h.sensors.stats());
      const dropped0 = metrics.dropCounts.get('kernel/args_lost_syscall') ?? 0;
      child.stdin.write('2\n');
      assert.equal(await closed, 0);
      await h.waitFor((r) => r.op === Op.ProcessExit && r.tgid === pid, 'exit record');
      assert.deepEqual(out.trim().split('\n'), ['wait 2', 'wait 2', `getppid ${process.pid}`]);
      // Paired with read #1's stored args, read #2's exit would be reported; only getppid is
      // (the dynamic loader's reads of shared objects, before read #1, are not of fd 0).
      assert.deepEqual(sys(pid).filter((e) => e.nr !== NR_READ || e.args[0] === 0n).map((e) => [e.nr, e.ret]), [[NR_GETPPID, process.pid]]);
      // The counter is per op, not per task: any other task of the host that was blocked in
      // read(2) across the detach is counted too, so it is at least read #2's 1, and the metric
      // carries exactly the kernel counter's increase.
      const st = h.sensors.stats();
      recorder.record(st);
      const lost = st.countersByOp[Op.Syscall]!.argsLost - lost0;
      assert.ok(lost >= 1, `read #2 exit: stale args dropped and counted (${lost})`);
      assert.equal((metrics.dropCounts.get('kernel/args_lost_syscall') ?? 0) - dropped0, lost, 'events_dropped_total{stage="kernel",reason="args_lost_syscall"}');
    } finally {
      h.sensors.setSyscallFilter([]);
      child.kill('SIGKILL');
    }
  });
});
