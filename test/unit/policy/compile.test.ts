import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AgentEvent } from '../../../src/events/types';
import { PostureMode, PostureUserSpace, RuleFlag, RuleKind } from '../../../src/kernel/rule-types';
import { encodeRuleSet } from '../../../src/kernel/rules';
import { compile, type ContainerSpec } from '../../../src/policy/compile';
import { KernelReference, type KernelVerdict } from '../../../src/policy/kernel-reference';
import { loadPolicyPaths } from '../../../src/policy/load';
import { matchEvent, matchSyscallRule, RuleIndex, type Verdict } from '../../../src/policy/matcher';
import { buildRuleList, rulesFor, type Identity } from '../../../src/policy/rules';
import { PolicyStore, sortPolicies } from '../../../src/policy/store';
import type { NormalizedPolicy } from '../../../src/policy/types';
import { ROOT } from '../../helpers/env';
import { cev, hev } from './helpers';

const FIX = path.join(ROOT, 'test/fixtures/policies');
const HOST = { hostName: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' } };
const WEB: ContainerSpec = { pidNs: 4026532001, mntNs: 4026532002, namespace: 'prod', labels: { app: 'web' }, containerName: 'web' };
const API: ContainerSpec = { pidNs: 4026532101, mntNs: 4026532102, namespace: 'prod', labels: { app: 'api' }, containerName: 'api' };
const DEV: ContainerSpec = { pidNs: 4026532201, mntNs: 4026532202, namespace: 'dev', labels: { app: 'web' }, containerName: 'web' };
const CONTAINERS = [WEB, API, DEV];
const OPTS = { postureFor: (ns: string | undefined) => (ns === 'prod' ? { file: 'block' as const, network: 'audit' as const, capabilities: 'block' as const } : { file: 'audit' as const, network: 'audit' as const, capabilities: 'audit' as const }) };

function policies(dir: string): NormalizedPolicy[] {
  const r = loadPolicyPaths([path.join(FIX, dir)]);
  assert.deepEqual(r.errors, []);
  return r.policies;
}

function loadPolicyObjects(objs: unknown[]): NormalizedPolicy[] {
  const store = new PolicyStore();
  const r = store.replaceSource('test', objs);
  assert.deepEqual(r.errors, []);
  return [...store.snapshot.policies];
}

function shuffle<T>(a: readonly T[], seed: number): T[] {
  const out = [...a];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('compile: golden KernelRuleSet', () => {
  for (const dir of ['valid', 'equivalence']) {
    it(`${dir}/ compiles to the committed ${dir}.compiled.json`, () => {
      const out = compile(policies(dir), CONTAINERS, HOST, OPTS);
      const json = `${JSON.stringify(out, null, 1)}\n`;
      const golden = path.join(FIX, `${dir}.compiled.json`);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, json);
      assert.equal(json, readFileSync(golden, 'utf8'));
    });
  }

  it('every compiled entry encodes for the kernel maps (src/kernel/rules.ts)', () => {
    for (const dir of ['valid', 'equivalence']) {
      const { set } = compile(policies(dir), CONTAINERS, HOST, OPTS);
      const enc = encodeRuleSet(set);
      assert.equal(enc.rules.length, set.rules.length);
      // one oa_postures entry per (C, K) with a posture or a user-space-only kind
      const keys = new Set([...set.postures, ...set.userSpaceOnly].map((p) => `${p.pidNs}:${p.mntNs}:${p.kind}`));
      assert.equal(enc.postures.length, keys.size);
      for (const e of enc.postures) {
        const k = `${e.key.readUInt32LE(0)}:${e.key.readUInt32LE(4)}:${e.key.readUInt32LE(8)}`;
        const mode = set.postures.find((p) => `${p.pidNs}:${p.mntNs}:${p.kind}` === k)?.mode ?? PostureMode.None;
        const user = set.userSpaceOnly.some((u) => `${u.pidNs}:${u.mntNs}:${u.kind}` === k) ? PostureUserSpace : 0;
        assert.equal(e.value.readUInt32LE(0), mode | user, k);
      }
    }
  });

  it('is identical across runs and input orders', () => {
    const ps = policies('valid');
    const a = JSON.stringify(compile(ps, CONTAINERS, HOST, OPTS));
    for (let seed = 1; seed <= 5; seed++) {
      // Reversed rule order inside the policy objects is a different policy; only object order varies.
      const b = JSON.stringify(compile(shuffle(ps, seed), shuffle([...CONTAINERS, WEB], seed), HOST, OPTS));
      assert.equal(b, a);
    }
  });

  it('encodes directories (Dir/Recursive + the directory itself), protocols, capabilities, postures, user-space-only kinds', () => {
    const { set, ruleTable } = compile(policies('valid'), [WEB], HOST, OPTS);
    const web = set.rules.filter((r) => r.pidNs === WEB.pidNs);
    const id = (t: string) => ruleTable.find((r) => r.target === t)!.id;
    assert.deepEqual(web.filter((r) => r.target.startsWith('/run/secrets') || r.target.startsWith('/var/spool')), [
      { pidNs: WEB.pidNs, mntNs: WEB.mntNs, kind: RuleKind.File, num: 0, target: '/run/secrets', source: '', ruleId: id('/run/secrets/'), flags: RuleFlag.Block },
      { pidNs: WEB.pidNs, mntNs: WEB.mntNs, kind: RuleKind.File, num: 0, target: '/run/secrets/', source: '', ruleId: id('/run/secrets/'), flags: RuleFlag.Block | RuleFlag.Dir | RuleFlag.Recursive },
      { pidNs: WEB.pidNs, mntNs: WEB.mntNs, kind: RuleKind.File, num: 0, target: '/var/spool', source: '', ruleId: id('/var/spool/'), flags: RuleFlag.Block },
      { pidNs: WEB.pidNs, mntNs: WEB.mntNs, kind: RuleKind.File, num: 0, target: '/var/spool/', source: '', ruleId: id('/var/spool/'), flags: RuleFlag.Block | RuleFlag.Dir },
    ]);
    assert.deepEqual(web.filter((r) => r.kind === RuleKind.Network).map((r) => [r.num, r.source, r.flags]), [
      [1, '/bin/ping', RuleFlag.Audit], [259, '', RuleFlag.Block],
    ]);
    assert.deepEqual(web.filter((r) => r.kind === RuleKind.Capability).map((r) => r.num), [13, 21]);
    assert.deepEqual(web.filter((r) => r.target === '/etc/hosts').map((r) => r.flags), [RuleFlag.Block | RuleFlag.ReadOnly]);
    // execname: the bare name as target, looked up by the exec path's basename
    assert.deepEqual(web.filter((r) => r.target === 'nc'), [
      { pidNs: WEB.pidNs, mntNs: WEB.mntNs, kind: RuleKind.Process, num: 0, target: 'nc', source: '', ruleId: id('nc'), flags: RuleFlag.Block | RuleFlag.ExecName },
    ]);
    // File: the matchPatterns rule and the unlink/rmdir syscalls rules (the file sensor sees
    // those syscalls); Syscall: the directory source and the matchPaths syscalls rule.
    assert.deepEqual(set.userSpaceOnly.filter((u) => u.pidNs === WEB.pidNs).map((u) => u.kind), [RuleKind.File, RuleKind.Syscall]);
    assert.deepEqual(set.postures, []);
    const withApi = compile(policies('valid'), [API], HOST, OPTS).set;
    assert.deepEqual(withApi.postures, [
      { pidNs: API.pidNs, mntNs: API.mntNs, kind: RuleKind.Process, mode: PostureMode.AllowListBlock },
      { pidNs: API.pidNs, mntNs: API.mntNs, kind: RuleKind.File, mode: PostureMode.AllowListBlock },
      { pidNs: API.pidNs, mntNs: API.mntNs, kind: RuleKind.Network, mode: PostureMode.AllowListAudit },
    ]);
    // host rules are (0, 0)
    assert.deepEqual(set.rules.filter((r) => r.pidNs === 0).map((r) => [r.kind, r.num, r.target, r.source]), [
      [RuleKind.File, 0, '/etc/sudoers', '/usr/bin/vi'],
      [RuleKind.File, 0, '/root/.ssh', ''],
      [RuleKind.File, 0, '/root/.ssh/', ''],
      [RuleKind.Network, 1, '', '/usr/bin/ping'],
      [RuleKind.Capability, 16, '', '/usr/sbin/insmod'],
    ]);
  });

  it('a matchPatterns Allow rule (user space only) turns a block posture into audit for its kind only', () => {
    const ps = loadPolicyObjects([{
      apiVersion: 'security.kubearmor.com/v1', kind: 'KubeArmorPolicy', metadata: { name: 'pat-allow', namespace: 'prod' },
      spec: {
        selector: { matchLabels: { app: 'api' } }, action: 'Allow',
        file: { matchPatterns: [{ pattern: '/srv/*.json' }], matchPaths: [{ path: '/etc/app.conf' }] },
        network: { matchProtocols: [{ protocol: 'tcp' }] },
      },
    }]);
    const block = { postureFor: () => ({ file: 'block' as const, network: 'block' as const, capabilities: 'block' as const }) };
    const { set } = compile(ps, [API], HOST, block);
    assert.deepEqual(set.postures.map((p) => [p.kind, p.mode]), [[RuleKind.File, PostureMode.AllowListAudit], [RuleKind.Network, PostureMode.AllowListBlock]]);
    assert.deepEqual(set.userSpaceOnly, [{ pidNs: API.pidNs, mntNs: API.mntNs, kind: RuleKind.File }]);
    assert.deepEqual(encodeRuleSet(set).postures.map((e) => e.value.readUInt32LE(0)), [PostureMode.AllowListAudit | PostureUserSpace, PostureMode.AllowListBlock]);
  });

  it('audited namespaces compile Block as Audit and block postures as audit', () => {
    const { set } = compile(policies('valid'), [WEB, API], HOST, { ...OPTS, audited: (ns) => ns === 'prod' });
    assert.equal(set.rules.filter((r) => r.pidNs !== 0 && (r.flags & RuleFlag.Block)).length, 0);
    assert.ok(set.postures.every((p) => p.mode === PostureMode.AllowListAudit));
  });
});

// ---- reference matcher vs compile + kernel reference ----

type Norm = string;
function normRef(v: Verdict): Norm {
  return v.kind === 'rule' ? `rule ${v.rule.id} ${v.rule.action}` : v.kind;
}
function normKernel(v: KernelVerdict): Norm {
  if (v.kind !== 'rule') return v.kind;
  const a = v.flags & RuleFlag.Block ? 'Block' : v.flags & RuleFlag.Audit ? 'Audit' : 'Allow';
  return `rule ${v.ruleId} ${a}`;
}
/** What the pipeline ends with: a 'user' kernel verdict (PostureUserSpace, rule id 0) sends the
 *  event up unflagged and the reference matcher decides; but the kernel never stopped it, so a
 *  Block the kernel did not see is not the same outcome. */
function combined(k: KernelVerdict, ref: Norm): Norm {
  if (k.kind === 'user') return ref.endsWith(' Block') ? `user (unenforced ${ref})` : ref;
  return normKernel(k);
}

function setup(dir: string) {
  const ps = sortPolicies(policies(dir));
  const rules = buildRuleList(ps);
  const { set } = compile(ps, CONTAINERS, HOST, OPTS);
  const kernel = new KernelReference(set);
  const ixFor = (c: ContainerSpec | undefined) => {
    const id: Identity = c ? { host: false, namespace: c.namespace, labels: c.labels, containerName: c.containerName } : { host: true, namespace: '', labels: {}, containerName: '' };
    return new RuleIndex(rulesFor(ps, rules, id, HOST));
  };
  const ref = (c: ContainerSpec | undefined, ev: AgentEvent): Norm => {
    const ix = ixFor(c);
    if (ev.ka.Operation === 'Syscall') {
      const r = matchSyscallRule(ix, ev);
      return r ? `rule ${r.id} Audit` : 'none';
    }
    return normRef(matchEvent(ix, ev));
  };
  const id = (target: string, action?: string) => rules.find((r) => r.target === target && (!action || r.action === action))!.id;
  return { ref, kernel, set, id };
}

function inContainer(c: ContainerSpec | undefined, init: Parameters<typeof cev>[0]): AgentEvent {
  if (!c) return hev(init);
  return cev({ NamespaceName: c.namespace, Labels: Object.entries(c.labels).map(([k, v]) => `${k}=${v}`).join(','), ContainerName: c.containerName, ...init, extras: { pidNs: c.pidNs, mntNs: c.mntNs, ...init.extras } });
}

function corpus(): { c: ContainerSpec | undefined; ev: AgentEvent }[] {
  const out: { c: ContainerSpec | undefined; ev: AgentEvent }[] = [];
  const files = ['/etc/shadow', '/etc/hosts', '/etc/passwd', '/home/u/.netrc', '/run/secrets/a', '/run/secrets', '/run/secrets/public/k',
    '/run/secrets/public/deep/k', '/var/spool/x', '/var/spool/a/b', '/var/spool', '/app/x/y', '/app', '/app/config', '/data/owned.db',
    '/data/mine.db', '/root/.ssh/id_rsa', '/root/.ssh', '/etc/sudoers', '/tmp/f', '/', '/usr/lib/x/y.so'];
  const procs = ['/usr/bin/curl', '/usr/bin/wget', '/tmp/x', '/tmp/a/b/c', '/usr/local/bin/api', '/bin/sh', '/usr/lib/x/y', '/bin/ls',
    '/usr/bin/nc', '/opt/x/nc', '/tmp/nc', '/usr/bin/id', '/usr/bin/su', '/usr/bin/ncat'];
  const nets = ['domain=AF_INET type=SOCK_STREAM protocol=TCP', 'domain=AF_INET6 type=SOCK_DGRAM protocol=UDP', 'domain=AF_INET type=SOCK_RAW protocol=ICMP',
    'domain=AF_INET type=SOCK_RAW protocol=HOPOPT', 'domain=AF_UNIX type=SOCK_SEQPACKET protocol=HOPOPT', 'domain=AF_INET type=SOCK_STREAM protocol=HOPOPT'];
  for (const c of [...CONTAINERS, undefined]) {
    for (const f of files) {
      for (const p of ['/bin/cat', '/usr/bin/vi', '/usr/local/bin/api']) {
        for (const [flags, owner] of [[0, 1000], [1, 1000], [0, 0], [0x241, 0]] as const) {
          out.push({ c, ev: inContainer(c, { Resource: f, ProcessName: p, ParentProcessName: '/bin/bash', Source: `${p} ${f}`, UID: 1000, extras: { openFlags: flags, fileOwnerUid: owner } }) });
        }
        // unlink: not an open (a write access), owner unknown (not the owner)
        out.push({ c, ev: inContainer(c, { Resource: f, Data: 'syscall=SYS_UNLINK', ProcessName: p, ParentProcessName: '/bin/bash', Source: `${p} ${f}`, UID: 1000, extras: { syscall: 'unlink' } }) });
      }
    }
    for (const t of procs) {
      for (const parent of ['/bin/sh', '/usr/local/bin/api', '/bin/bash']) {
        for (const owner of [1000, 0]) {
          out.push({ c, ev: inContainer(c, { Operation: 'Process', Resource: `${t} -x`, ProcessName: t, ParentProcessName: parent, Source: parent, UID: 1000, extras: { fileOwnerUid: owner } }) });
        }
      }
    }
    for (const r of nets) {
      for (const p of ['/bin/ping', '/usr/bin/nc', '/usr/local/bin/api', '/usr/bin/curl']) {
        out.push({ c, ev: inContainer(c, { Operation: 'Network', Resource: r, ProcessName: p, Source: `${p} host` }) });
      }
    }
    for (const cap of ['net_raw', 'sys_admin', 'net_bind_service', 'sys_module', 'chown']) {
      for (const p of ['/usr/bin/mount', '/usr/sbin/insmod', '/bin/x']) {
        out.push({ c, ev: inContainer(c, { Operation: 'Capabilities', Resource: `CAP_${cap.toUpperCase()}`, ProcessName: p, Source: `${p} a`, extras: { capability: cap } }) });
      }
    }
    for (const sc of ['unlink', 'setuid', 'mount', 'chmod']) {
      for (const p of ['/bin/rm', '/bin/x']) {
        out.push({ c, ev: inContainer(c, { Operation: 'Syscall', Resource: '', Data: `syscall=SYS_${sc.toUpperCase()}`, ProcessName: p, Source: `${p} a`, extras: { syscall: sc } }) });
      }
    }
  }
  return out;
}

describe('reference matcher vs compile + kernel reference', () => {
  it('agree on every event of the corpus for kernel-expressible policies (match and action)', () => {
    const { ref, kernel } = setup('equivalence');
    const evs = corpus();
    const diffs: string[] = [];
    const seen = new Map<string, number>();
    for (const { c, ev } of evs) {
      const r = ref(c, ev);
      const kv = kernel.lookup(ev);
      const k = combined(kv, r);
      const kind = r.split(' ')[0]!.concat(r.endsWith('Block') ? ' Block' : r.endsWith('Audit') ? ' Audit' : r.endsWith('Allow') ? ' Allow' : '');
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
      if (kv.kind === 'user') seen.set('kernel user', (seen.get('kernel user') ?? 0) + 1);
      if (r !== k) diffs.push(`${c ? `${c.namespace}/${c.containerName}(${c.labels.app})` : 'host'} ${ev.ka.Operation} ${ev.ka.Resource} by ${ev.ka.ProcessName}: reference ${r}, kernel ${k}`);
    }
    assert.deepEqual(diffs, []);
    assert.equal(evs.length, 1844);
    // the corpus exercises every outcome, and the syscalls rules on unlink send WEB's
    // undecided file events to user space
    for (const k of ['none', 'posture', 'rule Block', 'rule Audit', 'rule Allow', 'kernel user']) assert.ok((seen.get(k) ?? 0) > 20, `${k}: ${seen.get(k)}`);
  });

  it('readOnly Block inside an allow-list pod: reads fall to the block posture, writes hit the rule (both sides)', () => {
    const { ref, kernel, id } = setup('equivalence');
    const read = inContainer(API, { Resource: '/app/config', ProcessName: '/bin/cat', UID: 1000, extras: { openFlags: 0, fileOwnerUid: 0 } });
    const write = inContainer(API, { Resource: '/app/config', ProcessName: '/bin/cat', UID: 1000, extras: { openFlags: 1, fileOwnerUid: 0 } });
    const unlink = inContainer(API, { Resource: '/app/config', Data: 'syscall=SYS_UNLINK', ProcessName: '/bin/rm', UID: 1000, extras: { syscall: 'unlink' } });
    assert.equal(ref(API, read), 'posture');
    assert.deepEqual(kernel.lookup(read), { kind: 'posture', mode: PostureMode.AllowListBlock });
    const rule = `rule ${id('/app/config')} Block`;
    assert.equal(ref(API, write), rule);
    assert.equal(normKernel(kernel.lookup(write)), rule);
    assert.equal(ref(API, unlink), rule, 'unlink is a write access');
    assert.equal(normKernel(kernel.lookup(unlink)), rule);
    // readOnly Audit in the same pod: a read is exempt (posture), a write is audited
    const pw = inContainer(API, { Resource: '/etc/passwd', ProcessName: '/bin/cat', UID: 1000, extras: { openFlags: 0x241, fileOwnerUid: 0 } });
    assert.equal(normKernel(kernel.lookup(pw)), `rule ${id('/etc/passwd')} Audit`);
    assert.equal(ref(API, pw), `rule ${id('/etc/passwd')} Audit`);
  });

  it('ownerOnly is decided in the kernel from the record\'s owner uid (file opens and execs)', () => {
    const { ref, kernel, id } = setup('equivalence');
    const mine = (owner: number) => inContainer(API, { Resource: '/data/mine.db', ProcessName: '/bin/cat', UID: 1000, extras: { openFlags: 2, fileOwnerUid: owner } });
    assert.equal(ref(API, mine(1000)), 'posture');
    assert.deepEqual(kernel.lookup(mine(1000)), { kind: 'posture', mode: PostureMode.AllowListBlock });
    assert.equal(ref(API, mine(0)), `rule ${id('/data/mine.db')} Block`);
    assert.equal(normKernel(kernel.lookup(mine(0))), `rule ${id('/data/mine.db')} Block`);
    const su = (owner: number) => inContainer(WEB, { Operation: 'Process', Resource: '/usr/bin/su', ProcessName: '/usr/bin/su', ParentProcessName: '/bin/bash', UID: 1000, extras: { fileOwnerUid: owner } });
    assert.equal(ref(WEB, su(1000)), 'none');
    assert.equal(normKernel(kernel.lookup(su(1000))), 'none');
    assert.equal(ref(WEB, su(0)), `rule ${id('/usr/bin/su', 'Block')} Block`);
    assert.equal(normKernel(kernel.lookup(su(0))), `rule ${id('/usr/bin/su', 'Block')} Block`);
  });

  it('execname: the kernel looks the basename up after the exact path and before directories', () => {
    const { ref, kernel, id } = setup('equivalence');
    const nc = (p: string) => inContainer(WEB, { Operation: 'Process', Resource: p, ProcessName: p, ParentProcessName: '/bin/bash' });
    for (const p of ['/usr/bin/nc', '/opt/x/nc']) {
      assert.equal(ref(WEB, nc(p)), `rule ${id('nc')} Block`);
      assert.equal(normKernel(kernel.lookup(nc(p))), `rule ${id('nc')} Block`);
    }
    // /tmp/nc: execname (level 2) beats the recursive /tmp/ directory (level 3); same rule action here
    assert.equal(normKernel(kernel.lookup(nc('/tmp/nc'))), `rule ${id('nc')} Block`);
    assert.equal(normKernel(kernel.lookup(nc('/usr/bin/ncat'))), 'none');
  });

  it('documented differences: matchPatterns are user-space only (the kernel sends the kind up)', () => {
    const { ref, kernel } = setup('valid');
    const shadow = inContainer(WEB, { Resource: '/etc/shadow', ProcessName: '/usr/bin/less', ParentProcessName: '/bin/bash' });
    assert.match(ref(WEB, shadow), /^rule \d+ Audit$/);
    assert.deepEqual(kernel.lookup(shadow), { kind: 'user' });
    const nc = inContainer(WEB, { Operation: 'Process', Resource: '/usr/local/bin/nc', ProcessName: '/usr/local/bin/nc' });
    assert.match(ref(WEB, nc), /^rule \d+ Block$/);
    assert.equal(normKernel(kernel.lookup(nc)), ref(WEB, nc));
  });

  it('documented differences: user-space fromSource also accepts the parent; the kernel uses the caller', () => {
    const { ref, kernel } = setup('equivalence');
    const ev = inContainer(WEB, { Resource: '/etc/shadow', ProcessName: '/usr/bin/less', ParentProcessName: '/bin/cat' });
    assert.match(ref(WEB, ev), /^rule \d+ Block$/);
    assert.match(normKernel(kernel.lookup(ev)), /^rule \d+ Audit$/);
  });

  it('documented differences: the kernel walks at most RULE_DIR_DEPTH ancestor directories', () => {
    const { ref, kernel } = setup('equivalence');
    const long = `/run/secrets/${'a'.repeat(250)}`;
    const ev = inContainer(WEB, { Resource: long, ProcessName: '/bin/cat' });
    assert.match(ref(WEB, ev), /^rule \d+ Block$/);
    assert.match(normKernel(kernel.lookup(ev)), /^rule \d+ Block$/); // the directory entry still matches
    const deep = `/run/secrets/${Array.from({ length: 20 }, (_, i) => `d${i}`).join('/')}/f`;
    const ev2 = inContainer(WEB, { Resource: deep, ProcessName: '/bin/cat' });
    assert.match(ref(WEB, ev2), /^rule \d+ Block$/);
    // deeper than RULE_DIR_DEPTH: undecided in the kernel; WEB's file events go up
    // (PostureUserSpace for the unlink syscalls rule), where the reference alerts, unenforced
    assert.equal(combined(kernel.lookup(ev2), ref(WEB, ev2)), `user (unenforced ${ref(WEB, ev2)})`);
  });
});
