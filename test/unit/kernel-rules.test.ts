// Golden byte encoding of the kernel rule maps (src/kernel/rules.ts ↔ bpf/include/rules.h) and
// the write-then-delete order of KernelRuleWriter. The expected bytes are spelled out by hand.
import assert from 'node:assert/strict';
import {
  KernelRuleWriter,
  RuleEncodeError,
  encodePostureKey,
  encodePostureValue,
  encodeRuleKey,
  encodeRuleSet,
  encodeRuleValue,
  type RuleMapTarget,
} from '../../src/kernel/rules';
import { PostureMode, RuleFlag, RuleKind, type KernelRule, type KernelRuleSet } from '../../src/kernel/rule-types';

function padded(s: string, n: number): string {
  return Buffer.from(s, 'latin1').toString('hex') + '00'.repeat(n - s.length);
}

const fileRule: KernelRule = {
  pidNs: 0x11223344,
  mntNs: 0xf0000005,
  kind: RuleKind.File,
  num: 0,
  target: '/etc/shadow',
  source: '/usr/bin/cat',
  ruleId: 7,
  flags: RuleFlag.Block,
};

describe('kernel rule encoding (golden)', () => {
  it('oa_rules key: ns, kind, num, target[256], source[256], little endian, zero-filled', () => {
    const key = encodeRuleKey(fileRule);
    assert.equal(key.length, 528);
    assert.equal(
      key.toString('hex'),
      '44332211' + '050000f0' + '02000000' + '00000000' + padded('/etc/shadow', 256) + padded('/usr/bin/cat', 256),
    );
  });

  it('oa_rules value: rule_id u32, flags u32', () => {
    assert.equal(encodeRuleValue(fileRule).toString('hex'), '07000000' + '01000000');
    const dir: KernelRule = { ...fileRule, target: '/secret/', flags: RuleFlag.Audit | RuleFlag.Dir | RuleFlag.Recursive | RuleFlag.ReadOnly, ruleId: 0x01020304 };
    assert.equal(encodeRuleValue(dir).toString('hex'), '04030201' + '3a000000');
  });

  it('network rule: num = IPPROTO or 256 + SOCK_*, empty target, empty source', () => {
    const tcp: KernelRule = { pidNs: 0, mntNs: 0, kind: RuleKind.Network, num: 6, target: '', source: '', ruleId: 3, flags: RuleFlag.Block };
    assert.equal(encodeRuleKey(tcp).toString('hex'), '00000000' + '00000000' + '03000000' + '06000000' + '00'.repeat(512));
    const raw = { ...tcp, num: 256 + 3 };
    assert.equal(encodeRuleKey(raw).subarray(12, 16).toString('hex'), '03010000');
  });

  it('posture key and value', () => {
    assert.equal(encodePostureKey({ pidNs: 1, mntNs: 2, kind: RuleKind.Capability }).toString('hex'), '01000000' + '02000000' + '04000000' + '00000000');
    assert.equal(encodePostureValue({ pidNs: 1, mntNs: 2, kind: RuleKind.Process, mode: PostureMode.AllowListBlock }).toString('hex'), '02000000');
  });

  it('rule set: sorted by key bytes, later duplicate wins, None postures omitted, kind mask', () => {
    const set: KernelRuleSet = {
      rules: [
        { ...fileRule, target: '/b', ruleId: 1 },
        { ...fileRule, target: '/a', ruleId: 2 },
        { ...fileRule, target: '/b', ruleId: 3, flags: RuleFlag.Audit },
        { pidNs: 0, mntNs: 0, kind: RuleKind.Syscall, num: 105, target: '', source: '', ruleId: 4, flags: RuleFlag.Audit },
      ],
      postures: [
        { pidNs: 9, mntNs: 9, kind: RuleKind.Network, mode: PostureMode.AllowListAudit },
        { pidNs: 0, mntNs: 0, kind: RuleKind.Capability, mode: PostureMode.None },
      ],
      userSpaceOnly: [],
    };
    const enc = encodeRuleSet(set);
    assert.equal(enc.duplicates, 1);
    assert.deepEqual(
      enc.rules.map((e) => [e.key.readUInt32LE(8), e.key.subarray(16, 18).toString('latin1').replace(/\0/g, ''), e.value.readUInt32LE(0), e.value.readUInt32LE(4)]),
      [
        [RuleKind.Syscall, '', 4, RuleFlag.Audit], // pid_ns 0 sorts first
        [RuleKind.File, '/a', 2, RuleFlag.Block],
        [RuleKind.File, '/b', 3, RuleFlag.Audit],
      ],
    );
    assert.equal(enc.postures.length, 1);
    assert.equal(enc.postures[0]!.key.toString('hex'), '09000000090000000300000000000000');
    assert.equal(enc.kindsMask, (1 << RuleKind.File) | (1 << RuleKind.Syscall) | (1 << RuleKind.Network));
    // Deterministic: the same set encodes to the same bytes.
    const again = encodeRuleSet(set);
    assert.deepEqual(again.rules.map((e) => e.key.toString('hex') + e.value.toString('hex')), enc.rules.map((e) => e.key.toString('hex') + e.value.toString('hex')));
  });

  it('bad input: error names the entry, field and reason', () => {
    const bad = (r: Partial<KernelRule>, msg: string) => {
      assert.throws(() => encodeRuleSet({ rules: [fileRule, { ...fileRule, ...r }], postures: [], userSpaceOnly: [] }), (e: unknown) => {
        assert.ok(e instanceof RuleEncodeError);
        assert.equal(e.message, msg);
        return true;
      });
    };
    bad({ target: 'etc/x' }, 'rules[1].target: must be an absolute path, got "etc/x"');
    bad({ target: '/' + 'a'.repeat(255) }, 'rules[1].target: is 256 bytes; the kernel holds at most 255');
    bad({ ruleId: 0 }, 'rules[1].ruleId: must not be 0 (0 means default posture)');
    bad({ flags: RuleFlag.Block | RuleFlag.Allow }, 'rules[1].flags: must carry exactly one of Block, Audit, Allow');
    bad({ flags: RuleFlag.Block | 0x100 }, 'rules[1].flags: unknown bits 0x100');
    bad({ target: '/tmp/', flags: RuleFlag.Block }, 'rules[1].flags: target "/tmp/" ends with "/" but Dir is not set');
    bad({ flags: RuleFlag.Block | RuleFlag.Dir }, 'rules[1].flags: Dir needs a process/file target ending with "/"');
    bad({ num: 3 }, 'rules[1].num: must be 0 for File rules, got 3');
    bad({ kind: 9 as RuleKind }, 'rules[1].kind: unknown rule kind 9 (1 process .. 5 syscall)');
    bad({ pidNs: -1 }, 'rules[1].pidNs: must be an integer in 0..4294967295, got -1');
    bad({ kind: RuleKind.Network, num: 6 }, 'rules[1].target: must be "" for Network rules, got "/etc/shadow"');
    bad({ flags: RuleFlag.Block | RuleFlag.ExecName }, 'rules[1].target: ExecName is for Process rules, not File');
    bad({ kind: RuleKind.Process, target: 'bin/nc', flags: RuleFlag.Block | RuleFlag.ExecName }, 'rules[1].target: an ExecName target must be a file name without "/" or NUL, got "bin/nc"');
    bad({ kind: RuleKind.Process, target: 'nc', flags: RuleFlag.Block }, 'rules[1].target: must be an absolute path, got "nc"');
  });

  it('execname rule: the bare name in target[256], flag ExecName (0x80)', () => {
    const nc: KernelRule = { pidNs: 5, mntNs: 6, kind: RuleKind.Process, num: 0, target: 'nc', source: '/bin/sh', ruleId: 9, flags: RuleFlag.Block | RuleFlag.ExecName };
    assert.equal(encodeRuleKey(nc).toString('hex'), '05000000' + '06000000' + '01000000' + '00000000' + padded('nc', 256) + padded('/bin/sh', 256));
    assert.equal(encodeRuleValue(nc).toString('hex'), '09000000' + '81000000');
  });

  it('userSpaceOnly kinds: PostureUserSpace (0x100) on the posture entry, created when there is none; kind mask', () => {
    const enc = encodeRuleSet({
      rules: [],
      postures: [
        { pidNs: 1, mntNs: 1, kind: RuleKind.File, mode: PostureMode.AllowListBlock },
        { pidNs: 2, mntNs: 2, kind: RuleKind.Network, mode: PostureMode.None },
      ],
      userSpaceOnly: [
        { pidNs: 1, mntNs: 1, kind: RuleKind.File },
        { pidNs: 2, mntNs: 2, kind: RuleKind.Network },
        { pidNs: 0, mntNs: 0, kind: RuleKind.Process },
      ],
    });
    assert.deepEqual(enc.postures.map((e) => [e.key.toString('hex'), e.value.toString('hex')]), [
      ['00000000' + '00000000' + '01000000' + '00000000', '00010000'],
      ['01000000' + '01000000' + '02000000' + '00000000', '02010000'],
      ['02000000' + '02000000' + '03000000' + '00000000', '00010000'],
    ]);
    assert.equal(enc.kindsMask, (1 << RuleKind.Process) | (1 << RuleKind.File) | (1 << RuleKind.Network));
    assert.throws(() => encodeRuleSet({ rules: [], postures: [], userSpaceOnly: [{ pidNs: 0, mntNs: 0, kind: 7 as RuleKind }] }), /^RuleEncodeError: userSpaceOnly\[0\]\.kind: unknown rule kind 7/);
  });
});

