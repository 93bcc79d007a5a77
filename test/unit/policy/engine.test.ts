import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../../helpers/env';
import { parse } from 'yaml';
import type { AgentEvent } from '../../../src/events/types';
import { alertFields, cev, engine, hev, WEB_NS } from './helpers';

const SHADOW_BLOCK = {
  PolicyName: 'ksp-file-block', Severity: '7', Tags: 'PCI_DSS,MITRE', ATags: ['PCI_DSS', 'MITRE'], Message: 'sensitive file access',
};
const openRead = { Data: 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY|O_CLOEXEC', extras: { openFlags: 0x80000 } };
const openWrite = { Data: 'syscall=SYS_OPENAT fd=-100 flags=O_WRONLY|O_TRUNC', extras: { openFlags: 0x201 } };

function one(e: ReturnType<typeof engine>['engine'], ev: AgentEvent): AgentEvent {
  const out = e.process([ev]);
  assert.equal(out.length, 1, `expected one event, got ${out.length}`);
  return out[0]!;
}

describe('PolicyEngine: file rules', () => {
  const { engine: e } = engine();

  it('Block path with fromSource, killed by kill-on-attempt → Block/KillOnAttempt with inherited metadata', () => {
    const a = one(e, cev({ Resource: '/etc/shadow', ...openRead, extras: { ...openRead.extras, killed: true } }));
    assert.deepEqual(alertFields(a), {
      Type: 'MatchedPolicy', Operation: 'File', Resource: '/etc/shadow', ...SHADOW_BLOCK, Action: 'Block', Enforcer: 'KillOnAttempt', Result: 'Passed',
    });
  });

  it('Block match that the kernel did not stop renders Audit (Block) from eBPF Monitor', () => {
    const a = one(e, cev({ Resource: '/etc/shadow', ...openRead }));
    assert.deepEqual(alertFields(a), {
      Type: 'MatchedPolicy', Operation: 'File', Resource: '/etc/shadow', ...SHADOW_BLOCK, Action: 'Audit (Block)', Enforcer: 'eBPF Monitor', Result: 'Passed',
    });
  });

  it('fromSource mismatch falls through to the matchPatterns glob (Audit)', () => {
    const a = one(e, cev({ Resource: '/etc/shadow', ProcessName: '/usr/bin/less', Source: '/usr/bin/less /etc/shadow', ...openRead }));
    assert.deepEqual(alertFields(a), {
      Type: 'MatchedPolicy', Operation: 'File', Resource: '/etc/shadow', ...SHADOW_BLOCK, Action: 'Audit', Enforcer: 'eBPF Monitor', Result: 'Passed',
    });
  });

  it('rule-level severity/tags/message/action override the section and spec', () => {
    const a = one(e, cev({ Resource: '/etc/gshadow', ...openRead }));
    assert.deepEqual(alertFields(a), {
      Type: 'MatchedPolicy', Operation: 'File', Resource: '/etc/gshadow', PolicyName: 'ksp-file-block', Severity: '9', Tags: 'CIS', ATags: ['CIS'],
      Message: 'gshadow touched', Action: 'Audit', Enforcer: 'eBPF Monitor', Result: 'Passed',
    });
  });

  it('an Audit match needs Result Passed (KubeArmor): a denied open stays a log', () => {
    const ev = cev({ Resource: '/etc/gshadow', Result: 'Permission denied', ...openRead });
    assert.equal(one(e, ev), ev);
  });

  it('alerts carry KubeArmorVersion "otelarmor-" + the package.json version (KubeArmor: its build\'s git summary); logs do not', () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const log = cev({ Resource: '/etc/hosts', ...openRead });
    const a = one(e, cev({ Resource: '/etc/hosts', Result: 'Permission denied', ...openWrite }));
    assert.equal(a.ka.KubeArmorVersion, `otelarmor-${version}`);
    assert.equal(log.ka.KubeArmorVersion, undefined);
  });

  it('readOnly Block: reads are exempt, writes are blocked (BPFLSM when the LSM is active)', () => {
    const { engine: lsm } = engine({ lsmActive: true });
    const read = cev({ Resource: '/etc/hosts', ...openRead });
    assert.equal(one(lsm, read), read);
    const a = one(lsm, cev({ Resource: '/etc/hosts', Result: 'Permission denied', ...openWrite }));
    assert.deepEqual(alertFields(a), {
      Type: 'MatchedPolicy', Operation: 'File', Resource: '/etc/hosts', ...SHADOW_BLOCK, Action: 'Block', Enforcer: 'BPFLSM', Result: 'Permission denied',
    });
  });

  it('matchDirectories: non-recursive is same depth only, recursive covers sub-directories, the directory itself matches', () => {
    const k = { extras: { killed: true } };
    assert.equal(one(e, cev({ Resource: '/var/spool/mail', ...k })).ka.PolicyName, 'ksp-file-block');
    assert.equal(one(e, cev({ Resource: '/var/spool', ...k })).ka.PolicyName, 'ksp-file-block');
    const deep = cev({ Resource: '/var/spool/cron/crontabs/root', ...k });
    assert.equal(one(e, deep), deep);
    const a = one(e, cev({ Resource: '/run/secrets/kubernetes.io/serviceaccount/token', ...k }));
    assert.deepEqual([a.ka.Type, a.ka.PolicyName, a.ka.Action, a.ka.Enforcer], ['MatchedPolicy', 'ksp-file-block', 'Block', 'KillOnAttempt']);
  });

  it('results outside Passed / Operation not permitted / Permission denied are not matched', () => {
    const ev = cev({ Resource: '/etc/shadow', Result: 'No such file or directory', extras: { killed: true } });
    assert.equal(one(e, ev), ev);
  });

  it('other namespaces and labels are not selected', () => {
    const ev = cev({ Resource: '/etc/shadow', NamespaceName: 'staging', extras: { killed: true } });
    assert.equal(one(e, ev), ev);
    const ev2 = cev({ Resource: '/etc/shadow', Labels: 'app=db', extras: { killed: true } });
    assert.equal(one(e, ev2), ev2);
  });
});

