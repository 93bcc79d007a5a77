import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Op, type CapabilityRecord } from '../../src/events/record';
import { binding } from '../../src/native/binding';
import { ALL_CATEGORIES, NsShell, SensorsHarness } from './sensors-harness';

const CAP_CHOWN = 0;
const CAP_SETUID = 7;

describe('kernel capabilities sensor', function () {
  this.timeout(30000);
  let h: SensorsHarness;
  let dir: string;

  before(async function () {
    h = await SensorsHarness.open(this);
    dir = mkdtempSync(path.join(os.tmpdir(), 'oa-cap-'));
  });
  after(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('CAP_CHOWN granted to root once per process (repeats deduped in kernel)', async function () {
    const f = path.join(dir, 'c.txt');
    writeFileSync(f, 'x');
    // Each tester is the init of its own namespaces and only those are visible, so the dedupe
    // counter moves for it alone. Every process also repeats CAP_SYS_ADMIN checks
    // (cap_vm_enough_memory on each mapping), so the exact count is the difference between one
    // chown and three chowns of the same program.
    h.sensors.setVisibility(0, 0, []);
    try {
      const fileops = SensorsHarness.prog('fileops');
      const dedup = (): number => h.sensors.stats().countersByOp[Op.Capability]!.dedup;
      // Namespace inode numbers are recycled, so each run's key is deleted once it is done.
      const run = async (n: number): Promise<{ deduped: number; pid: number }> => {
        const args = [1000, 1001, 1002].slice(0, n).flatMap((u) => ['chown', f, String(u), String(u)]);
        const d0 = dedup();
        const r = await NsShell.exec(this, fileops, args, async (p, m) => {
          h.sensors.setVisibility(p, m, ['capabilities']);
          await h.sensors.attachSettled(['capabilities']);
        });
        h.sensors.clearVisibility(r.pidNs, r.mntNs);
        assert.deepEqual([r.code, r.lines], [0, Array<string>(n).fill('chown 0')]);
        return { deduped: dedup() - d0, pid: r.pid };
      };
      const one = await run(1);
      const three = await run(3);
      // chown(2) checks CAP_CHOWN twice when both owner and group change (chown_ok, chgrp_ok):
      // one chown = 2 checks (1 emitted, 1 deduped), three chowns = 6 checks (1 emitted, 5 deduped).
      assert.equal(three.deduped - one.deduped, 4, 'the extra CAP_CHOWN checks of the three-chown run');
      await h.waitFor((e) => e.op === Op.Capability && e.tgid === three.pid && (e as CapabilityRecord).cap === CAP_CHOWN, 'CAP_CHOWN');
      for (const { pid } of [one, three]) {
        const chowns = (h.of(pid, Op.Capability) as CapabilityRecord[]).filter((e) => e.cap === CAP_CHOWN);
        assert.deepEqual(chowns.map((e) => [e.cap, e.ret, e.capOpt, e.uid, e.comm, e.nsTgid]), [[CAP_CHOWN, 0, 0, 0, 'fileops', 1]]);
      }
    } finally {
      h.sensors.setVisibility(0, 0, ALL_CATEGORIES);
    }
  });

  it('oa_cap_seen: a process\'s seen bits exist while it lives and are deleted at its exit (a reused tgid starts afresh)', async () => {
    const key = (pid: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(pid);
      return b;
    };
    const seen = (pid: number): Buffer | null => binding().mapLookup(h.sensors.objectHandle, 'oa_cap_seen', key(pid));
    const child = spawn(SensorsHarness.prog('syscaller'), ['--as', '65534', 'setuid', '0', 'wait'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const pid = child.pid!;
    const closed = new Promise<void>((res) => child.on('close', () => res()));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 250 && !out.includes('setuid -1\n'); i++) await new Promise((res) => setTimeout(res, 20));
    assert.equal(out, 'setuid -1\n', 'the tester checked CAP_SETUID and now waits');
    const v = seen(pid);
    assert.ok(v, 'entry while the process lives');
    // struct oa_cap_seen_bits {start, mask[2]}: mask[1] (denied) has CAP_SETUID (7), denied to uid 65534.
    assert.equal(v.readBigUInt64LE(16) & (1n << BigInt(CAP_SETUID)), 1n << BigInt(CAP_SETUID));
    child.stdin.end('\n');
    await closed;
    await h.waitFor((e) => e.op === Op.ProcessExit && e.tgid === pid, 'exit record');
    let gone = seen(pid);
    for (let i = 0; i < 50 && gone; i++) {
      await new Promise((res) => setTimeout(res, 20));
      gone = seen(pid);
    }
    assert.equal(gone, null);
  });

  it('CAP_SETUID denied to an unprivileged uid: ret -EPERM', async () => {
    const r = await h.run('syscaller', ['--as', '65534', 'setuid', '0']);
    assert.deepEqual(r.lines, ['setuid -1']);
    const caps = (h.of(r.pid, Op.Capability) as CapabilityRecord[]).filter((e) => e.cap === CAP_SETUID && e.ret !== 0);
    assert.deepEqual(caps.map((e) => [e.cap, e.ret, e.uid, e.comm]), [[CAP_SETUID, -1, 65534, 'syscaller']]);
  });
});
