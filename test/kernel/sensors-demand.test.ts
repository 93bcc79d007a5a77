// Demand attachment of src/kernel/sensors.ts against the real kernel: a category nothing wants
// has no programs attached (its syscalls run no BPF at all), a rule kind attaches its group
// without any visibility, and the file sensor, which runs at sys_exit only and reads the
// arguments from the task's registers, reports an open that entered while its programs were
// detached with that open's own arguments. (The oa_epochs guard of enter+exit pairs is tested
// on the generic syscall pair in sensors-syscalls.test.ts.)
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Op, type FileRecord } from '../../src/events/record';
import { RuleKind } from '../../src/kernel/rule-types';
import { DEMAND_GROUPS } from '../../src/kernel/sensors';
import { KernelStatsRecorder } from '../../src/kernel/stats-metrics';
import { AgentMetrics } from '../../src/metrics/metrics';
import { ALL_CATEGORIES, SensorsHarness } from './sensors-harness';

const NR_OPEN = 2;
const O_CLOEXEC = 0o2000000; /* x86_64: a flag that does not change how a FIFO open blocks */
const NO_FILE = ALL_CATEGORIES.filter((c) => c !== 'file');
const FILE_PROGRAMS = DEMAND_GROUPS.find((g) => g.category === 'file')!.programs;

describe('kernel sensors: demand attachment', function () {
  this.timeout(60000);
  let h: SensorsHarness;
  let dir: string;

  before(async function () {
    h = await SensorsHarness.open(this, { detachDelayMs: 0, ignoreTgid: process.pid });
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'oa-demand-')));
  });
  after(async () => {
    await h?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    if (!h) return;
    h.sensors.setRuleKinds([]);
    h.sensors.setVisibility(0, 0, ALL_CATEGORIES);
    await h.sensors.attachSettled();
  });

  const fileCounters = () => h.sensors.stats().countersByOp[Op.File]!;
  const fileRecords = (pid: number) =>
    (h.of(pid, Op.File) as FileRecord[]).filter((e) => e.comm === 'fileops' && !/^\/(etc\/ld\.so\.cache|usr\/lib|lib)/.test(e.path));

  it('file not wanted anywhere: its programs are detached, an open runs no program (emitted and invisible unchanged) and yields no record', async () => {
    h.sensors.setVisibility(0, 0, NO_FILE);
    await h.sensors.attachSettled();
    assert.deepEqual(h.sensors.idleCategories(), ['file']);
    for (const p of FILE_PROGRAMS) assert.ok(!h.sensors.attachedPrograms().includes(p), p);
    const c0 = fileCounters();
    const r = await h.run('fileops', ['open', '/etc/hostname', '0', '0']);
    assert.deepEqual(r.lines, ['open 3']);
    const c1 = fileCounters();
    assert.deepEqual([c1.emitted - c0.emitted, c1.invisible - c0.invisible], [0, 0], 'no file program ran anywhere on the host');
    assert.deepEqual(fileRecords(r.pid), []);

    h.sensors.setVisibility(0, 0, ALL_CATEGORIES);
    await h.sensors.attachSettled();
    const again = await h.run('fileops', ['open', '/etc/hostname', '0', '0']);
    assert.deepEqual(fileRecords(again.pid).map((e) => [e.syscall, e.path, e.ret]), [['open', '/etc/hostname', 3]]);
  });

  it('a rule kind attaches its group with nothing visible; removing it detaches the group', async () => {
    h.sensors.setVisibility(0, 0, []);
    assert.deepEqual(h.sensors.unwantedCategories(), ['file', 'network', 'syscall', 'capabilities']);
    await h.sensors.attachSettled();
    assert.deepEqual(h.sensors.idleCategories(), ['file', 'network', 'syscall', 'capabilities']);
    h.sensors.setRuleKinds([RuleKind.File, RuleKind.Capability]);
    // Attached synchronously, before oa_rule_kinds announced the kinds.
    assert.deepEqual(h.sensors.idleCategories(), ['network', 'syscall']);
    for (const p of FILE_PROGRAMS) assert.ok(h.sensors.attachedPrograms().includes(p), p);
    const capHook = h.sensors.demandPrograms('capabilities');
    assert.equal(capHook.length, 1, 'one capability hook loaded (tracepoint where it exists, else fexit)');
    assert.ok(h.sensors.attachedPrograms().includes(capHook[0]!));
    h.sensors.setRuleKinds([RuleKind.Capability]);
    await h.sensors.attachSettled();
    assert.deepEqual(h.sensors.idleCategories(), ['file', 'network', 'syscall']);
  });

  it('open entered while detached, returned after the re-attach: reported with its own arguments (from pt_regs at exit), nothing counted as lost', async () => {
    const [a, b] = ['a.fifo', 'b.fifo'].map((n) => path.join(dir, n)) as [string, string];
    execFileSync('mkfifo', [a, b]);
    // open(A) and open(B) block until a writer opens the FIFO; the test decides when.
    const child = spawn(SensorsHarness.prog('fileops'), ['open', a, '0', '0', 'open', b, String(O_CLOEXEC), '0', 'open', '/etc/hostname', '0', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = child.pid!;
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    /** Waits until the tester has printed `lines` lines and sleeps in open(2). */
    const blockedInOpen = (lines: number) => SensorsHarness.blockedIn(pid, NR_OPEN, lines, () => out.split('\n').filter((l) => l).length);
    const writers: number[] = [];
    try {
      await blockedInOpen(0); // open(A) entered with the file programs attached
      h.sensors.setVisibility(0, 0, NO_FILE);
      await h.sensors.attachSettled();
      for (const p of FILE_PROGRAMS) assert.ok(!h.sensors.attachedPrograms().includes(p), p);
      writers.push(fs.openSync(a, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      await blockedInOpen(1); // open(A) returned with no exit program; open(B) entered detached
      h.sensors.setVisibility(0, 0, ALL_CATEGORIES);
      await h.sensors.attachSettled();
      const lost0 = fileCounters().argsLost;
      const metrics = new AgentMetrics();
      const recorder = new KernelStatsRecorder(metrics);
      recorder.record(h.sensors.stats());
      const dropped0 = metrics.dropCounts.get('kernel/args_lost_file') ?? 0;
      writers.push(fs.openSync(b, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      assert.equal(await closed, 0);
      await h.waitFor((r) => r.op === Op.ProcessExit && r.tgid === pid, 'exit record');
      assert.deepEqual(out.trim().split('\n'), ['open 3', 'open 4', 'open 5']);
      // open(A) returned while detached: no record. open(B): its own path, flags and fd.
      assert.deepEqual(fileRecords(pid).map((e) => [e.syscall, e.path, e.flags, e.ret]), [['open', b, O_CLOEXEC, 4], ['open', '/etc/hostname', 0, 5]]);
      assert.equal(fileCounters().argsLost - lost0, 0, 'the file sensor keeps no enter state to lose');
      recorder.record(h.sensors.stats());
      assert.equal((metrics.dropCounts.get('kernel/args_lost_file') ?? 0) - dropped0, 0, 'events_dropped_total{stage="kernel",reason="args_lost_file"}');
    } finally {
      child.kill('SIGKILL');
      for (const fd of writers) fs.closeSync(fd);
    }
  });
});