describe('PolicyEngine: process, network, capabilities, syscalls', () => {
  const { engine: e } = engine();

  it('process matchPaths Audit without severity/tags/message omits those fields', () => {
    const a = one(e, cev({ Operation: 'Process', ProcessName: '/usr/bin/curl', Resource: '/usr/bin/curl http://x', Source: '/bin/bash', Data: 'syscall=SYS_EXECVE' }));
    assert.deepEqual(alertFields(a), {
      Type: 'MatchedPolicy', Operation: 'Process', Resource: '/usr/bin/curl http://x', PolicyName: 'ksp-process-audit', Action: 'Audit', Enforcer: 'eBPF Monitor', Result: 'Passed',
    });
  });

  it('execname matches any directory; recursive process directory with its own severity', () => {
    const a = one(e, cev({ Operation: 'Process', ProcessName: '/usr/local/bin/nc', Resource: '/usr/local/bin/nc -l', extras: { killed: true } }));
    assert.deepEqual([a.ka.PolicyName, a.ka.Action, a.ka.Enforcer, a.ka.Severity], ['ksp-process-audit', 'Block', 'KillOnAttempt', undefined]);
    const b = one(e, cev({ Operation: 'Process', ProcessName: '/tmp/x/y/evil', Resource: '/tmp/x/y/evil', Result: 'Permission denied', extras: { killed: true } }));
    assert.deepEqual([b.ka.PolicyName, b.ka.Action, b.ka.Enforcer, b.ka.Severity], ['ksp-process-audit', 'Block', 'KillOnAttempt', '8']);
  });

  it('network raw socket denied by the cgroup hook → Block/CgroupSockAddr', () => {
    const a = one(e, cev({ Operation: 'Network', ProcessName: '/usr/bin/nmap', Source: '/usr/bin/nmap -sS x', Resource: 'domain=AF_INET type=SOCK_RAW protocol=HOPOPT', Data: 'syscall=SYS_SOCKET', Result: 'Permission denied' }));
    assert.deepEqual(alertFields(a), {
      Type: 'MatchedPolicy', Operation: 'Network', Resource: 'domain=AF_INET type=SOCK_RAW protocol=HOPOPT', PolicyName: 'ksp-process-audit', Action: 'Block', Enforcer: 'CgroupSockAddr', Result: 'Permission denied',
    });
  });

  it('network fromSource: "Source starts with src + space" or ProcessName', () => {
    const icmp = { Operation: 'Network' as const, Resource: 'domain=AF_INET type=SOCK_RAW protocol=ICMP', Data: 'syscall=SYS_SOCKET' };
    const a = one(e, cev({ ...icmp, ProcessName: '/bin/ping', Source: '/bin/ping 8.8.8.8' }));
    assert.deepEqual([a.ka.PolicyName, a.ka.Action, a.ka.Enforcer], ['ksp-process-audit', 'Audit', 'eBPF Monitor']);
    const other = cev({ ...icmp, ProcessName: '/usr/bin/fping', Source: '/usr/bin/fping 8.8.8.8' });
    assert.equal(one(e, other), other);
  });

  it('capabilities (comma list expanded)', () => {
    const a = one(e, cev({ Operation: 'Capabilities', Resource: 'CAP_SYS_ADMIN', Data: 'lsm=CAPABLE CAP_SYS_ADMIN', Result: 'Operation not permitted', extras: { capability: 'sys_admin', killed: true } }));
    assert.deepEqual(alertFields(a), {
      Type: 'MatchedPolicy', Operation: 'Capabilities', Resource: 'CAP_SYS_ADMIN', PolicyName: 'ksp-process-audit', Action: 'Block', Enforcer: 'KillOnAttempt', Result: 'Operation not permitted',
    });
  });

  it('File events of audited syscalls also yield a Syscall alert (the file event stays a log)', () => {
    const ev = cev({ Resource: '/tmp/x', Data: 'syscall=SYS_UNLINK', ProcessName: '/usr/bin/rm', Source: '/usr/bin/rm /tmp/x', extras: { syscall: 'unlink', retval: 0 } });
    const out = e.process([ev]);
    assert.equal(out.length, 2);
    assert.equal(out[0], ev);
    assert.deepEqual(alertFields(out[1]!), {
      Type: 'MatchedPolicy', Operation: 'Syscall', Resource: '/tmp/x', PolicyName: 'ksp-process-audit', Severity: '3', Action: 'Audit', Enforcer: 'eBPF Monitor', Result: 'Passed',
    });
    // fromSource dir /usr/bin/ is not recursive; /bin/rm is outside it
    const ev2 = cev({ Resource: '/tmp/x', Data: 'syscall=SYS_UNLINK', ProcessName: '/bin/rm', Source: '/bin/rm /tmp/x', extras: { syscall: 'unlink', retval: 0 } });
    assert.deepEqual(e.process([ev2]), [ev2]);
  });

  it('syscalls matchPaths recursive directory', () => {
    const ev = cev({ Resource: '/var/log/app/a.log', Data: 'syscall=SYS_UNLINKAT flags=', ProcessName: '/bin/rm', Source: '/bin/rm -f /var/log/app/a.log', extras: { syscall: 'unlinkat', retval: 0 } });
    const out = e.process([ev]);
    assert.deepEqual(out.map((x) => [x.ka.Type, x.ka.Operation, x.ka.PolicyName, x.ka.Action]), [
      ['ContainerLog', 'File', undefined, undefined],
      ['MatchedPolicy', 'Syscall', 'ksp-process-audit', 'Audit'],
    ]);
  });

  it('an Operation Syscall event without a matching rule is unchanged', () => {
    const ev = cev({ Operation: 'Syscall', Resource: '', Data: 'syscall=SYS_SETUID userid=0', extras: { syscall: 'setuid' } });
    assert.deepEqual(e.process([ev]), [ev]);
  });
});

