import assert from 'node:assert/strict';
import {
  agentEventFromKubeArmor, fromAlert, fromLog, nsToUpdatedTime, toAlert, toLog, updatedTimeToNs,
} from '../../../src/grpc/convert';
import { goFloatV, goJsonString, karmorJson, karmorText } from '../../../src/grpc/karmor-json';
import { encodeResponse, loadProtos } from '../../../src/grpc/proto';
import type { PbAlert, PbLog } from '../../../src/grpc/proto';
import { ALERT, ALERT_KARMOR_JSON, CONTAINER_LOG, HOST_LOG, HOST_LOG_KARMOR_JSON, THROTTLE_NOTICE } from './fixtures';

/** Encode with the server's serializer and decode with the client's deserializer. */
function roundTrip(method: 'WatchAlerts' | 'WatchLogs', msg: object): PbAlert {
  const def = loadProtos().LogService[method]!;
  return def.responseDeserialize(encodeResponse(method, msg)) as PbAlert;
}

describe('grpc/convert', () => {
  it('toAlert carries every field incl. Owner, ExecEvent, EventData, ATags, NodeID, KubeArmorVersion', () => {
    assert.deepEqual(toAlert(ALERT), {
      Timestamp: 1784895200,
      UpdatedTime: '2026-07-24T12:13:20.123456Z',
      ClusterName: 'default',
      HostName: 'node-a',
      NamespaceName: 'shop',
      Owner: { Ref: 'Deployment', Name: 'web', Namespace: 'shop' },
      PodName: 'web-7d9c-abcde',
      Labels: 'app=web,tier=front',
      ContainerID: ALERT.ContainerID,
      ContainerName: 'web',
      ContainerImage: 'docker.io/library/nginx:1.27@sha256:0123abcd',
      HostPPID: 4100,
      HostPID: 1234567,
      PPID: 1,
      PID: 17,
      UID: 1000,
      ParentProcessName: '/bin/bash',
      ProcessName: '/bin/cat',
      Type: 'MatchedPolicy',
      Source: '/bin/cat /etc/shadow <&3 && true',
      Operation: 'File',
      Resource: '/etc/shadow',
      Data: 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY',
      EventData: { Syscall: 'SYS_OPENAT', Fd: '-100', Flags: 'O_RDONLY' },
      Result: 'Permission denied',
      Cwd: '/',
      TTY: 'pts0',
      ExecEvent: { ExecID: '91827364550017', ExecutableName: 'cat' },
      NodeID: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      PolicyName: 'block-shadow',
      Severity: '5',
      Tags: 'PCI_DSS,MITRE',
      ATags: ['PCI_DSS', 'MITRE'],
      Message: 'shadow read',
      Enforcer: 'eBPF Monitor',
      Action: 'Block',
      KubeArmorVersion: 'otelarmor-0.1.0',
    });
  });

  it('toLog leaves out alert-only fields', () => {
    const m = toLog({ ...HOST_LOG, PolicyName: 'x', Severity: '3', ATags: ['a'], Action: 'Audit' }) as Record<string, unknown>;
    for (const k of ['PolicyName', 'Severity', 'ATags', 'Action', 'Tags', 'Message', 'Enforcer', 'KubeArmorVersion']) {
      assert.equal(m[k], undefined, k);
    }
    assert.equal(m.UserName, 'root');
    assert.equal(m.PPID, undefined, 'zero ints are proto3 defaults');
  });

  it('wire round trip: encode → decode → fromAlert/fromLog gives the event back', () => {
    assert.deepEqual(fromAlert(roundTrip('WatchAlerts', toAlert(ALERT))), ALERT);
    assert.deepEqual(fromAlert(roundTrip('WatchAlerts', toAlert(THROTTLE_NOTICE))), THROTTLE_NOTICE);
    assert.deepEqual(fromLog(roundTrip('WatchLogs', toLog(HOST_LOG))), HOST_LOG);
    assert.deepEqual(fromLog(roundTrip('WatchLogs', toLog(CONTAINER_LOG))), CONTAINER_LOG);
  });

  it('encodes the Alert field numbers of kubearmor-compat.md §1.3', () => {
    // Tag bytes: (field << 3) | wiretype. UID=12 varint → 0x60; Owner=31 LEN → 0xfa 0x01;
    // EventData=43 LEN → 0xda 0x02; UserName=44 LEN → 0xe2 0x02.
    const b = encodeResponse('WatchAlerts', { UID: 7, Owner: { Ref: 'Pod' }, EventData: { K: 'v' }, UserName: 'u' });
    assert.deepEqual([...b], [
      0x60, 7,
      0xfa, 0x01, 5, 0x0a, 3, ...Buffer.from('Pod'),
      0xda, 0x02, 6, 0x0a, 1, ...Buffer.from('K'), 0x12, 1, ...Buffer.from('v'),
      0xe2, 0x02, 1, ...Buffer.from('u'),
    ]);
    // Log: Owner=24 → 0xc2 0x01, UserName=34 → 0x92 0x02.
    const l = encodeResponse('WatchLogs', { Owner: { Ref: 'Pod' }, UserName: 'u' });
    assert.deepEqual([...l], [0xc2, 0x01, 5, 0x0a, 3, ...Buffer.from('Pod'), 0x92, 0x02, 1, ...Buffer.from('u')]);
  });

  it('fromLog/fromAlert fill Type from the stream and host/container when the server left it empty', () => {
    assert.equal(fromLog({ HostPID: 1 }).Type, 'HostLog');
    assert.equal(fromLog({ ContainerID: 'abc' }).Type, 'ContainerLog');
    assert.equal(fromAlert({}).Type, 'MatchedHostPolicy');
    assert.equal(fromAlert({ ContainerID: 'abc' }).Type, 'MatchedPolicy');
  });

  it('UpdatedTime ↔ unix ns at µs precision', () => {
    assert.equal(updatedTimeToNs('2026-07-24T12:13:20.123456Z'), 1784895200123456000n);
    assert.equal(updatedTimeToNs('1970-01-01T00:00:01.000001Z'), 1000001000n);
    assert.equal(updatedTimeToNs('2026-07-24T12:13:20Z'), 1784895200000000000n);
    assert.equal(updatedTimeToNs('2026-07-24 12:13:20'), undefined);
    assert.equal(nsToUpdatedTime(1784895200123456789n), '2026-07-24T12:13:20.123456Z');
  });

  it('agentEventFromKubeArmor: time from UpdatedTime, else Timestamp seconds; extras from the strings', () => {
    const a = agentEventFromKubeArmor(ALERT, 5n);
    assert.equal(a.timeNs, 1784895200123456000n);
    assert.equal(a.observedNs, 5n);
    assert.deepEqual(a.extras, {
      syscall: 'openat', retval: -13, ancestry: ['/bin/bash'], pidNs: 0, mntNs: 0, cgroupId: '', path: '/etc/shadow',
    });
    const n = agentEventFromKubeArmor(HOST_LOG, 5n);
    assert.deepEqual(n.extras.sockaddr, { family: 'AF_INET', addr: '93.184.215.14', port: 443 });
    assert.equal(n.extras.syscall, 'connect');
    assert.equal(n.extras.retval, 0);
    const noTime = agentEventFromKubeArmor({ ...HOST_LOG, UpdatedTime: '' }, 5n);
    assert.equal(noTime.timeNs, 1784895201000000000n);
    const nothing = agentEventFromKubeArmor({ ...HOST_LOG, UpdatedTime: '', Timestamp: 0 }, 5n);
    assert.equal(nothing.timeNs, 5n);
  });
});

