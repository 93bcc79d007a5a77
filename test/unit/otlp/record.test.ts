import assert from 'node:assert/strict';
import type { AgentEvent } from '../../../src/events/types';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { fixture } from '../../fixtures/events';
import { attributesOf, nsToHrTime, splitImage, summaryOf, toLogRecord } from '../../../src/otlp/record';
import { kubeArmorSeverityLevel, severityOf, ALERT_SEVERITY_TABLE } from '../../../src/otlp/severity';

const IMAGE = 'docker.io/library/wordpress:4.8-apache@sha256:6216f64ab88fc51d311e38c7f69ca3f9aaba621492b4f1fa93ddf63093768845';
const CID = '9c7a2e4c4d4a7b1b0a7e3f1b6f5e2d6c1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d';

describe('otlp/record', () => {
  it('maps every KubeArmor field of an alert, flattened, plus semantic-convention keys', () => {
    const attrs = attributesOf(fixture('alert'), { commandLine: false });
    assert.deepEqual(attrs, {
      Timestamp: 1764028803,
      UpdatedTime: '2025-11-25T00:00:03.500000Z',
      ClusterName: 'default',
      HostName: 'node-a',
      NamespaceName: 'wordpress-mysql',
      PodName: 'wordpress-7c966b5d85-wvtln',
      ContainerID: CID,
      ContainerName: 'wordpress',
      HostPID: 41391,
      PPID: 212,
      PID: 252,
      UID: 0,
      PolicyName: 'ksp-wordpress-block-config',
      Severity: '7',
      Tags: 'WORDPRESS,config,MITRE_T1552_unsecured_credentials',
      Message: 'wp-config.php read attempt blocked',
      Type: 'MatchedPolicy',
      Source: '/usr/bin/cat wp-config.php',
      Operation: 'File',
      Resource: '/var/www/html/wp-config.php',
      Data: 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY',
      Action: 'Block',
      Result: 'Permission denied',
      ContainerImage: IMAGE,
      ParentProcessName: '/bin/bash',
      ProcessName: '/usr/bin/cat',
      HostPPID: 41210,
      Enforcer: 'eBPF Monitor',
      Labels: 'app=wordpress',
      ATags: ['WORDPRESS', 'config', 'MITRE_T1552_unsecured_credentials'],
      Cwd: '/var/www/html/',
      TTY: 'pts0',
      KubeArmorVersion: 'otelarmor-0.1.0',
      'Owner.Ref': 'Deployment',
      'Owner.Name': 'wordpress',
      'Owner.Namespace': 'wordpress-mysql',
      'ExecEvent.ExecID': '2918361825109245',
      'ExecEvent.ExecutableName': 'cat',
      'EventData.Syscall': 'SYS_OPENAT',
      'EventData.Fd': '-100',
      'EventData.Flags': 'O_RDONLY',
      'k8s.namespace.name': 'wordpress-mysql',
      'k8s.pod.name': 'wordpress-7c966b5d85-wvtln',
      'k8s.container.name': 'wordpress',
      'container.id': CID,
      'container.image.name': 'docker.io/library/wordpress',
      'container.image.tags': ['4.8-apache'],
      'process.pid': 41391,
      'process.parent_pid': 41210,
      'process.executable.path': '/usr/bin/cat',
      'file.path': '/var/www/html/wp-config.php',
    });
  });

  it('adds network.* for network events and process.command_line only when enabled', () => {
    const ev = fixture('connect');
    const off = attributesOf(ev, { commandLine: false });
    assert.equal(off['network.peer.address'], '10.0.0.1');
    assert.equal(off['network.peer.port'], 80);
    assert.equal(off['network.transport'], 'tcp');
    assert.equal(off['file.path'], undefined);
    assert.equal('process.command_line' in off, false);
    const on = attributesOf(ev, { commandLine: true });
    assert.equal(on['process.command_line'], '/usr/bin/curl 10.0.0.1');
    assert.equal(attributesOf(fixture('exec'), { commandLine: true })['process.command_line'], '/usr/bin/id -u');
  });

  it('writes one-line summaries', () => {
    assert.equal(summaryOf(fixture('open')), '/usr/bin/cat opened /etc/shadow (O_RDONLY) → Passed');
    assert.equal(summaryOf(fixture('exec')), '/bin/bash executed /usr/bin/id -u → Passed');
    assert.equal(summaryOf(fixture('connect')), '/usr/bin/curl connected to 10.0.0.1:80 (TCP) → Permission denied');
    assert.equal(summaryOf(fixture('alert')),
      '[ksp-wordpress-block-config] /usr/bin/cat opened /var/www/html/wp-config.php (O_RDONLY) → Permission denied');
    assert.equal(summaryOf(fixture('host-exec-alert')), '[hsp-block-useradd] /usr/bin/sudo executed /usr/sbin/useradd eve → Passed');
    // Every operation's shape, built from one open event.
    const base = fixture('open');
    const with_ = (ka: Partial<AgentEvent['ka']>, extras: Partial<AgentEvent['extras']>): AgentEvent =>
      ({ ...base, ka: { ...base.ka, ...ka }, extras: { ...base.extras, ...extras } });
    assert.equal(summaryOf(with_({}, { openFlagNames: ['O_WRONLY', 'O_CREAT', 'O_TRUNC'] })), '/usr/bin/cat opened /etc/shadow (O_WRONLY|O_CREAT|O_TRUNC) → Passed');
    assert.equal(summaryOf(with_({}, { syscall: 'unlinkat' })), '/usr/bin/cat deleted /etc/shadow → Passed');
    assert.equal(summaryOf(with_({ Operation: 'Syscall', Resource: '' }, { syscall: 'ptrace' })), '/usr/bin/cat called ptrace → Passed');
    assert.equal(summaryOf(with_({ Operation: 'Syscall', Resource: '/mnt' }, { syscall: 'mount' })), '/usr/bin/cat called mount /mnt → Passed');
    assert.equal(summaryOf(with_({ Operation: 'Capabilities' }, { capability: 'net_raw' })), '/usr/bin/cat used capability CAP_NET_RAW → Passed');
    assert.equal(summaryOf(with_({ Operation: 'Network', Resource: 'domain=AF_INET type=SOCK_STREAM ' }, { syscall: 'socket' })), '/usr/bin/cat created socket domain=AF_INET type=SOCK_STREAM → Passed');
    assert.equal(summaryOf(with_({ Operation: 'Network' }, { syscall: 'listen', socket: { domain: 'AF_INET', type: 'SOCK_STREAM', protocol: 'TCP' } })), '/usr/bin/cat listened (TCP) → Passed');
    assert.equal(summaryOf(with_({ Operation: 'AlertThreshold', Message: 'too many alerts' }, {})), 'too many alerts');
  });

  it('converts unix nanoseconds to an exact [s, ns] tuple', () => {
    assert.deepEqual(nsToHrTime(1764028800123456789n), [1764028800, 123456789]);
    assert.deepEqual(nsToHrTime(999999999n), [0, 999999999]);
  });

  it('splits image references', () => {
    assert.deepEqual(splitImage('registry:5000/team/app:v1@sha256:ab'), { name: 'registry:5000/team/app', tag: 'v1' });
    assert.deepEqual(splitImage('registry:5000/team/app'), { name: 'registry:5000/team/app' });
    assert.deepEqual(splitImage('nginx@sha256:ab'), { name: 'nginx' });
  });

  it('maps severity monotonically into WARN..ERROR3, logs to INFO', () => {
    assert.deepEqual(severityOf(fixture('exec').ka), { number: 9, text: 'INFO' });
    assert.deepEqual(severityOf(fixture('alert').ka), { number: 18, text: '7' });
    assert.deepEqual(severityOf(fixture('host-exec-alert').ka), { number: 19, text: '10' });
    let prev = 0;
    for (let i = 1; i <= 10; i++) {
      const n = ALERT_SEVERITY_TABLE[i]!;
      assert.ok(n >= prev && n >= 13 && n <= 19, `severity ${i} → ${n}`);
      prev = n;
    }
    assert.equal(kubeArmorSeverityLevel('0'), 1);
    assert.equal(kubeArmorSeverityLevel('42'), 10);
    assert.equal(kubeArmorSeverityLevel(undefined), 1);
    assert.equal(kubeArmorSeverityLevel('critical'), 9);
    const threshold = { ...fixture('alert').ka, Type: 'SystemEvent' as const, Severity: undefined };
    assert.deepEqual(severityOf(threshold), { number: 13, text: 'WARN' });
  });

  it('builds the record with event name, times and severity', () => {
    const resource = resourceFromAttributes({ 'service.name': 'otelarmor' });
    const r = toLogRecord(fixture('alert'), { commandLine: false, resource, scope: { name: 'otelarmor', version: '0.1.0' } });
    assert.equal(r.eventName, 'kubearmor.alert');
    assert.deepEqual(r.hrTime, [1764028803, 500000123]);
    assert.deepEqual(r.hrTimeObserved, [1764028803, 500400000]);
    assert.equal(r.severityNumber, 18);
    assert.equal(r.severityText, '7');
    assert.equal(toLogRecord(fixture('exec'), { commandLine: false, resource, scope: { name: 'otelarmor', version: '0.1.0' } }).eventName, 'kubearmor.log');
  });
});

describe('otlp/record attribute order', () => {
  it('emits KubeArmor fields in proto order (SCALAR_FIELDS), then nested, then semconv keys', async () => {
    const { SCALAR_FIELDS } = await import('../../../src/otlp/record');
    const full = { ...fixture('alert').ka, NodeID: 'n', UserName: 'u', MaxAlertsPerSec: 10, DroppingAlertsInterval: 30 };
    const keys = Object.keys(attributesOf({ ...fixture('alert'), ka: full }, { commandLine: false }));
    assert.deepEqual(keys.slice(0, SCALAR_FIELDS.length), [...SCALAR_FIELDS]);
    assert.deepEqual(keys.slice(SCALAR_FIELDS.length, SCALAR_FIELDS.length + 5),
      ['Owner.Ref', 'Owner.Name', 'Owner.Namespace', 'ExecEvent.ExecID', 'ExecEvent.ExecutableName']);
  });
});
