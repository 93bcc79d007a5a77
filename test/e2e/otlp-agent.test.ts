// The whole agent (`otelarmor run --otlp-endpoint …`) → a real collector (otel/collector-test.yaml,
// file exporter): a tester (test/progs/timedopen) reads CLOCK_REALTIME, makes one openat, reads
// the clock again; the record of that openat is decoded from the collector's OTLP JSON and checked
// attribute by attribute, its timestamp inside the tester's [before, after] window (a few µs
// wide), for a plain file open (kubearmor.log) and for one a host policy audits (kubearmor.alert).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { instanceId } from '../../src/otlp/resource';
import { requireFile, requireRoot, ROOT, tool } from '../helpers/env';
import { start, type Child } from '../helpers/procs';
import { freePort, readOtlpFile, sleep, TestCollector, type AnyValue, type OtlpJsonRecord } from './otlp-helpers';

const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const s = (v: string): AnyValue => ({ stringValue: v });
const i = (v: number): AnyValue => ({ intValue: String(v) });
const arr = (...v: string[]): AnyValue => ({ arrayValue: { values: v.map(s) } });

interface TimedOpen { pid: number; before: bigint; after: bigint; ret: number }

/** Runs the tester once; its pid and the two CLOCK_REALTIME readings around the openat. */
function timedOpen(bin: string, file: string): TimedOpen {
  // spawnSync's pid is the child's: the record's HostPID.
  const r = spawnSync(bin, [file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const m = /^before (\d+)\nopenat (-?\d+)\nafter (\d+)\n$/.exec(r.stdout);
  assert.ok(m, `unexpected tester output: ${r.stdout}`);
  return { pid: r.pid!, before: BigInt(m[1]!), ret: Number(m[2]), after: BigInt(m[3]!) };
}

/** KubeArmor UpdatedTime of a unix-ns instant: RFC 3339, UTC, microseconds. */
function updatedTime(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const us = (ns / 1000n) % 1_000_000n;
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${us.toString().padStart(6, '0')}Z`;
}

describe('agent → real collector: one real openat, field by field', function () {
  this.timeout(180_000);
  let col: TestCollector | undefined;
  let agent: Child | undefined;
  let recs: OtlpJsonRecord[] = [];
  let plain: TimedOpen;
  let audited: TimedOpen;
  let agentOut = '';
  let readAt = 0n;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-otlp-agent-'));
  const plainFile = path.join(dir, 'plain.txt');
  const auditedFile = path.join(dir, 'audited.txt');
  const NODE = 'e2e-node-otlp';
  const CLUSTER = 'e2e-cluster';
  let tester = '';

  before(async function () {
    requireRoot(this);
    requireFile(this, 'dist/rules/default-bundle.tar.gz');
    tester = realpathSync(requireFile(this, 'test/progs/build/timedopen'));
    const bin = tool(this, 'otelcol-otelarmor');
    writeFileSync(plainFile, 'plain\n');
    writeFileSync(auditedFile, 'audited\n');
    const policies = path.join(dir, 'policies');
    mkdirSync(policies);
    writeFileSync(path.join(policies, 'audit.yaml'), [
      'apiVersion: security.kubearmor.com/v1',
      'kind: KubeArmorHostPolicy',
      'metadata:',
      '  name: hsp-e2e-otlp-audit',
      'spec:',
      '  nodeSelector:',
      '    matchLabels:',
      `      kubearmor.io/hostname: "${NODE}"`,
      '  severity: 7',
      '  tags: ["e2e", "MITRE_T1005_data_from_local_system"]',
      '  message: audited file read',
      '  file:',
      '    matchPaths:',
      `      - path: ${auditedFile}`,
      '  action: Audit',
      '',
    ].join('\n'));

    const port = await freePort();
    col = new TestCollector(bin, port, path.join(dir, 'out.jsonl'));
    await col.start();
    agent = start(process.execPath, [CLI, 'run', '--output', 'none', '--duration', '120', '--k8s', 'off',
      '--cluster', CLUSTER, '--node-name', NODE, '--policies', policies, '--host-visibility', 'process,file',
      '--otlp-endpoint', `http://127.0.0.1:${port}`,
      '--metrics-address', `127.0.0.1:${await freePort()}`, '--grpc-address', `127.0.0.1:${await freePort()}`,
      '--health-grpc-address', `127.0.0.1:${await freePort()}`],
    { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '' } });
    const deadline = Date.now() + 90_000;
    while (!agent.output().includes('otelarmor: running:')) {
      if (agent.proc.exitCode !== null) throw new Error(`agent exited ${agent.proc.exitCode}:\n${agent.output()}`);
      if (Date.now() > deadline) throw new Error(`agent did not start:\n${agent.output()}`);
      await sleep(100);
    }
    plain = timedOpen(tester, plainFile);
    audited = timedOpen(tester, auditedFile);
    // Both records reach the collector while the agent runs (other processes on this host may
    // keep it busy: wait for them rather than for a fixed time).
    const ours = (r: OtlpJsonRecord) => [plainFile, auditedFile].includes((r.attributes.Resource as { stringValue?: string } | undefined)?.stringValue ?? '')
      && [plain.pid, audited.pid].map(String).includes((r.attributes.HostPID as { intValue?: string }).intValue ?? '');
    const until = Date.now() + 60_000;
    while (readOtlpFile(col.file).filter(ours).length < 2 && Date.now() < until) await sleep(250);
    await sleep(1000); // run.ts installs its SIGTERM handler after start-up returns
    assert.equal(await agent.stop('SIGTERM', 20_000), 0, agent.output());
    agentOut = agent.output();
    await sleep(300); // file exporter flush interval (100 ms)
    readAt = BigInt(Date.now()) * 1_000_000n;
    recs = readOtlpFile(col.file);
  });

  after(async () => {
    await agent?.stop('SIGKILL');
    await col?.stop();
  });

  const find = (t: TimedOpen, eventName: string): OtlpJsonRecord => {
    const r = recs.filter((x) => x.eventName === eventName && (x.attributes.HostPID as { intValue?: string }).intValue === String(t.pid)
      && (x.attributes.Resource as { stringValue?: string } | undefined)?.stringValue === (t === plain ? plainFile : auditedFile));
    const ofPid = recs.filter((x) => (x.attributes.HostPID as { intValue?: string }).intValue === String(t.pid));
    assert.equal(r.length, 1, `${eventName} File records of pid ${t.pid} on its file; all its records: ${JSON.stringify(ofPid.map((x) => [x.eventName, x.body]))}; agent: ${agentOut.split('\n').filter((l) => /dropped|not delivered/.test(l)).join(' ')}`);
    return r[0]!;
  };

  it('the tester opened both files', () => {
    assert.ok(plain.ret >= 3 && audited.ret >= 3, `fds ${plain.ret}, ${audited.ret}`);
  });

  it('resource and scope identify the agent, node and cluster', () => {
    const r = find(plain, 'kubearmor.log');
    assert.deepEqual(r.resource, {
      'service.name': s('otelarmor'),
      'service.version': s(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version),
      'service.instance.id': s(instanceId(NODE)),
      'host.name': s(os.hostname()),
      'k8s.node.name': s(NODE),
      'k8s.cluster.name': s(CLUSTER),
    });
    assert.deepEqual(r.scope, { name: 'otelarmor', version: '0.1.0' });
  });

  for (const kind of ['log', 'alert'] as const) {
    it(`${kind}: timeUnixNano lies in the tester's [before, after] window; observed >= time`, () => {
      const t = kind === 'log' ? plain : audited;
      const r = find(t, `kubearmor.${kind}`);
      const ns = BigInt(r.timeUnixNano);
      assert.ok(t.after - t.before < 1_000_000n, `window ${t.after - t.before} ns`);
      assert.ok(ns >= t.before && ns <= t.after, `time ${ns} outside [${t.before}, ${t.after}] (${t.after - t.before} ns wide)`);
      const obs = BigInt(r.observedTimeUnixNano);
      assert.ok(obs >= ns && obs <= readAt, `observed ${obs} not in [${ns}, ${readAt}]`);
    });
  }

  /** The attributes every record of this openat carries (KubeArmor fields in proto order). */
  const head = (t: TimedOpen, r: OtlpJsonRecord): [string, AnyValue][] => {
    const ns = BigInt(r.timeUnixNano);
    return [
      ['Timestamp', i(Number(ns / 1_000_000_000n))],
      ['UpdatedTime', s(updatedTime(ns))],
      ['ClusterName', s(CLUSTER)],
      ['HostName', s(NODE)],
      ['HostPID', i(t.pid)],
      ['PPID', i(0)],
      ['PID', i(t.pid)],
      ['UID', i(0)],
    ];
  };
  const fileFields = (file: string): [string, AnyValue][] => [
    ['Source', s(`${tester} ${file}`)],
    ['Operation', s('File')],
    ['Resource', s(file)],
    ['Data', s('syscall=SYS_OPENAT fd=-100 flags=O_RDONLY')],
  ];
  const processFields = (): [string, AnyValue][] => [
    ['ParentProcessName', s(realpathSync(process.execPath))],
    ['ProcessName', s(tester)],
    ['HostPPID', i(process.pid)],
  ];
  const semconv = (t: TimedOpen, file: string): [string, AnyValue][] => [
    ['process.pid', i(t.pid)],
    ['process.parent_pid', i(process.pid)],
    ['process.executable.path', s(tester)],
    ['file.path', s(file)],
  ];
  const machineId = readFileSync('/etc/machine-id', 'utf8').trim();
  const nested: [string, AnyValue][] = [
    ['ExecEvent.ExecID', s('0')],
    ['ExecEvent.ExecutableName', s('timedopen')],
    ['EventData.Syscall', s('SYS_OPENAT')],
    ['EventData.Fd', s('-100')],
    ['EventData.Flags', s('O_RDONLY')],
  ];

  it('log: severity INFO, eventName, body and every attribute with its exact value, in order', () => {
    const r = find(plain, 'kubearmor.log');
    assert.equal(r.severityNumber, 9);
    assert.equal(r.severityText, 'INFO');
    assert.equal(r.eventName, 'kubearmor.log');
    assert.deepEqual(r.body, s(`${tester} opened ${plainFile} (O_RDONLY) → Passed`));
    const want: [string, AnyValue][] = [
      ...head(plain, r),
      ['Type', s('HostLog')],
      ...fileFields(plainFile),
      ['Result', s('Passed')],
      ...processFields(),
      ['Cwd', s(`${process.cwd()}/`)],
      ['NodeID', s(machineId)],
      ['UserName', s('root')],
      ...nested,
      ...semconv(plain, plainFile),
    ];
    assert.deepEqual(r.attributeKeys, want.map(([k]) => k));
    assert.deepEqual(r.attributes, Object.fromEntries(want));
  });

  it('alert: severity 7 → ERROR2 (18) with text "7", policy fields, ATags array, exact attributes in order', () => {
    const r = find(audited, 'kubearmor.alert');
    assert.equal(r.severityNumber, 18);
    assert.equal(r.severityText, '7');
    assert.equal(r.eventName, 'kubearmor.alert');
    assert.deepEqual(r.body, s(`[hsp-e2e-otlp-audit] ${tester} opened ${auditedFile} (O_RDONLY) → Passed`));
    const want: [string, AnyValue][] = [
      ...head(audited, r),
      ['PolicyName', s('hsp-e2e-otlp-audit')],
      ['Severity', s('7')],
      ['Tags', s('e2e,MITRE_T1005_data_from_local_system')],
      ['Message', s('audited file read')],
      ['Type', s('MatchedHostPolicy')],
      ...fileFields(auditedFile),
      ['Action', s('Audit')],
      ['Result', s('Passed')],
      ...processFields(),
      ['Enforcer', s('eBPF Monitor')],
      ['ATags', arr('e2e', 'MITRE_T1005_data_from_local_system')],
      ['Cwd', s(`${process.cwd()}/`)],
      ['KubeArmorVersion', s(`otelarmor-${JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}`)],
      ['NodeID', s(machineId)],
      ['UserName', s('root')],
      ...nested,
      ...semconv(audited, auditedFile),
    ];
    assert.deepEqual(r.attributeKeys, want.map(([k]) => k));
    assert.deepEqual(r.attributes, Object.fromEntries(want));
  });

  it('the agent stopped cleanly and lost no alert (host logs of other processes may be shed at shutdown)', () => {
    assert.match(agentOut, /otelarmor: stopped; /);
    assert.doesNotMatch(agentOut, /not delivered within the shutdown timeout \(\d+ s\): [1-9]\d* alerts/);
  });
});