/** In-memory stand-in for one object's maps that records the order of operations. */
class RecordingMaps implements RuleMapTarget {
  readonly ops: string[] = [];
  readonly maps = new Map<string, Map<string, string>>();
  update(map: string, key: Buffer, value: Buffer): void {
    this.ops.push(`update ${map} ${this.label(map, key)}`);
    if (!this.maps.has(map)) this.maps.set(map, new Map());
    this.maps.get(map)!.set(key.toString('hex'), value.toString('hex'));
  }
  delete(map: string, key: Buffer): boolean {
    this.ops.push(`delete ${map} ${this.label(map, key)}`);
    return this.maps.get(map)?.delete(key.toString('hex')) ?? false;
  }
  hasMap(map: string): boolean {
    return map !== 'oa_missing';
  }
  private label(map: string, key: Buffer): string {
    if (map === 'oa_rules') return key.subarray(16, 272).toString('latin1').replace(/\0+$/, '');
    if (map === 'oa_postures') return `kind${key.readUInt32LE(8)}`;
    return key.toString('hex');
  }
}

describe('KernelRuleWriter', () => {
  const r = (target: string, ruleId: number): KernelRule => ({ ...fileRule, pidNs: 0, mntNs: 0, target, ruleId });

  it('writes new entries, then deletes stale ones, then narrows the kind mask; unchanged entries are not rewritten', () => {
    const maps = new RecordingMaps();
    const w = new KernelRuleWriter(maps);
    const first = w.apply({ rules: [r('/a', 1), r('/b', 2)], postures: [{ pidNs: 0, mntNs: 0, kind: RuleKind.Process, mode: PostureMode.AllowListBlock }], userSpaceOnly: [] });
    assert.deepEqual(first, { rulesWritten: 2, rulesDeleted: 0, posturesWritten: 1, posturesDeleted: 0, kindsMask: 0b110, duplicates: 0 });
    assert.deepEqual(maps.ops, ['update oa_rule_kinds 00000000', 'update oa_rules /a', 'update oa_rules /b', 'update oa_postures kind1']);
    assert.equal(maps.maps.get('oa_rule_kinds')!.get('00000000'), '06000000');
    maps.ops.length = 0;
    const second = w.apply({ rules: [r('/b', 2), r('/c', 3)], postures: [], userSpaceOnly: [] });
    assert.deepEqual(second, { rulesWritten: 1, rulesDeleted: 1, posturesWritten: 0, posturesDeleted: 1, kindsMask: 0b100, duplicates: 0 });
    assert.deepEqual(maps.ops, ['update oa_rules /c', 'delete oa_rules /a', 'delete oa_postures kind1', 'update oa_rule_kinds 00000000']);
    assert.equal(maps.maps.get('oa_rule_kinds')!.get('00000000'), '04000000');
    assert.deepEqual([...maps.maps.get('oa_rules')!.keys()].map((k) => Buffer.from(k, 'hex').subarray(16, 18).toString('latin1')), ['/b', '/c']);
    assert.deepEqual(w.size, { rules: 2, postures: 0 });
  });

  it('a value change for the same key is one update; bad input writes nothing', () => {
    const maps = new RecordingMaps();
    const w = new KernelRuleWriter(maps);
    w.apply({ rules: [r('/a', 1)], postures: [], userSpaceOnly: [] });
    maps.ops.length = 0;
    w.apply({ rules: [{ ...r('/a', 1), flags: RuleFlag.Audit }], postures: [], userSpaceOnly: [] });
    assert.deepEqual(maps.ops, ['update oa_rules /a']);
    maps.ops.length = 0;
    assert.throws(() => w.apply({ rules: [r('/z', 5), r('relative', 6)], postures: [], userSpaceOnly: [] }), /rules\[1\]\.target: must be an absolute path/);
    assert.deepEqual(maps.ops, []);
  });

  it('at capacity: deletes stale entries before writing new ones; over capacity: error, nothing written', () => {
    const maps = new RecordingMaps();
    const w = new KernelRuleWriter(maps, { rules: 2, postures: 1 });
    w.apply({ rules: [r('/a', 1), r('/b', 2)], postures: [], userSpaceOnly: [] });
    maps.ops.length = 0;
    w.apply({ rules: [r('/b', 2), r('/c', 3)], postures: [], userSpaceOnly: [] });
    assert.deepEqual(maps.ops, ['delete oa_rules /a', 'update oa_rules /c']);
    maps.ops.length = 0;
    assert.throws(() => w.apply({ rules: [r('/a', 1), r('/b', 2), r('/c', 3)], postures: [], userSpaceOnly: [] }), (e: unknown) => {
      assert.ok(e instanceof RuleEncodeError);
      assert.equal(e.message, 'rules: 3 kernel rules exceed the oa_rules capacity of 2');
      return true;
    });
    assert.deepEqual(maps.ops, []);
  });
});
