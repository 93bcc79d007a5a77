import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Op, type CapabilityRecord } from '../../src/events/record';
import { SensorsHarness } from './sensors-harness';

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

  it('CAP_CHOWN granted to root once per process (repeats deduped in kernel)', async () => {
    const f = path.join(dir, 'c.txt');
    writeFileSync(f, 'x');
    const before = h.sensors.stats().countersByOp[Op.Capability]!.dedup;
    const r = await h.run('fileops', ['chown', f, '1000', '1000', 'chown', f, '1001', '1001', 'chown', f, '1002', '1002']);
    assert.deepEqual(r.lines, ['chown 0', 'chown 0', 'chown 0']);
    const caps = (h.of(r.pid, Op.Capability) as CapabilityRecord[]).filter((e) => e.cap === CAP_CHOWN);
    assert.deepEqual(caps.map((e) => [e.cap, e.ret, e.capOpt, e.uid, e.comm]), [[CAP_CHOWN, 0, 0, 0, 'fileops']]);
    assert.ok(h.sensors.stats().countersByOp[Op.Capability]!.dedup >= before + 2);
  });

  it('CAP_SETUID denied to an unprivileged uid: ret -EPERM', async () => {
    const r = await h.run('syscaller', ['--as', '65534', 'setuid', '0']);
    assert.deepEqual(r.lines, ['setuid -1']);
    const caps = (h.of(r.pid, Op.Capability) as CapabilityRecord[]).filter((e) => e.cap === CAP_SETUID && e.ret !== 0);
    assert.deepEqual(caps.map((e) => [e.cap, e.ret, e.uid, e.comm]), [[CAP_SETUID, -1, 65534, 'syscaller']]);
  });
});