describe('PolicyEngine: allow-list and default posture', () => {
  const api = { NamespaceName: 'prod', PodName: 'api-1', Labels: 'app=api', ContainerName: 'api' };
  const exec = (p: string, extra: Record<string, unknown> = {}) => cev({ ...api, Operation: 'Process', ProcessName: p, Resource: p, Source: '/bin/sh', Data: 'syscall=SYS_EXECVE', ...extra });

  it('an allowed exec stays a log; anything else is a DefaultPosture audit alert', () => {
    const { engine: e } = engine();
    const ok = exec('/usr/local/bin/api');
    assert.equal(one(e, ok), ok);
    assert.deepEqual(alertFields(one(e, exec('/usr/bin/wget'))), {
      Type: 'MatchedPolicy', Operation: 'Process', Resource: '/usr/bin/wget', PolicyName: 'DefaultPosture', Action: 'Audit', Enforcer: 'eBPF Monitor', Result: 'Passed',
    });
  });

  it('a deny rule from a cluster policy wins over the posture', () => {
    const { engine: e } = engine();
    const a = one(e, exec('/bin/bash', { extras: { killed: true } }));
    assert.deepEqual([a.ka.PolicyName, a.ka.Severity, a.ka.Action, a.ka.Enforcer], ['csp-no-shells', '6', 'Block', 'KillOnAttempt']);
  });

  it('namespace annotation kubearmor-file-posture: block → DefaultPosture Block, or Audit (Block) when not stopped', () => {
    const { engine: e } = engine({ annotations: { prod: { 'kubearmor-file-posture': 'block' } } });
    assert.deepEqual(alertFields(one(e, exec('/usr/bin/wget', { Result: 'Permission denied', extras: { killed: true } }))), {
      Type: 'MatchedPolicy', Operation: 'Process', Resource: '/usr/bin/wget', PolicyName: 'DefaultPosture', Action: 'Block', Enforcer: 'KillOnAttempt', Result: 'Permission denied',
    });
    assert.deepEqual([one(e, exec('/usr/bin/wget')).ka.Action, one(e, exec('/usr/bin/wget')).ka.Enforcer], ['Audit (Block)', 'eBPF Monitor']);
  });

  it('audit posture leaves denied operations as logs', () => {
    const { engine: e } = engine();
    const ev = exec('/usr/bin/wget', { Result: 'Permission denied' });
    assert.equal(one(e, ev), ev);
  });

  it('file allow-list: readOnly directory allows reads only; ownerOnly allows the owner only', () => {
    const { engine: e } = engine();
    const f = (res: string, x: Record<string, unknown>) => cev({ ...api, Resource: res, ProcessName: '/usr/local/bin/api', Source: '/usr/local/bin/api', ...x });
    const read = f('/etc/passwd', openRead);
    assert.equal(one(e, read), read);
    assert.deepEqual([one(e, f('/etc/passwd', openWrite)).ka.PolicyName, one(e, f('/etc/passwd', openWrite)).ka.Action], ['DefaultPosture', 'Audit']);
    const owner = f('/data/owned.db', { UID: 1000, ...openWrite, extras: { ...openWrite.extras, fileOwnerUid: 1000 } });
    assert.equal(one(e, owner), owner);
    const other = one(e, f('/data/owned.db', { UID: 1000, ...openWrite, extras: { ...openWrite.extras, fileOwnerUid: 0 } }));
    assert.equal(other.ka.PolicyName, 'DefaultPosture');
    const app = f('/app/static/x/y.js', openRead);
    assert.equal(one(e, app), app);
  });

  it('network allow-list with fromSource; postures per category (kubearmor-network-posture)', () => {
    const { engine: e } = engine({ annotations: { prod: { 'kubearmor-network-posture': 'block' } } });
    const tcp = cev({ ...api, Operation: 'Network', Resource: 'domain=AF_INET type=SOCK_STREAM|SOCK_NONBLOCK protocol=TCP', ProcessName: '/usr/bin/curl', Source: '/usr/bin/curl x' });
    assert.equal(one(e, tcp), tcp);
    const udpApi = cev({ ...api, Operation: 'Network', Resource: 'domain=AF_INET type=SOCK_DGRAM protocol=UDP', ProcessName: '/usr/local/bin/api', Source: '/usr/local/bin/api --serve' });
    assert.equal(one(e, udpApi), udpApi);
    const dig = one(e, cev({ ...api, Operation: 'Network', Resource: 'domain=AF_INET type=SOCK_DGRAM protocol=UDP', ProcessName: '/usr/bin/dig', Source: '/usr/bin/dig x', Result: 'Permission denied' }));
    assert.deepEqual([dig.ka.PolicyName, dig.ka.Action, dig.ka.Enforcer], ['DefaultPosture', 'Block', 'CgroupSockAddr']);
    // file posture stays audit
    assert.equal(one(e, exec('/usr/bin/wget')).ka.Action, 'Audit');
  });
});

