import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AgentEvent } from '../../../src/events/types';
import { PostureMode, RuleFlag, RuleKind } from '../../../src/kernel/rule-types';
import { encodeRuleSet } from '../../../src/kernel/rules';
import { compile, type ContainerSpec } from '../../../src/policy/compile';
import { KernelReference, type KernelVerdict } from '../../../src/policy/kernel-reference';
import { loadPolicyPaths } from '../../../src/policy/load';
import { matchEvent, matchSyscallRule, RuleIndex, type Verdict } from '../../../src/policy/matcher';
import { buildRuleList, rulesFor, type Identity } from '../../../src/policy/rules';
import { sortPolicies } from '../../../src/policy/store';
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
      assert.equal(enc.postures.length, set.postures.length);
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
    assert.deepEqual(set.userSpaceOnly.filter((u) => u.pidNs === WEB.pidNs).map((u) => u.kind), [RuleKind.Process, RuleKind.File, RuleKind.Syscall]);
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
  return { ref, kernel };
}

function inContainer(c: ContainerSpec | undefined, init: Parameters<typeof cev>[0]): AgentEvent {
  if (!c) return hev(init);
  return cev({ NamespaceName: c.namespace, Labels: Object.entries(c.labels).map(([k, v]) => `${k}=${v}`).join(','), ContainerName: c.containerName, ...init, extras: { pidNs: c.pidNs, mntNs: c.mntNs, ...init.extras } });
}

function corpus(): { c: ContainerSpec | undefined; ev: AgentEvent }[] {
  const out: { c: ContainerSpec | undefined; ev: AgentEvent }[] = [];
  const files = ['/etc/shadow', '/etc/hosts', '/etc/passwd', '/home/u/.netrc', '/run/secrets/a', '/run/secrets', '/run/secrets/public/k',
    '/run/secrets/public/deep/k', '/var/spool/x', '/var/spool/a/b', '/var/spool', '/app/x/y', '/app', '/data/owned.db', '/root/.ssh/id_rsa',
    '/root/.ssh', '/etc/sudoers', '/tmp/f', '/', '/usr/lib/x/y.so'];
  const procs = ['/usr/bin/curl', '/usr/bin/wget', '/tmp/x', '/tmp/a/b/c', '/usr/local/bin/api', '/bin/sh', '/usr/lib/x/y', '/bin/ls'];
  const nets = ['domain=AF_INET type=SOCK_STREAM protocol=TCP', 'domain=AF_INET6 type=SOCK_DGRAM protocol=UDP', 'domain=AF_INET type=SOCK_RAW protocol=ICMP',
    'domain=AF_INET type=SOCK_RAW protocol=HOPOPT', 'domain=AF_UNIX type=SOCK_SEQPACKET protocol=HOPOPT', 'domain=AF_INET type=SOCK_STREAM protocol=HOPOPT'];
  for (const c of [...CONTAINERS, undefined]) {
    for (const f of files) {
      for (const p of ['/bin/cat', '/usr/bin/vi', '/usr/local/bin/api']) {
        for (const [flags, owner] of [[0, 1000], [1, 1000], [0, 0], [0x241, 0]] as const) {
          out.push({ c, ev: inContainer(c, { Resource: f, ProcessName: p, ParentProcessName: '/bin/bash', Source: `${p} ${f}`, UID: 1000, extras: { openFlags: flags, fileOwnerUid: owner } }) });
        }
      }
    }
    for (const t of procs) {
      for (const parent of ['/bin/sh', '/usr/local/bin/api', '/bin/bash']) {
        out.push({ c, ev: inContainer(c, { Operation: 'Process', Resource: `${t} -x`, ProcessName: t, ParentProcessName: parent, Source: parent }) });
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
      const k = normKernel(kernel.lookup(ev));
      const kind = r.split(' ')[0]!.concat(r.endsWith('Block') ? ' Block' : r.endsWith('Audit') ? ' Audit' : r.endsWith('Allow') ? ' Allow' : '');
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
      if (r !== k) diffs.push(`${c ? `${c.namespace}/${c.containerName}(${c.labels.app})` : 'host'} ${ev.ka.Operation} ${ev.ka.Resource} by ${ev.ka.ProcessName}: reference ${r}, kernel ${k}`);
    }
    assert.deepEqual(diffs, []);
    assert.equal(evs.length, 1244);
    // the corpus exercises every outcome
    for (const k of ['none', 'posture', 'rule Block', 'rule Audit', 'rule Allow']) assert.ok((seen.get(k) ?? 0) > 20, `${k}: ${seen.get(k)}`);
  });

  it('documented differences: matchPatterns and execname are user-space only', () => {
    const { ref, kernel } = setup('valid');
    const shadow = inContainer(WEB, { Resource: '/etc/shadow', ProcessName: '/usr/bin/less', ParentProcessName: '/bin/bash' });
    assert.match(ref(WEB, shadow), /^rule \d+ Audit$/);
    assert.equal(normKernel(kernel.lookup(shadow)), 'none');
    const nc = inContainer(WEB, { Operation: 'Process', Resource: '/usr/local/bin/nc', ProcessName: '/usr/local/bin/nc' });
    assert.match(ref(WEB, nc), /^rule \d+ Block$/);
    assert.equal(normKernel(kernel.lookup(nc)), 'none');
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
    assert.equal(normKernel(kernel.lookup(ev2)), 'none'); // deeper than RULE_DIR_DEPTH
  });
});
