import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type { AgentEvent, KubeArmorEvent } from '../../../src/events/types';
import { AgentMetrics } from '../../../src/metrics/metrics';
import { checkOutputSpec, createOutputSink } from '../../../src/output/index';
import { fromKarmorJson, goJsonString, toKarmorJson } from '../../../src/output/karmor-json';
import { formatReadable } from '../../../src/output/stdout';

const LOG: KubeArmorEvent = {
  Timestamp: 1784900000,
  UpdatedTime: '2026-07-24T13:33:20.123456Z',
  ClusterName: 'default',
  HostName: 'node-a',
  HostPPID: 200,
  HostPID: 300,
  PPID: 0,
  PID: 300,
  UID: 0,
  Type: 'HostLog',
  Operation: 'File',
  Result: 'Passed',
  ParentProcessName: '/usr/bin/bash',
  ProcessName: '/usr/bin/cat',
  Source: '/usr/bin/cat /etc/hosts',
  Resource: '/etc/hosts',
  Data: 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY|O_CLOEXEC',
  EventData: { Syscall: 'SYS_OPENAT', Fd: '-100', Flags: 'O_RDONLY|O_CLOEXEC' },
  Cwd: '/root/',
  TTY: 'pts0',
  ExecEvent: { ExecID: '0', ExecutableName: 'cat' },
  NodeID: 'f00dfeed',
  UserName: 'root',
};

const ALERT: KubeArmorEvent = {
  Timestamp: 1784900000,
  UpdatedTime: '2026-07-24T13:33:20.123456Z',
  ClusterName: 'default',
  HostName: 'node-a',
  NamespaceName: 'default',
  PodName: 'web-7d9c-abcde',
  Labels: 'app=web',
  Owner: { Ref: 'Deployment', Name: 'web', Namespace: 'default' },
  ContainerID: '3f1c',
  ContainerName: 'web',
  ContainerImage: 'nginx:1.27@sha256:abc',
  ParentProcessName: '/bin/bash',
  ProcessName: '/bin/cat',
  HostPPID: 4100,
  HostPID: 4242,
  PPID: 1,
  PID: 17,
  UID: 0,
  PolicyName: 'block-shadow',
  Severity: '5',
  Tags: 'PCI_DSS,MITRE',
  ATags: ['PCI_DSS', 'MITRE'],
  Message: 'shadow <read> & more',
  Type: 'MatchedPolicy',
  Source: '/bin/cat /etc/shadow',
  Operation: 'File',
  Resource: '/etc/shadow',
  Data: 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY',
  EventData: { Syscall: 'SYS_OPENAT', Fd: '-100', Flags: 'O_RDONLY' },
  Enforcer: 'eBPF Monitor',
  Action: 'Block',
  Result: 'Permission denied',
  Cwd: '/',
  TTY: 'pts0',
  ExecEvent: { ExecID: '0', ExecutableName: 'cat' },
  NodeID: 'f00dfeed',
};

function agentEvent(ka: KubeArmorEvent): AgentEvent {
  return { ka, timeNs: 0n, observedNs: 0n, extras: { syscall: 'openat', retval: 0, ancestry: [], pidNs: 0, mntNs: 0, cgroupId: '0' } };
}