describe('PolicyEngine: default postures from config, host config and annotations', () => {
  // Allow-lists for every posture category: a capabilities Allow for app=cap (prod), and a host
  // policy allowing one file, one protocol and one capability.
  const objs = [parse(`
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: { name: cap-allow, namespace: prod }
spec:
  selector: { matchLabels: { app: cap } }
  action: Allow
  capabilities: { matchCapabilities: [ { capability: net_bind_service } ] }
`), parse(`
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata: { name: host-allow }
spec:
  nodeSelector: { matchLabels: { kubearmor.io/hostname: node-a } }
  action: Allow
  file: { matchPaths: [ { path: /etc/hostname } ] }
  network: { matchProtocols: [ { protocol: udp, fromSource: [ { path: /usr/sbin/chronyd } ] } ] }
  capabilities: { matchCapabilities: [ { capability: sys_time, fromSource: [ { path: /usr/sbin/chronyd } ] } ] }
`)];
  const capEv = (cap: string, x: Record<string, unknown> = {}) => cev({
    NamespaceName: 'prod', PodName: 'cap-1', Labels: 'app=cap', ContainerName: 'cap', Operation: 'Capabilities', Resource: `CAP_${cap.toUpperCase()}`,
    ProcessName: '/usr/bin/app', Source: '/usr/bin/app', Data: 'lsm=SECURITY_CAPABLE cap=CAP_X', extras: { capability: cap }, ...x,
  });
  const dp = (a: AgentEvent) => [a.ka.Type, a.ka.PolicyName, a.ka.Action, a.ka.Enforcer, a.ka.Result];

  it('kubearmor-capabilities-posture: block → DefaultPosture Block when stopped, Audit (Block) when not; audit → Audit', () => {
    const { engine: b } = engine({ objects: objs, annotations: { prod: { 'kubearmor-capabilities-posture': 'block' } } });
    const allowed = capEv('net_bind_service');
    assert.equal(one(b, allowed), allowed);
    assert.deepEqual(dp(one(b, capEv('sys_admin', { extras: { capability: 'sys_admin', killed: true } }))), ['MatchedPolicy', 'DefaultPosture', 'Block', 'KillOnAttempt', 'Passed']);
    assert.deepEqual(dp(one(b, capEv('sys_admin'))), ['MatchedPolicy', 'DefaultPosture', 'Audit (Block)', 'eBPF Monitor', 'Passed']);
    const { engine: a } = engine({ objects: objs, annotations: { prod: { 'kubearmor-capabilities-posture': 'audit' } }, config: { defaultCapabilitiesPosture: 'block' } });
    assert.deepEqual(dp(one(a, capEv('sys_admin'))), ['MatchedPolicy', 'DefaultPosture', 'Audit', 'eBPF Monitor', 'Passed']);
    // the kernel gets the same postures
    assert.deepEqual(b.postures('prod'), { file: 'audit', network: 'audit', capabilities: 'block' });
    assert.deepEqual(a.postures('prod'), { file: 'audit', network: 'audit', capabilities: 'audit' });
  });

  it('global defaultFile/Network/CapabilitiesPosture apply without annotations', () => {
    const { engine: e } = engine({ objects: objs, config: { defaultFilePosture: 'block', defaultNetworkPosture: 'block', defaultCapabilitiesPosture: 'block' } });
    assert.deepEqual(e.postures('prod'), { file: 'block', network: 'block', capabilities: 'block' });
    assert.deepEqual(dp(one(e, capEv('sys_admin', { extras: { capability: 'sys_admin', killed: true } }))), ['MatchedPolicy', 'DefaultPosture', 'Block', 'KillOnAttempt', 'Passed']);
    // app=api (ksp-allowlist): file and network allow-lists take the global block posture
    const api = { NamespaceName: 'prod', PodName: 'api-1', Labels: 'app=api', ContainerName: 'api' };
    const wget = one(e, cev({ ...api, Operation: 'Process', ProcessName: '/usr/bin/wget', Resource: '/usr/bin/wget', Source: '/bin/sh', extras: { killed: true } }));
    assert.deepEqual(dp(wget), ['MatchedPolicy', 'DefaultPosture', 'Block', 'KillOnAttempt', 'Passed']);
    const dig = one(e, cev({ ...api, Operation: 'Network', Resource: 'domain=AF_INET type=SOCK_DGRAM protocol=UDP', ProcessName: '/usr/bin/dig', Source: '/usr/bin/dig x', Result: 'Permission denied' }));
    assert.deepEqual(dp(dig), ['MatchedPolicy', 'DefaultPosture', 'Block', 'CgroupSockAddr', 'Permission denied']);
    // a namespace annotation still overrides the global value
    const { engine: n } = engine({ objects: objs, config: { defaultFilePosture: 'block' }, annotations: { prod: { 'kubearmor-file-posture': 'audit' } } });
    assert.deepEqual(n.postures('prod'), { file: 'audit', network: 'audit', capabilities: 'audit' });
    // ... and compiles into the kernel: AllowListBlock only where the posture is block
    const { set } = e.compile([{ pidNs: 11, mntNs: 12, namespace: 'prod', labels: { app: 'cap' }, containerName: 'cap' }]);
    assert.deepEqual(set.postures.filter((p) => p.pidNs === 11).map((p) => [p.kind, p.mode]), [[4, 2]]);
    const audit = n.compile([{ pidNs: 13, mntNs: 14, namespace: 'prod', labels: { app: 'api' }, containerName: 'api' }]).set;
    assert.deepEqual(audit.postures.filter((p) => p.pidNs === 13).map((p) => [p.kind, p.mode]), [[1, 1], [2, 1], [3, 1]]);
  });

  it('host events use hostDefault*Posture (never the container defaults or namespace annotations)', () => {
    const host = { config: { hostDefaultFilePosture: 'block' as const, hostDefaultNetworkPosture: 'audit' as const, hostDefaultCapabilitiesPosture: 'block' as const, defaultNetworkPosture: 'block' as const } };
    const { engine: e } = engine({ objects: objs, ...host, annotations: { '': { 'kubearmor-file-posture': 'audit' } } });
    assert.deepEqual(e.postures(undefined), { file: 'block', network: 'audit', capabilities: 'block' });
    const ok = hev({ Resource: '/etc/hostname', ProcessName: '/bin/cat' });
    assert.equal(one(e, ok), ok);
    assert.deepEqual(dp(one(e, hev({ Resource: '/etc/motd', ProcessName: '/bin/cat', extras: { killed: true } }))), ['MatchedHostPolicy', 'DefaultPosture', 'Block', 'KillOnAttempt', 'Passed']);
    const nc = hev({ Operation: 'Network', Resource: 'domain=AF_INET type=SOCK_DGRAM protocol=UDP', ProcessName: '/usr/bin/nc', Source: '/usr/bin/nc x' });
    assert.deepEqual(dp(one(e, nc)), ['MatchedHostPolicy', 'DefaultPosture', 'Audit', 'eBPF Monitor', 'Passed']);
    const cap = hev({ Operation: 'Capabilities', Resource: 'CAP_SYS_TIME', ProcessName: '/usr/bin/date', Source: '/usr/bin/date -s x', extras: { capability: 'sys_time' } });
    assert.deepEqual(dp(one(e, cap)), ['MatchedHostPolicy', 'DefaultPosture', 'Audit (Block)', 'eBPF Monitor', 'Passed']);
    const { set } = e.compile([]);
    assert.deepEqual(set.postures.filter((p) => p.pidNs === 0).map((p) => [p.kind, p.mode]), [[2, 2], [3, 1], [4, 2]]);
  });
});