describe('grpc/karmor-json', () => {
  it('renders Go encoding/json of *pb.Alert / *pb.Log', () => {
    assert.equal(karmorJson('Alert', toAlert(ALERT)), ALERT_KARMOR_JSON);
    assert.equal(karmorJson('Log', toLog(HOST_LOG)), HOST_LOG_KARMOR_JSON);
    // PPID and UID are never omitted; an empty Owner pointer prints {}.
    assert.equal(karmorJson('Log', { Owner: {} } as PbLog), '{"Owner":{},"PPID":0,"UID":0}');
  });

  it('escapes strings like Go (HTML-safe, U+2028/2029, control characters)', () => {
    assert.equal(goJsonString('a<b>&c'), '"a\\u003cb\\u003e\\u0026c"');
    assert.equal(goJsonString('x\u2028y\u2029'), '"x\\u2028y\\u2029"');
    assert.equal(goJsonString('t\tn\n\u0001"\\'), '"t\\tn\\n\\u0001\\"\\\\"');
  });

  it('formats numbers like Go %v of a float64', () => {
    assert.equal(goFloatV(0), '0');
    assert.equal(goFloatV(4242), '4242');
    assert.equal(goFloatV(999999), '999999');
    assert.equal(goFloatV(1000000), '1e+06');
    assert.equal(goFloatV(1234567), '1.234567e+06');
    assert.equal(goFloatV(1784895200), '1.7848952e+09');
    assert.equal(goFloatV(-100), '-100');
  });

  it('renders karmor text blocks', () => {
    assert.equal(karmorText('Log', toLog(HOST_LOG)), [
      '== Log / 2026-07-24 12:13:21.000042 ==',
      'ClusterName: default',
      'HostName: node-a',
      'Type: HostLog',
      'Source: /usr/bin/curl example.com',
      'Resource: remoteip=93.184.215.14 port=443 protocol=TCP',
      'Operation: Network',
      'Data: syscall=SYS_CONNECT fd=5',
      'Result: Passed',
      'Cwd: /root/',
      'EventData: map[Fd:5 Port:443 Protocol:TCP Remoteip:93.184.215.14 Syscall:SYS_CONNECT]',
      'ExecEvent: map[ExecID:0 ExecutableName:curl]',
      'HostPID: 9001',
      'HostPPID: 812',
      'NodeID: 0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      'PID: 9001',
      'PPID: 0',
      'ParentProcessName: /usr/bin/bash',
      'ProcessName: /usr/bin/curl',
      'UID: 0',
      'UserName: root',
      '',
    ].join('\n'));
  });
});