describe('output: karmor --json dialect', () => {
  it('Log: proto field order, PPID/UID always present, empty fields omitted, EventData keys sorted', () => {
    assert.equal(
      toKarmorJson(LOG),
      '{"Timestamp":1784900000,"UpdatedTime":"2026-07-24T13:33:20.123456Z","ClusterName":"default","HostName":"node-a",'
        + '"HostPID":300,"PPID":0,"PID":300,"UID":0,"Type":"HostLog","Source":"/usr/bin/cat /etc/hosts","Operation":"File",'
        + '"Resource":"/etc/hosts","Data":"syscall=SYS_OPENAT fd=-100 flags=O_RDONLY|O_CLOEXEC","Result":"Passed",'
        + '"ParentProcessName":"/usr/bin/bash","ProcessName":"/usr/bin/cat","HostPPID":200,"Cwd":"/root/","TTY":"pts0",'
        + '"ExecEvent":{"ExecID":"0","ExecutableName":"cat"},"NodeID":"f00dfeed",'
        + '"EventData":{"Fd":"-100","Flags":"O_RDONLY|O_CLOEXEC","Syscall":"SYS_OPENAT"},"UserName":"root"}',
    );
  });

  it('Alert: Alert field order, nested Owner, ATags array, Go HTML-safe escaping', () => {
    assert.equal(
      toKarmorJson(ALERT),
      '{"Timestamp":1784900000,"UpdatedTime":"2026-07-24T13:33:20.123456Z","ClusterName":"default","HostName":"node-a",'
        + '"NamespaceName":"default","PodName":"web-7d9c-abcde","ContainerID":"3f1c","ContainerName":"web","HostPID":4242,'
        + '"PPID":1,"PID":17,"UID":0,"PolicyName":"block-shadow","Severity":"5","Tags":"PCI_DSS,MITRE",'
        + '"Message":"shadow \\u003cread\\u003e \\u0026 more","Type":"MatchedPolicy","Source":"/bin/cat /etc/shadow",'
        + '"Operation":"File","Resource":"/etc/shadow","Data":"syscall=SYS_OPENAT fd=-100 flags=O_RDONLY","Action":"Block",'
        + '"Result":"Permission denied","ContainerImage":"nginx:1.27@sha256:abc","ParentProcessName":"/bin/bash",'
        + '"ProcessName":"/bin/cat","HostPPID":4100,"Enforcer":"eBPF Monitor","Labels":"app=web","ATags":["PCI_DSS","MITRE"],'
        + '"Owner":{"Ref":"Deployment","Name":"web","Namespace":"default"},"Cwd":"/","TTY":"pts0",'
        + '"ExecEvent":{"ExecID":"0","ExecutableName":"cat"},"NodeID":"f00dfeed",'
        + '"EventData":{"Fd":"-100","Flags":"O_RDONLY","Syscall":"SYS_OPENAT"}}',
    );
  });

  it('Go string escaping: control chars, U+2028, lone surrogates', () => {
    assert.equal(goJsonString('a\tb\n"c"\\'), '"a\\tb\\n\\"c\\"\\\\"');
    assert.equal(goJsonString('\u0001\u2028\u2029'), '"\\u0001\\u2028\\u2029"');
    assert.equal(goJsonString('x\uD800y'), '"x\uFFFDy"');
    assert.equal(goJsonString('ü😀'), '"ü😀"');
  });

  it('round trip through fromKarmorJson', () => {
    assert.deepEqual(fromKarmorJson(toKarmorJson(LOG)), LOG);
    assert.deepEqual(fromKarmorJson(toKarmorJson(ALERT)), ALERT);
    // Omitted zero fields come back as zeros.
    const minimal = fromKarmorJson('{"PPID":0,"UID":0,"Type":"HostLog","Operation":"Network"}');
    assert.deepEqual(minimal, {
      Timestamp: 0, HostPPID: 0, HostPID: 0, PPID: 0, PID: 0, UID: 0, UpdatedTime: '', ClusterName: '', HostName: '', Result: '',
      Type: 'HostLog', Operation: 'Network',
    });
  });

  it('fromKarmorJson names the field and the reason on bad input', () => {
    assert.throws(() => fromKarmorJson('{'), /karmor JSON: not valid JSON/);
    assert.throws(() => fromKarmorJson('[]'), /karmor JSON: expected an object/);
    assert.throws(() => fromKarmorJson('{"Type":"Nope","Operation":"File"}'), /field Type: expected one of ContainerLog\|HostLog/);
    assert.throws(() => fromKarmorJson('{"Type":"HostLog","Operation":"Files"}'), /field Operation: expected one of/);
    assert.throws(() => fromKarmorJson('{"Type":"HostLog","Operation":"File","HostPID":"12"}'), /field HostPID: expected an integer, got "12"/);
    assert.throws(() => fromKarmorJson('{"Type":"HostLog","Operation":"File","Resource":5}'), /field Resource: expected a string/);
    assert.throws(() => fromKarmorJson('{"Type":"HostLog","Operation":"File","EventData":{"A":1}}'), /field EventData.A: expected a string/);
    assert.throws(() => fromKarmorJson('{"Type":"HostLog","Operation":"File","ATags":"x"}'), /field ATags: expected an array of strings/);
  });
});

describe('output: readable stdout line', () => {
  it('host log and alert lines', () => {
    assert.equal(
      formatReadable(LOG, false),
      '2026-07-24T13:33:20.123456Z HostLog File host pid=300 uid=0 /usr/bin/cat /etc/hosts -> /etc/hosts (syscall=SYS_OPENAT fd=-100 flags=O_RDONLY|O_CLOEXEC) [Passed]',
    );
    assert.equal(
      formatReadable(ALERT, false),
      '2026-07-24T13:33:20.123456Z ALERT MatchedPolicy File default/web-7d9c-abcde/web pid=4242(17) uid=0 /bin/cat /etc/shadow -> /etc/shadow '
        + '(syscall=SYS_OPENAT fd=-100 flags=O_RDONLY) [Permission denied] policy=block-shadow action=Block severity=5 message="shadow <read> & more"',
    );
    assert.ok(formatReadable(ALERT, true).startsWith('\u001b[1;31m2026-'));
    assert.ok(formatReadable(ALERT, true).endsWith('\u001b[0m'));
    assert.equal(formatReadable({ ...LOG, Resource: '/tmp/a\nb' }, false).includes('/tmp/a\\x0ab'), true);
  });
});

