// In-kernel visibility (oa_visibility, bpf/lib/common.h vis__get): a private pid + mount namespace
// with its own key gets exactly its enabled categories; with the key deleted the default container
// key applies; the host uses key {0, 0} and never falls back to the container default. Invisible
// events are counted per op (oa_counters.invisible) and never reach user space.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { Op, type FileRecord, type KernelRecord, type NetworkRecord, type TaskStateRecord } from '../../src/events/record';
import { ALL_CATEGORIES, NsShell, SensorsHarness } from './sensors-harness';

/** What the tester left in the records: [op, syscall or state nr, path for opens of directories]. */
function shape(recs: KernelRecord[]): (string | number)[][] {
  const out: (string | number)[][] = [];
  for (const r of recs) {
    if (r.op === Op.File) {
      const f = r as FileRecord;
      if (f.path === '/tmp') out.push([Op.File, f.syscall, f.path]); // the dynamic loader's opens are left out
    } else if (r.op === Op.Network) out.push([Op.Network, (r as NetworkRecord).syscall]);
    else if (r.op === Op.TaskState) out.push([Op.TaskState, (r as TaskStateRecord).nr]);
    else out.push([r.op]);
  }
  return out;
}

describe('kernel visibility: per-namespace key, container default, host key', function () {
  this.timeout(60000);
  let h: SensorsHarness;
  let ns: NsShell;
  let server: net.Server;
  let port: number;
  let syscaller: string;

  before(async function () {
    h = await SensorsHarness.open(this);
    ns = await NsShell.start(this);
    server = net.createServer((s) => s.end());
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    port = (server.address() as net.AddressInfo).port;
    syscaller = SensorsHarness.prog('syscaller');
  });
  after(async () => {
    if (h && ns) h.sensors.clearVisibility(ns.pidNs, ns.mntNs);
    await ns?.close();
    await h?.close();
    server?.close();
  });

  const invisible = (op: Op): number => h.sensors.stats().countersByOp[op]!.invisible;
  /** Records of processes in the test namespace with a given comm, from index `from` on. */
  const inNs = (from: number, comm = 'syscaller'): KernelRecord[] =>
    h.records.slice(from).filter((r) => r.pidNs === ns.pidNs && r.mntNs === ns.mntNs && r.comm === comm);

  it('own key [network]: only network records (and the state record) arrive, even with the container default at all categories', async () => {
    h.sensors.setDefaultContainerVisibility(ALL_CATEGORIES);
    h.sensors.setVisibility(ns.pidNs, ns.mntNs, ['network']);
    const from = h.records.length;
    const [file0, exec0] = [invisible(Op.File), invisible(Op.ProcessExec)];
    // fchdir opens /tmp (a file event) first; connect4 is the last record of the tester.
    assert.deepEqual(await ns.run(`${syscaller} fchdir /tmp connect4 ${port}`), { code: 0, lines: ['fchdir 0', 'connect4 0'] });
    await h.waitFor((r) => r.op === Op.Network && r.pidNs === ns.pidNs && (r as NetworkRecord).syscall === 'connect', 'the connect');
    assert.deepEqual(shape(inNs(from)), [[Op.TaskState, 81], [Op.Network, 'socket'], [Op.Network, 'connect']]);
    assert.ok(invisible(Op.File) - file0 >= 1, 'the open of /tmp was counted invisible');
    assert.ok(invisible(Op.ProcessExec) - exec0 >= 1, 'the exec of the tester was counted invisible');
  });

  it('key deleted: the default container visibility [file] applies', async () => {
    h.sensors.clearVisibility(ns.pidNs, ns.mntNs);
    h.sensors.setDefaultContainerVisibility(['file']);
    const from = h.records.length;
    const net0 = invisible(Op.Network);
    // Here the open of /tmp is the tester's last record.
    assert.deepEqual(await ns.run(`${syscaller} connect4 ${port} fchdir /tmp`), { code: 0, lines: ['connect4 0', 'fchdir 0'] });
    await h.waitFor((r) => r.op === Op.File && r.pidNs === ns.pidNs && (r as FileRecord).path === '/tmp', 'the open of /tmp');
    assert.deepEqual(shape(inNs(from)), [[Op.File, 'openat', '/tmp'], [Op.TaskState, 81]]);
    assert.ok(invisible(Op.Network) - net0 >= 2, 'socket and connect were counted invisible');
  });

  it('host key {0,0}: its own categories; without it the host sees nothing (no fallback to the container default)', async () => {
    h.sensors.setDefaultContainerVisibility(ALL_CATEGORIES);
    h.sensors.setVisibility(0, 0, ['file']);
    const r1 = await h.runNoWait('syscaller', ['connect4', String(port), 'fchdir', '/tmp']);
    assert.deepEqual(r1.lines, ['connect4 0', 'fchdir 0']);
    await h.waitFor((r) => r.op === Op.File && r.tgid === r1.pid && (r as FileRecord).path === '/tmp', 'the host open of /tmp');
    assert.deepEqual(shape(h.records.filter((r) => r.tgid === r1.pid && r.comm === 'syscaller')), [[Op.File, 'openat', '/tmp'], [Op.TaskState, 81]]);

    h.sensors.clearVisibility(0, 0);
    h.sensors.setVisibility(ns.pidNs, ns.mntNs, ['network']);
    try {
      const [file0, net0] = [invisible(Op.File), invisible(Op.Network)];
      const r2 = await h.runNoWait('syscaller', ['fchdir', '/tmp', 'connect4', String(port)]);
      assert.deepEqual(r2.lines, ['fchdir 0', 'connect4 0']);
      // A later record from the namespace: everything the host tester could have sent is in by now.
      const from = h.records.length;
      await ns.run(`${syscaller} connect4 ${port}`);
      await h.waitFor((r) => r.op === Op.Network && r.pidNs === ns.pidNs && (r as NetworkRecord).syscall === 'connect' && h.records.indexOf(r) >= from, 'the sentinel connect');
      assert.deepEqual(h.records.filter((r) => r.tgid === r2.pid), []);
      assert.ok(invisible(Op.File) - file0 >= 1, 'the host open was counted invisible');
      assert.ok(invisible(Op.Network) - net0 >= 2, 'the host socket and connect were counted invisible');
    } finally {
      h.sensors.setVisibility(0, 0, ALL_CATEGORIES);
    }
  });
});