describe('PolicyEngine: process matchPatterns', () => {
  const objs = [parse(`
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: { name: proc-patterns, namespace: prod }
spec:
  selector: { matchLabels: { app: web } }
  severity: 4
  process:
    matchPatterns:
      - pattern: /usr/bin/py*
        action: Block
      - pattern: /opt/*/run?.sh
        action: Audit
`)];

  it('a glob against ProcessName/Resource: Block (never stopped in kernel → Audit (Block)), Audit; no match stays a log', () => {
    const { engine: e } = engine({ paths: [], objects: objs });
    const exec = (p: string) => cev({ Operation: 'Process', ProcessName: p, Resource: `${p} -c x`, Source: '/bin/sh', Data: 'syscall=SYS_EXECVE' });
    assert.deepEqual(alertFields(one(e, exec('/usr/bin/python3'))), {
      Type: 'MatchedPolicy', Operation: 'Process', Resource: '/usr/bin/python3 -c x', PolicyName: 'proc-patterns', Severity: '4', Action: 'Audit (Block)', Enforcer: 'eBPF Monitor', Result: 'Passed',
    });
    assert.deepEqual(alertFields(one(e, exec('/opt/app/run1.sh'))), {
      Type: 'MatchedPolicy', Operation: 'Process', Resource: '/opt/app/run1.sh -c x', PolicyName: 'proc-patterns', Severity: '4', Action: 'Audit', Enforcer: 'eBPF Monitor', Result: 'Passed',
    });
    // '*' does not cross '/' (filepath.Match), '?' is one character
    for (const p of ['/usr/bin/sub/python', '/opt/a/b/run1.sh', '/opt/app/run12.sh', '/usr/local/bin/python']) {
      const ev = exec(p);
      assert.equal(one(e, ev), ev, p);
    }
    // the kernel sends process events of that pod up (PostureUserSpace), rule id 0
    const { set } = e.compile([{ ...WEB_NS, namespace: 'prod', labels: { app: 'web' }, containerName: 'web' }]);
    assert.deepEqual(set.userSpaceOnly, [{ ...WEB_NS, kind: 1 }]);
    assert.deepEqual(set.rules, []);
  });

  it('a RuleOnly event (category not visible) that raises no alert is dropped; one that alerts leaves as the alert', () => {
    const { engine: e } = engine({ paths: [], objects: objs });
    const exec = (p: string) => cev({ Operation: 'Process', ProcessName: p, Resource: p, Source: '/bin/sh', Data: 'syscall=SYS_EXECVE', extras: { kernelRuleId: 0, ruleOnly: true } });
    assert.deepEqual(e.process([exec('/bin/ls')]), []);
    const out = e.process([exec('/usr/bin/python3'), exec('/bin/true')]);
    assert.deepEqual(out.map((a) => [a.ka.Type, a.ka.ProcessName, a.ka.Action]), [['MatchedPolicy', '/usr/bin/python3', 'Audit (Block)']]);
  });
});

