// BPF-LSM with an allow-list and a block posture, in a private pid + mount namespace (rules keyed
// by its namespaces touch nothing else on the machine): a listed program runs and reads its
// allowed file; an unlisted exec and an unlisted open fail with EACCES before they act (no kill).
// On the matrix entries with BPF-LSM (test/kernels/matrix.ts); on the others it checks that an
// Enforcer asked for bpf-lsm steps down and says why (the kill-on-attempt allow-list is
// test/kernel/enforce-kill.test.ts). The VMs' /usr and /etc are overlayfs (virtme):
// overlayfs opens each real file again on a private clone of its layer, and that second
// security_file_open must not be judged by path (bpf/include/rules.h rules__walk_step), or the
// block posture refuses the dynamic loader's libraries, as containers' files on overlayfs would.
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RecordFlag } from '../../src/events/record';
import { PostureMode, RuleFlag, RuleKind } from '../../src/kernel/rule-types';
import { EMPTY_RULES, EnforceHarness, prog } from '../kernel/enforce-harness';
import { currentEntry } from './matrix';

const lsmExpected = currentEntry().expect.enforcer === 'bpf-lsm';

describe('BPF-LSM allow-list with block posture (private namespaces)', function () {
  this.timeout(120_000);
  let h: EnforceHarness;
  let dir: string;

  before(async function () {
    h = await EnforceHarness.open(this, ['process'], 'bpf-lsm');
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'oa-lsm-allow-')));
  });
  after(async () => {
    h?.enforcer.apply(EMPTY_RULES);
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  if (!lsmExpected) {
    it('without BPF-LSM, an Enforcer asked for bpf-lsm steps down to kill-on-attempt+cgroup and says why', () => {
      assert.equal(h.enforcer.status.mode, 'kill-on-attempt+cgroup');
      assert.match(h.enforcer.status.degraded ?? '', /^bpf-lsm: ("bpf" is not an active LSM \(active: [^)]*; boot with lsm=\.\.\.,bpf\): lsm programs would load but never run|bpf_object__load: cannot load object \([^)]+\))$/);
    });
    return;
  }

  it('listed exec and file pass; an unlisted open and an unlisted exec fail with EACCES, nothing killed', async () => {
    assert.equal(h.enforcer.status.mode, 'bpf-lsm', h.logLines.join('\n'));
    const reader = prog('enforce-read');
    const allowed = path.join(dir, 'allowed.txt');
    const other = path.join(dir, 'other.txt');
    writeFileSync(allowed, 'listed-data');
    writeFileSync(other, 'unlisted-data');
    const inNamespace = (target: string, args: string[]) =>
      h.runInNamespace(target, args, (ns) => {
        const allow = (kind: RuleKind, target: string, ruleId: number, flags = 0) =>
          ({ ...ns, kind, num: 0, target, source: '', ruleId, flags: RuleFlag.Allow | flags });
        return {
          rules: [
            allow(RuleKind.Process, reader, 61),
            // The reader's binary and what the dynamic loader opens, read-only; the allowed file.
            allow(RuleKind.File, reader, 62, RuleFlag.ReadOnly),
            allow(RuleKind.File, '/usr/', 63, RuleFlag.Dir | RuleFlag.Recursive | RuleFlag.ReadOnly),
            allow(RuleKind.File, '/etc/', 64, RuleFlag.Dir | RuleFlag.Recursive | RuleFlag.ReadOnly),
            allow(RuleKind.File, allowed, 65, RuleFlag.ReadOnly),
          ],
          postures: [
            { ...ns, kind: RuleKind.Process, mode: PostureMode.AllowListBlock },
            { ...ns, kind: RuleKind.File, mode: PostureMode.AllowListBlock },
          ],
          userSpaceOnly: [],
        };
      });
    // fd 3 of the child is enforce-nsexec's pipe: the reader's open returns 4.
    const ok = await inNamespace(reader, [allowed]);
    assert.deepEqual(ok.lines.filter((l) => !l.startsWith('child ')), ['unshare 0', 'pipe 0', 'open 4', 'data listed-data', 'exit 0']);

    const refusedOpen = await inNamespace(reader, [other]);
    assert.deepEqual(refusedOpen.lines.filter((l) => !l.startsWith('child ')), ['unshare 0', 'pipe 0', 'open -13', 'exit 1'], 'open refused with EACCES, the reader not killed');

    const refusedExec = await inNamespace(prog('enforce-marker'), ['unlisted']);
    assert.deepEqual(refusedExec.lines.filter((l) => !l.startsWith('child ')), ['unshare 0', 'pipe 0', 'exit 4'], 'execv failed (exit 4): the marker never ran');
    assert.equal([...h.records].filter((r) => ((r.recordFlags ?? 0) & RecordFlag.Killed) !== 0).length, 0, 'nothing killed');
  });
});