describe('output: sinks', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otelarmor-out-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('spec validation', () => {
    assert.equal(checkOutputSpec('stdout'), undefined);
    assert.equal(checkOutputSpec('none'), undefined);
    assert.equal(checkOutputSpec('jsonl:/tmp/x'), undefined);
    assert.equal(checkOutputSpec('jsonl:'), 'output: jsonl: needs a file path (jsonl:/var/log/otelarmor.jsonl)');
    assert.equal(checkOutputSpec('file'), 'output: unknown value "file" (expected stdout, jsonl:PATH or none)');
    assert.throws(() => createOutputSink('jsonl:/nonexistent-dir/x.jsonl', new AgentMetrics()), /output: cannot open \/nonexistent-dir\/x.jsonl for appending: ENOENT/);
  });

  it('jsonl: one karmor JSON line per event, appended to the file', async () => {
    const file = path.join(dir, 'events.jsonl');
    fs.writeFileSync(file, 'previous\n');
    const metrics = new AgentMetrics();
    const sink = createOutputSink(`jsonl:${file}`, metrics);
    assert.equal(sink.name, `jsonl:${file}`);
    sink.write([agentEvent(LOG), agentEvent(ALERT)]);
    sink.write([agentEvent(LOG)]);
    await sink.close();
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(lines, ['previous', toKarmorJson(LOG), toKarmorJson(ALERT), toKarmorJson(LOG), '']);
    assert.equal(metrics.dropCounts.size, 0);
  });

  it('bounded: a stalled consumer makes whole events drop, counted as pipeline/output_backpressure', async () => {
    const got: string[] = [];
    let release: (() => void) | undefined;
    const stalled = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        got.push(chunk.toString());
        release = cb; // never completes until released
      },
    });
    const metrics = new AgentMetrics();
    const line = toKarmorJson(LOG).length + 1;
    const sink = createOutputSink('jsonl:unused', metrics, { stream: stalled, maxBufferedBytes: line * 3 });
    sink.write([agentEvent(LOG), agentEvent(LOG)]); // 2 lines buffered (in flight)
    sink.write([agentEvent(LOG), agentEvent(LOG)]); // room for 1 more
    sink.write([agentEvent(LOG)]); // full
    assert.equal(metrics.dropCounts.get('pipeline/output_backpressure'), 2);
    assert.equal(got.length, 1);
    release!();
    await sink.flush(Date.now() + 1000);
    release!();
    await sink.flush(Date.now() + 1000);
    assert.equal(got.join('').split('\n').length - 1, 3);
  });

  it('bounded: logs are dropped oldest first before any alert; alerts drop only when they alone do not fit', async () => {
    const got: string[] = [];
    const pending: (() => void)[] = [];
    const stalled = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        got.push(chunk.toString());
        pending.push(cb);
      },
    });
    const metrics = new AgentMetrics();
    const log = toKarmorJson(LOG).length + 1;
    const alert = toKarmorJson(ALERT).length + 1;
    const log2 = { ...LOG, HostPID: 301, PID: 301 };
    const sink = createOutputSink('jsonl:unused', metrics, { stream: stalled, maxBufferedBytes: log + alert + log });
    sink.write([agentEvent(LOG)]); // in flight: room left = alert + log
    sink.write([agentEvent(LOG), agentEvent(ALERT), agentEvent(log2)]);
    assert.equal(metrics.dropCounts.get('pipeline/output_backpressure'), 1);
    assert.equal(metrics.dropCounts.get('pipeline/output_backpressure_alert'), undefined);
    sink.write([agentEvent(ALERT)]); // no room at all
    assert.equal(metrics.dropCounts.get('pipeline/output_backpressure_alert'), 1);
    while (pending.length) { pending.shift()!(); await new Promise((r) => setImmediate(r)); }
    await sink.flush(Date.now() + 1000);
    assert.deepEqual(got.join('').split('\n'), [toKarmorJson(LOG), toKarmorJson(ALERT), toKarmorJson(log2), '']);
  });

  it('stdout sink writes readable lines to its stream; none discards', async () => {
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const sink = createOutputSink('stdout', new AgentMetrics(), { stream: out, color: false });
    sink.write([agentEvent(LOG)]);
    await sink.flush(Date.now() + 1000);
    assert.equal(chunks.join(''), `${formatReadable(LOG, false)}\n`);
    const none = createOutputSink('none', new AgentMetrics());
    none.write([agentEvent(LOG)]);
    await none.close();
  });
});