describe('PolicyEngine: audited mode', () => {
  it('kubearmor-policy: audited renders Audit (Block) from eBPF Monitor', () => {
    const { engine: e } = engine({ annotations: { prod: { 'kubearmor-policy': 'audited', 'kubearmor-file-posture': 'block' } } });
    const a = one(e, cev({ Resource: '/etc/shadow', Result: 'Permission denied', ...openRead }));
    assert.deepEqual([a.ka.PolicyName, a.ka.Action, a.ka.Enforcer], ['ksp-file-block', 'Audit (Block)', 'eBPF Monitor']);
    const p = one(e, cev({ Labels: 'app=api', Operation: 'Process', ProcessName: '/usr/bin/wget', Resource: '/usr/bin/wget' }));
    assert.deepEqual([p.ka.PolicyName, p.ka.Action, p.ka.Enforcer], ['DefaultPosture', 'Audit (Block)', 'eBPF Monitor']);
  });

  it('no blocking enforcer → audited everywhere; kube-system is always audited', () => {
    const { engine: e } = engine({ enforcerCanBlock: false });
    const a = one(e, cev({ Operation: 'Process', ProcessName: '/bin/bash', Resource: '/bin/bash', Result: 'Permission denied' }));
    assert.deepEqual([a.ka.PolicyName, a.ka.Action, a.ka.Enforcer], ['csp-no-shells', 'Audit (Block)', 'eBPF Monitor']);
    const { engine: e2 } = engine({ objects: [parse(`
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: { name: ks, namespace: kube-system }
spec:
  file: { matchPaths: [ { path: /etc/motd } ] }
`)] });
    const b = one(e2, cev({ NamespaceName: 'kube-system', Resource: '/etc/motd', Result: 'Permission denied', extras: { killed: true } }));
    assert.deepEqual([b.ka.PolicyName, b.ka.Action, b.ka.Enforcer], ['ks', 'Audit (Block)', 'eBPF Monitor']);
  });

  it('kubearmor-policy: disabled turns matching off for the namespace', () => {
    const { engine: e } = engine({ annotations: { prod: { 'kubearmor-policy': 'disabled' } } });
    const ev = cev({ Resource: '/etc/shadow', extras: { killed: true } });
    assert.equal(one(e, ev), ev);
  });
});

