// The equivalence corpus through the real maps: KubeArmor policies over a private file tree are
// compiled for a private (pid ns, mnt ns) pair and written into the real oa_rules/oa_postures;
// the fileops tester performs every access of the corpus there (O_RDONLY/O_WRONLY/O_RDWR opens
// and chmod, as an owner and a non-owner), plus the loader's own opens and the tester's exec.
// For every record the kernel produced, its verdict (Matched, rule id) must equal what
// src/policy/kernel-reference.ts predicts for the same event, and that must agree with the
// reference matcher (src/policy/matcher.ts) as in test/unit/policy/compile.test.ts.
// oa_enforce is set to Audit for the run: verdicts are computed and flagged, nothing is killed.
import assert from 'node:assert/strict';
import { chownSync, chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { Op, RecordFlag, type ExecRecord, type FileRecord, type KernelRecord } from '../../src/events/record';
import type { AgentEvent } from '../../src/events/types';
import { openFlagNames } from '../../src/format/open-flags';
import { binding, MapUpdateFlag } from '../../src/native/binding';
import { compile, KernelReference, type ContainerSpec, type KernelVerdict } from '../../src/policy';
import { matchEvent, RuleIndex, type Verdict } from '../../src/policy/matcher';
import { buildRuleList, rulesFor } from '../../src/policy/rules';
import { PolicyStore } from '../../src/policy/store';
import { EMPTY_RULES, EnforceHarness, namespacesOf, prog } from './enforce-harness';

const NOBODY = 65534;
const HOST = { hostName: 'node-eq', labels: {} };

describe('kernel enforcement: equivalence corpus through the real maps', function () {
  this.timeout(60000);
  let h: EnforceHarness;
  let D: string;
  const FILEOPS = prog('fileops');
  const NSEXEC = prog('enforce-nsexec');

  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const setEnforce = (v: number) => binding().mapUpdate(h.sensors.objectHandle, 'oa_enforce', u32(0), u32(v), MapUpdateFlag.Any);

  before(async function () {
    h = await EnforceHarness.open(this, ['process']);
    D = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'oa-eq-')));
    chmodSync(D, 0o755);
    const files = ['etc/shadow', 'etc/hosts', 'etc/passwd', 'run/secrets/a', 'run/secrets/public/k', 'run/secrets/public/deep/k',
      'var/spool/x', 'var/spool/a/b', 'app/x/y', 'app/config', 'data/owned.db', 'data/mine.db', 'tmp/f'];
    for (const f of files) {
      mkdirSync(path.dirname(path.join(D, f)), { recursive: true, mode: 0o777 });
      writeFileSync(path.join(D, f), 'x', { mode: 0o666 });
      chmodSync(path.join(D, f), 0o666);
    }
    for (const f of ['data/owned.db', 'data/mine.db', 'app/config']) chownSync(path.join(D, f), NOBODY, NOBODY);
    setEnforce(0);
  });
  after(async () => {
    if (h) {
      setEnforce(1);
      h.enforcer.apply(EMPTY_RULES);
      await h.close();
    }
    if (D) rmSync(D, { recursive: true, force: true });
  });

  function policies(): PolicyStore {
    const yaml = `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: { name: eq-deny, namespace: prod }
spec:
  selector: { matchLabels: { app: web } }
  file:
    matchPaths:
      - path: ${D}/etc/shadow
        fromSource: [{ path: ${FILEOPS} }]
      - path: ${D}/etc/shadow
        action: Audit
      - path: ${D}/etc/hosts
        readOnly: true
      - path: ${D}/etc/passwd
        readOnly: true
        action: Audit
      - path: ${D}/data/mine.db
        ownerOnly: true
    matchDirectories:
      - dir: ${D}/run/secrets/
        recursive: true
      - dir: ${D}/run/secrets/public/
        action: Audit
      - dir: ${D}/var/spool/
      - dir: ${D}/var/spool/
        recursive: true
        action: Audit
  process:
    matchPaths:
      - execname: fileops
        fromSource: [{ path: ${NSEXEC} }]
        action: Audit
  action: Block
---
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: { name: eq-allow, namespace: prod }
spec:
  selector: { matchLabels: { app: api } }
  action: Allow
  process:
    matchPaths:
      - path: ${FILEOPS}
        ownerOnly: true
  file:
    matchDirectories:
      - dir: ${D}/app/
        recursive: true
      - dir: ${D}/etc/
        readOnly: true
      - dir: /usr/lib/
        recursive: true
    matchPaths:
      - path: ${D}/data/owned.db
        ownerOnly: true
      - path: ${D}/etc/shadow
        action: Block
      - path: ${D}/app/config
        readOnly: true
        action: Block
      - path: ${D}/etc/passwd
        readOnly: true
        action: Audit
      - path: ${D}/data/mine.db
        ownerOnly: true
        action: Block
`;
    const store = new PolicyStore();
    const r = store.replaceSource('eq', yaml.split('\n---\n').map((d) => parse(d) as unknown));
    assert.deepEqual(r.errors, []);
    return store;
  }

  /** The tester's accesses: every corpus path opened O_RDONLY, O_WRONLY, O_RDWR, then chmod. */
  function ops(): string[] {
    const out: string[] = [];
    const paths = ['etc/shadow', 'etc/hosts', 'etc/passwd', 'run/secrets/a', 'run/secrets', 'run/secrets/public/k', 'run/secrets/public/deep/k',
      'var/spool/x', 'var/spool/a/b', 'var/spool', 'app/x/y', 'app', 'app/config', 'data/owned.db', 'data/mine.db', 'tmp/f', 'missing'];
    for (const p of paths) {
      const f = path.join(D, p);
      out.push('open', f, '0', '0', 'open', f, '1', '0', 'open', f, '2', '0', 'chmod', f, '0666');
    }
    return out;
  }

  /** The AgentEvent the Enricher builds for a record, with the container identity of `c`. */
  function eventOf(rec: KernelRecord, c: ContainerSpec): AgentEvent {
    const ka = {
      Timestamp: 0, UpdatedTime: '', ClusterName: 'default', HostName: HOST.hostName, NamespaceName: c.namespace, PodName: 'p',
      Labels: Object.entries(c.labels).map(([k, v]) => `${k}=${v}`).join(','), ContainerID: 'eq', ContainerName: c.containerName,
      HostPPID: rec.ppid, HostPID: rec.tgid, PPID: 0, PID: rec.nsTgid, UID: rec.uid, Type: 'ContainerLog' as const,
      Result: 'Passed', ProcessName: FILEOPS, ParentProcessName: NSEXEC,
    };
    const extras = { ancestry: [], pidNs: rec.pidNs, mntNs: rec.mntNs, cgroupId: '0' };
    if (rec.op === Op.ProcessExec) {
      const e = rec as ExecRecord;
      return { ka: { ...ka, Operation: 'Process', Resource: e.path, Source: NSEXEC, Data: 'syscall=SYS_EXECVE' }, timeNs: 0n, observedNs: 0n, extras: { ...extras, syscall: e.syscall, retval: e.ret, path: e.path, fileOwnerUid: e.exeOwnerUid } };
    }
    const f = rec as FileRecord;
    const open = f.syscall === 'open' || f.syscall === 'openat' || f.syscall === 'openat2';
    return {
      ka: { ...ka, Operation: 'File', Resource: f.path, Source: FILEOPS, Data: open ? `syscall=SYS_OPEN flags=${openFlagNames(f.flags).join('|')}` : 'syscall=SYS_CHMOD' },
      timeNs: 0n, observedNs: 0n,
      extras: { ...extras, path: f.path, syscall: f.syscall, retval: f.ret, ...(open ? { openFlags: f.flags, fileOwnerUid: f.fileOwnerUid } : {}) },
    };
  }

  /** Kernel-flag view of a verdict: (Matched, rule id). */
  function flagsOf(v: KernelVerdict): string {
    if (v.kind === 'rule') return v.flags & 0x4 ? 'unmatched' : `matched ${v.ruleId}`;
    return v.kind === 'none' ? 'unmatched' : 'matched 0';
  }
  function refNorm(v: Verdict): string {
    return v.kind === 'rule' ? `rule ${v.rule.id} ${v.rule.action}` : v.kind;
  }
  function kernelNorm(v: KernelVerdict): string {
    if (v.kind !== 'rule') return v.kind;
    return `rule ${v.ruleId} ${v.flags & 1 ? 'Block' : v.flags & 2 ? 'Audit' : 'Allow'}`;
  }

  async function runIn(labels: Record<string, string>): Promise<{ rows: number; outcomes: Set<string> }> {
    const store = policies();
    let c: ContainerSpec | undefined;
    let kernel: KernelReference | undefined;
    const r = await h.run(NSEXEC, [FILEOPS, '--as', String(NOBODY), ...ops()], {
      onLine: (line, write) => {
        const m = /^child (\d+)$/.exec(line);
        if (!m) return;
        const ns = namespacesOf(Number(m[1]));
        c = { ...ns, namespace: 'prod', labels, containerName: 'c' };
        const { set } = compile(store.snapshot.policies, [c], HOST, { postureFor: () => ({ file: 'block', network: 'audit', capabilities: 'audit' }) });
        kernel = new KernelReference(set);
        h.enforcer.apply(set);
        h.sensors.setVisibility(ns.pidNs, ns.mntNs, ['process', 'file']);
        write('go\n');
      },
    });
    assert.equal(r.lines.at(-1), 'exit 0');
    const child = Number(/^child (\d+)$/.exec(r.lines[2]!)![1]);
    await h.waitFor((x) => x.op === Op.ProcessExit && x.tgid === child, 'tester exit');
    h.sensors.clearVisibility(c!.pidNs, c!.mntNs);
    const ix = new RuleIndex(rulesFor(store.snapshot.policies, buildRuleList(store.snapshot.policies), { host: false, namespace: c!.namespace, labels: c!.labels, containerName: c!.containerName }, HOST));
    const recs = h.of(child).filter((x) => x.op === Op.File || (x.op === Op.ProcessExec && (x as ExecRecord).ret === 0));
    const diffs: string[] = [];
    const outcomes = new Set<string>();
    for (const rec of recs) {
      const ev = eventOf(rec, c!);
      const model = kernel!.lookup(ev);
      const real = rec.recordFlags! & RecordFlag.Matched ? `matched ${rec.ruleId}` : 'unmatched';
      const ref = refNorm(matchEvent(ix, ev));
      const what = `${ev.ka.Operation} ${(rec as FileRecord).syscall ?? 'exec'} ${ev.ka.Resource} flags=${(rec as FileRecord).flags ?? '-'} owner=${ev.extras.fileOwnerUid}`;
      if (real !== flagsOf(model)) diffs.push(`${what}: kernel ${real}, kernel-reference ${flagsOf(model)}`);
      if (model.kind !== 'user' && kernelNorm(model) !== ref) diffs.push(`${what}: kernel-reference ${kernelNorm(model)}, reference ${ref}`);
      outcomes.add(ref.replace(/^rule \d+ /, 'rule '));
    }
    assert.deepEqual(diffs, []);
    return { rows: recs.length, outcomes };
  }

  it('deny-list pod (app=web): every record\'s Matched flag and rule id equal the kernel reference, which equals the reference matcher', async () => {
    const { rows, outcomes } = await runIn({ app: 'web' });
    // 17 paths x 4 accesses, the loader's opens and the exec
    assert.ok(rows >= 17 * 4 + 1, `${rows} records`);
    assert.deepEqual([...outcomes].sort(), ['none', 'rule Audit', 'rule Block']);
  });

  it('allow-list pod (app=api, block posture): the same, including readOnly/ownerOnly exemptions falling to the posture', async () => {
    const { rows, outcomes } = await runIn({ app: 'api' });
    assert.ok(rows >= 17 * 4 + 1, `${rows} records`);
    assert.deepEqual([...outcomes].sort(), ['posture', 'rule Allow', 'rule Audit', 'rule Block']);
  });
});