describe('PolicyEngine: selectors', () => {
  const motd = (sel: string) => parse(`
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: { name: motd, namespace: prod }
spec:
  selector:
${sel}
  file: { matchPaths: [ { path: /etc/motd } ] }
  action: Block
`);
  const hit = (e: ReturnType<typeof engine>['engine'], init: Parameters<typeof cev>[0]) =>
    one(e, cev({ Resource: '/etc/motd', extras: { killed: true }, ...init })).ka.PolicyName;

  it('a KubeArmorPolicy without selector selects every container of its namespace only', () => {
    const { engine: e } = engine();
    const ev = (ns: string, labels: string) => cev({ NamespaceName: ns, Labels: labels, Resource: '/etc/dev-only', ProcessName: '/bin/cat' });
    for (const labels of ['app=web', 'app=db,tier=x', '']) {
      const a = one(e, ev('dev', labels));
      assert.deepEqual([a.ka.Type, a.ka.PolicyName, a.ka.Action], ['MatchedPolicy', 'ksp-no-selector', 'Audit'], labels);
    }
    const other = ev('prod', 'app=web');
    assert.equal(one(e, other), other);
  });

  it('cluster policy NotIn namespace', () => {
    const { engine: e } = engine();
    const ev = cev({ NamespaceName: 'dev', Operation: 'Process', ProcessName: '/bin/bash', Resource: '/bin/bash', extras: { killed: true } });
    assert.equal(one(e, ev), ev);
    assert.equal(one(e, cev({ NamespaceName: 'other', Operation: 'Process', ProcessName: '/bin/bash', Resource: '/bin/bash', extras: { killed: true } })).ka.PolicyName, 'csp-no-shells');
  });

  it('kubearmor.io/container.name selects containers within the pod', () => {
    const { engine: e } = engine({ objects: [motd('    matchLabels: { app: web, kubearmor.io/container.name: "[sidecar,proxy]" }')] });
    assert.equal(hit(e, { ContainerName: 'proxy' }), 'motd');
    assert.equal(hit(e, { ContainerName: 'web' }), undefined);
  });

  it('matchExpressions on labels: In and NotIn', () => {
    const { engine: e } = engine({ objects: [motd('    matchExpressions: [ { key: label, operator: In, values: [tier=db, tier=cache] } ]')] });
    assert.equal(hit(e, { Labels: 'app=web,tier=cache' }), 'motd');
    assert.equal(hit(e, { Labels: 'app=web' }), undefined);
    const { engine: n } = engine({ objects: [motd('    matchExpressions: [ { key: label, operator: NotIn, values: [tier=db] } ]')] });
    assert.equal(hit(n, { Labels: 'app=web' }), 'motd');
    assert.equal(hit(n, { Labels: 'tier=db,app=web' }), undefined);
  });

  it('cluster policy In namespace overrides NotIn for the same key', () => {
    const csp = parse(`
apiVersion: security.kubearmor.com/v1
kind: KubeArmorClusterPolicy
metadata: { name: csp-motd }
spec:
  selector:
    matchExpressions:
      - { key: namespace, operator: In, values: [prod] }
      - { key: namespace, operator: NotIn, values: [prod] }
  file: { matchPaths: [ { path: /etc/motd } ] }
`);
    const { engine: e } = engine({ objects: [csp] });
    assert.equal(hit(e, {}), 'csp-motd');
    assert.equal(hit(e, { NamespaceName: 'dev' }), undefined);
  });

  it('host policies: kubearmor.io/hostname list, only for host events', () => {
    const { engine: a } = engine({ hostName: 'node-b', lsmActive: true });
    const ev = hev({ Resource: '/etc/sudoers', ProcessName: '/usr/bin/vi', Source: '/usr/bin/vi /etc/sudoers', Result: 'Permission denied' });
    assert.deepEqual(alertFields(one(a, ev)), {
      Type: 'MatchedHostPolicy', Operation: 'File', Resource: '/etc/sudoers', PolicyName: 'hsp-node-a', Severity: '10', Message: 'host hardening', Action: 'Block', Enforcer: 'BPFLSM', Result: 'Permission denied',
    });
    const { engine: c } = engine({ hostName: 'node-c', lsmActive: true });
    assert.equal(one(c, ev), ev);
    const cont = cev({ Resource: '/etc/sudoers', ProcessName: '/usr/bin/vi', Result: 'Permission denied' });
    assert.equal(one(a, cont), cont);
  });

  it('host policies: hostnamereg and node labels', () => {
    const hsp = (name: string, labels: string) => parse(`
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata: { name: ${name} }
spec:
  nodeSelector: { matchLabels: { ${labels} } }
  file: { matchPaths: [ { path: /etc/issue } ] }
`);
    const objs = [hsp('by-reg', '"kubearmor.io/hostnamereg": "node-[0-9]+"'), hsp('by-label', 'role: edge')];
    const issue = hev({ Resource: '/etc/issue', Result: 'Permission denied', extras: { killed: true } });
    const { engine: r } = engine({ objects: objs, hostName: 'node-12', hostLabels: {} });
    assert.equal(one(r, issue).ka.PolicyName, 'by-reg');
    const { engine: l } = engine({ objects: objs, hostName: 'edge-1', hostLabels: { role: 'edge' } });
    assert.equal(one(l, issue).ka.PolicyName, 'by-label');
    const { engine: none } = engine({ objects: objs, hostName: 'node-a1', hostLabels: {} });
    assert.equal(one(none, issue), issue);
  });
});

describe('PolicyEngine: throttling', () => {
  it('per container: maxAlertPerSec alerts, then one AlertThreshold SystemEvent, drops for throttleSec', () => {
    let now = 1_000_000;
    const { engine: e, metrics } = engine({ config: { maxAlertPerSec: 3, throttleSec: 5 }, now: () => now });
    const alert = () => cev({ Resource: '/etc/shadow', extras: { killed: true } });
    const types = (n: number) => e.process(Array.from({ length: n }, alert)).map((x) => x.ka.Type);
    assert.deepEqual(types(3), ['MatchedPolicy', 'MatchedPolicy', 'MatchedPolicy']);
    const notice = e.process([alert()]);
    assert.equal(notice.length, 1);
    assert.deepEqual(notice[0]!.ka, {
      Timestamp: 1784900000, UpdatedTime: '2026-07-24T12:13:20.123456Z', ClusterName: 'default', HostName: 'node-a',
      NamespaceName: 'prod', PodName: 'web-1', Labels: 'app=web', ContainerID: 'c0ffee', ContainerName: 'web',
      HostPPID: 4100, HostPID: 4242, PPID: 1, PID: 17, UID: 0, Type: 'SystemEvent', Operation: 'AlertThreshold', Result: '',
      MaxAlertsPerSec: 3, DroppingAlertsInterval: 5,
    });
    now += 500;
    assert.deepEqual(types(2), []);
    // another container is not throttled; logs are never throttled
    const other = cev({ Resource: '/etc/shadow', extras: { killed: true, pidNs: 1, mntNs: 2 } });
    assert.equal(e.process([other])[0]!.ka.Type, 'MatchedPolicy');
    const log = cev({ Resource: '/etc/ok' });
    assert.deepEqual(e.process([log]), [log]);
    now = 1_004_999;
    assert.deepEqual(types(1), []);
    now = 1_005_000;
    assert.deepEqual(types(1), ['MatchedPolicy']);
    assert.equal(metrics.dropCounts.get('pipeline/alert_throttled'), 4);
  });

  it('the one-second window resets; alertThrottling: false disables it', () => {
    let now = 2_000_000;
    const { engine: e } = engine({ config: { maxAlertPerSec: 2, throttleSec: 30 }, now: () => now });
    const batch = (n: number) => e.process(Array.from({ length: n }, () => cev({ Resource: '/etc/shadow', extras: { killed: true } }))).map((x) => x.ka.Type);
    assert.deepEqual(batch(2), ['MatchedPolicy', 'MatchedPolicy']);
    now += 1000;
    assert.deepEqual(batch(2), ['MatchedPolicy', 'MatchedPolicy']);
    const { engine: off } = engine({ config: { maxAlertPerSec: 1, alertThrottling: false }, now: () => now });
    assert.equal(off.process(Array.from({ length: 5 }, () => cev({ Resource: '/etc/shadow', extras: { killed: true } }))).filter((x) => x.ka.Type === 'MatchedPolicy').length, 5);
  });
});

describe('PolicyEngine: kernel rule ids and robustness', () => {
  it('an event flagged by the kernel (extras.kernelRuleId) maps back through the compiled rule table', () => {
    const { engine: e } = engine();
    const compiled = e.compileForKernel([{ ...WEB_NS, namespace: 'prod', labels: { app: 'web' }, containerName: 'web' }]);
    const shadow = compiled.ruleTable.find((r) => r.target === '/etc/shadow')!;
    const k = compiled.rules.find((r) => r.target === '/etc/shadow' && r.pidNs === WEB_NS.pidNs)!;
    assert.equal(k.ruleId, shadow.id);
    // the kernel source is the caller; user space would not match this fromSource
    const a = one(e, cev({ Resource: '/etc/shadow', ProcessName: '/usr/bin/less', extras: { kernelRuleId: shadow.id, killed: true } }));
    assert.deepEqual(alertFields(a), {
      Type: 'MatchedPolicy', Operation: 'File', Resource: '/etc/shadow', ...SHADOW_BLOCK, Action: 'Block', Enforcer: 'KillOnAttempt', Result: 'Passed',
    });
  });

  it('tracks containers seen in events for compileForKernel()', () => {
    const seen: number[] = [];
    const { engine: e, store } = engine();
    void store;
    e.process([cev({ Resource: '/x' })]);
    assert.deepEqual(e.knownContainers(), [{ ...WEB_NS, namespace: 'prod', labels: { app: 'web' }, containerName: 'web' }]);
    assert.deepEqual(seen, []);
  });

  it('trackContainer: a container known only from the pod watcher gets its kernel rules', () => {
    const { engine: e } = engine();
    assert.deepEqual(e.compileForKernel().rules.filter((r) => r.pidNs === 777), []);
    e.trackContainer(777, 888, { NamespaceName: 'prod', PodName: 'web-1', Labels: 'app=web', ContainerName: 'web', ContainerID: 'c'.repeat(64) });
    assert.deepEqual(e.knownContainers(), [{ pidNs: 777, mntNs: 888, namespace: 'prod', labels: { app: 'web' }, containerName: 'web' }]);
    const k = e.compileForKernel().rules.filter((r) => r.pidNs === 777 && r.mntNs === 888);
    assert.deepEqual(k.map((r) => r.target).filter((t) => t === '/etc/shadow'), ['/etc/shadow']);
    e.trackContainer(0, 0, { NamespaceName: 'prod' });
    assert.equal(e.knownContainers().length, 1, 'the host pair is never a container');
  });

  it('process() never throws on malformed events', () => {
    const { engine: e } = engine();
    const bad = { ka: { Type: 'ContainerLog', Operation: 'File', Result: 'Passed', ContainerID: 'x' } } as unknown as AgentEvent;
    const bad2 = { ka: null } as unknown as AgentEvent;
    assert.deepEqual(e.process([bad, bad2]), [bad, bad2]);
  });

  it('alerts already produced upstream pass through untouched', () => {
    const { engine: e } = engine();
    const a = cev({ Type: 'MatchedPolicy', PolicyName: 'x', Resource: '/etc/shadow' });
    assert.deepEqual(e.process([a]), [a]);
  });
});
