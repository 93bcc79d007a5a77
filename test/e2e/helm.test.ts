// The Helm chart checked with the real tools: helm lint, helm template, and kubectl-validate (built-in
// 1.30 schemas + the chart's KubeArmor CRDs + a minimal ServiceMonitor CRD), offline (KUBECONFIG=/dev/null).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { ROOT, tool } from '../helpers/env';
import { freePort } from '../helpers/procs';
import { defaultConfig } from '../../src/config';
import { loadConfigFile } from '../../src/config-load';

const CHART = path.join(ROOT, 'helm', 'otelarmor');
const KA_CRDS = path.join(CHART, 'files', 'crds');
const FIXTURE_CRDS = path.join(ROOT, 'test', 'fixtures', 'crds');
const ENV = { ...process.env, KUBECONFIG: '/dev/null', HELM_CACHE_HOME: path.join(tmpdir(), 'otelarmor-helm-cache'), HELM_CONFIG_HOME: path.join(tmpdir(), 'otelarmor-helm-config') };

/** Every capability the chart may add, each justified in templates/daemonset.yaml and docs/kubernetes.md. */
const DOCUMENTED_CAPS = ['BPF', 'PERFMON', 'SYS_RESOURCE', 'SYS_PTRACE', 'DAC_READ_SEARCH', 'NET_ADMIN', 'KILL', 'SYS_ADMIN'];

const ALL_ON = {
  collector: { sidecar: { enabled: true, upstream: { endpoint: 'gateway.observability:4317', caSecret: { name: 'gateway-ca' } } } },
  serviceMonitor: { enabled: true, labels: { release: 'prom' } },
  grpc: { tls: { enabled: true, secretName: 'otelarmor-grpc-tls', clientCaKey: 'ca.crt' } },
  crds: { install: true, keep: true },
  config: { visibility: ['process', 'network'], defaultFilePosture: 'block', policies: ['/etc/otelarmor/policies'] },
};

/** The agent exporting straight to an external endpoint over mutual TLS (the other OTLP variant). */
const OTLP_TLS = {
  otlp: { endpoint: 'https://otel.example:4317', caSecret: { name: 'otel-ca' }, clientCertSecret: { name: 'otelarmor-otlp-client' } },
};

interface K8sObj { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; [k: string]: unknown }
interface Container { name: string; image: string; args?: string[]; env?: { name: string; value?: string }[]; ports?: { name: string; containerPort: number }[]; securityContext: Record<string, unknown> & { capabilities?: { add?: string[]; drop?: string[] } }; livenessProbe?: unknown; readinessProbe?: unknown; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }

function run(cmd: string, args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { env: ENV, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('e2e: Helm chart (helm lint, helm template, kubectl-validate)', function () {
  let helm: string;
  let kv: string;
  let tmp: string;
  const values = (v: unknown): string => { const f = path.join(tmp, `values-${Math.random().toString(36).slice(2)}.yaml`); writeFileSync(f, YAML.stringify(v)); return f; };
  const template = (extra: string[] = []) => run(helm, ['template', 'oa', CHART, '--namespace', 'security', '--kube-version', '1.30.0', ...extra]);
  const docs = (out: string): K8sObj[] => YAML.parseAllDocuments(out).map((d) => d.toJS() as K8sObj).filter((d) => d !== null);
  const find = (objs: K8sObj[], kind: string, name?: string) => objs.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  const podSpec = (objs: K8sObj[]) => ((find(objs, 'DaemonSet') as unknown as { spec: { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> & { containers: Container[]; volumes: { name: string; hostPath?: { path: string; type: string } }[] } } } }).spec.template);
  /** helm template … | kubectl-validate … /dev/stdin, through a real shell pipe (v0.0.4 reads no "-"; Node's stdio is a socket, which /dev/stdin cannot open). */
  const templateValidated = (extra: string[]) => run('bash', ['-o', 'pipefail', '-c',
    '"$0" template oa "$2" --namespace security --kube-version 1.30.0 "${@:5}" | "$1" --version 1.30 --local-crds "$3" --local-crds "$4" /dev/stdin',
    helm, kv, CHART, KA_CRDS, FIXTURE_CRDS, ...extra]);

  before(function () {
    helm = tool(this, 'helm');
    kv = tool(this, 'kubectl-validate');
    tmp = mkdtempSync(path.join(tmpdir(), 'otelarmor-helm-'));
  });
  after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  it('helm lint passes with default values and with every optional feature on', () => {
    const a = run(helm, ['lint', CHART, '--kube-version', '1.30.0']);
    assert.equal(a.status, 0, a.stdout + a.stderr);
    assert.match(a.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    const b = run(helm, ['lint', CHART, '--kube-version', '1.30.0', '-f', values(ALL_ON)]);
    assert.equal(b.status, 0, b.stdout + b.stderr);
  });

  for (const [label, v] of [['default values', undefined], ['every optional feature on', ALL_ON], ['external OTLP endpoint with CA and client certificate', OTLP_TLS]] as const) {
    it(`helm template (${label}) passes kubectl-validate against the 1.30 schemas and the local CRDs`, () => {
      const r = templateValidated(v ? ['-f', values(v)] : []);
      assert.equal(r.status, 0, `kubectl-validate failed:\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /\/dev\/stdin.*OK/);
    });

    it(`(${label}) no manifest is privileged; the agent runs read-only with only the documented capabilities`, () => {
      const t = template(v ? ['-f', values(v)] : []);
      assert.equal(t.status, 0, t.stderr);
      assert.doesNotMatch(t.stdout, /privileged:\s*true/);
      const tpl = podSpec(docs(t.stdout));
      const agent = tpl.spec.containers.find((c) => c.name === 'otelarmor')!;
      assert.equal(agent.securityContext.readOnlyRootFilesystem, true);
      assert.equal(agent.securityContext.privileged, false);
      assert.equal(agent.securityContext.runAsUser, 0);
      assert.deepEqual(agent.securityContext.capabilities?.drop, ['ALL']);
      assert.deepEqual(agent.securityContext.capabilities?.add, DOCUMENTED_CAPS);
      for (const c of tpl.spec.containers) {
        for (const cap of c.securityContext.capabilities?.add ?? []) assert.ok(DOCUMENTED_CAPS.includes(cap), `${c.name}: undocumented capability ${cap}`);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
      }
      assert.equal(tpl.spec.hostPID, true);
      assert.equal(tpl.metadata.labels['kubearmor-app'], 'kubearmor');
      assert.deepEqual(agent.ports, [
        { name: 'grpc', containerPort: 32767, protocol: 'TCP' },
        { name: 'grpc-health', containerPort: 32766, protocol: 'TCP' },
        { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
      ]);
      assert.deepEqual(agent.livenessProbe, { httpGet: { path: '/healthz', port: 'metrics' }, initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 5 });
      assert.deepEqual(agent.readinessProbe, { httpGet: { path: '/readyz', port: 'metrics' }, periodSeconds: 10, failureThreshold: 3 });
      assert.deepEqual(tpl.spec.volumes.filter((x) => x.hostPath).map((x) => [x.name, x.hostPath!.path, x.hostPath!.type]), [
        ['bpffs', '/sys/fs/bpf', 'DirectoryOrCreate'], ['btf', '/sys/kernel/btf', 'Directory'], ['tracefs', '/sys/kernel/tracing', 'Directory'],
        ['cgroup', '/sys/fs/cgroup', 'Directory'], ['machine-id', '/etc/machine-id', 'File'],
      ]);
      const ro = Object.fromEntries((agent.volumeMounts ?? []).map((m) => [m.mountPath, m.readOnly === true]));
      assert.equal(ro['/sys/kernel/btf'], true);
      assert.equal(ro['/sys/fs/cgroup'], true);
      assert.equal(ro['/sys/kernel/tracing'], true);
      assert.equal(ro['/sys/fs/bpf'], false);
    });

    it(`(${label}) the ConfigMap holds only AgentConfig keys, and the agent's own loader accepts it`, () => {
      const t = template(v ? ['-f', values(v)] : []);
      const cm = find(docs(t.stdout), 'ConfigMap', 'oa-otelarmor') as unknown as { data: { 'config.yaml': string } };
      const parsed = YAML.parse(cm.data['config.yaml']) as Record<string, unknown>;
      const known = Object.keys(defaultConfig());
      for (const k of Object.keys(parsed)) assert.ok(known.includes(k), `config.yaml key ${k} is not an AgentConfig key`);
      const file = path.join(tmp, 'config.yaml');
      writeFileSync(file, cm.data['config.yaml']);
      const loaded = loadConfigFile(file);
      assert.equal(loaded.k8s, 'on');
      assert.equal(loaded.grpcAddress, '0.0.0.0:32767');
      assert.equal(loaded.healthGrpcAddress, '0.0.0.0:32766');
      assert.equal(loaded.metricsAddress, '0.0.0.0:9464');
      assert.equal(loaded.nodeName, undefined);
    });
  }

  it('the chart\'s list of config keys is exactly AgentConfig', () => {
    const helpers = readFileSync(path.join(CHART, 'templates', '_helpers.tpl'), 'utf8');
    const m = /define "otelarmor\.agentConfigKeys" -}}\n(.*)\n/.exec(helpers);
    assert.deepEqual(m?.[1]?.split(' '), Object.keys(defaultConfig()));
  });

  it('default values: plain agent, KubeArmor CRDs kept on uninstall, least RBAC', () => {
    const objs = docs(template().stdout);
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`), [
      'ServiceAccount/oa-otelarmor', 'ConfigMap/oa-otelarmor',
      'CustomResourceDefinition/kubearmorclusterpolicies.security.kubearmor.com',
      'CustomResourceDefinition/kubearmorhostpolicies.security.kubearmor.com',
      'CustomResourceDefinition/kubearmorpolicies.security.kubearmor.com',
      'ClusterRole/oa-otelarmor', 'ClusterRoleBinding/oa-otelarmor', 'Service/oa-otelarmor', 'Service/oa-otelarmor-metrics', 'DaemonSet/oa-otelarmor',
    ]);
    for (const crd of objs.filter((o) => o.kind === 'CustomResourceDefinition')) assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
    assert.deepEqual((find(objs, 'ClusterRole') as unknown as { rules: unknown }).rules, [
      { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['security.kubearmor.com'], resources: ['kubearmorpolicies', 'kubearmorclusterpolicies', 'kubearmorhostpolicies'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create'] },
    ]);
    const tpl = podSpec(objs);
    assert.deepEqual(tpl.spec.containers.map((c) => c.name), ['otelarmor']);
    assert.deepEqual(tpl.spec.containers[0]!.args, ['run', '--config', '/etc/otelarmor/config.yaml']);
    assert.deepEqual(tpl.spec.containers[0]!.env, [{ name: 'OTELARMOR_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
    const cfg = YAML.parse((find(objs, 'ConfigMap') as unknown as { data: { 'config.yaml': string } }).data['config.yaml']) as Record<string, unknown>;
    assert.equal(cfg.otlpEndpoint, undefined);
  });

  it('every optional feature on: sidecar collector on 127.0.0.1:4317, TLS files, ServiceMonitor', () => {
    const objs = docs(template(['-f', values(ALL_ON)]).stdout);
    const cfg = YAML.parse((find(objs, 'ConfigMap', 'oa-otelarmor') as unknown as { data: { 'config.yaml': string } }).data['config.yaml']) as Record<string, unknown>;
    assert.equal(cfg.otlpEndpoint, 'http://127.0.0.1:4317');
    assert.equal(cfg.grpcTlsCert, '/etc/otelarmor/tls/tls.crt');
    assert.equal(cfg.grpcTlsKey, '/etc/otelarmor/tls/tls.key');
    assert.equal(cfg.grpcTlsClientCa, '/etc/otelarmor/tls/ca.crt');
    assert.deepEqual(cfg.visibility, ['process', 'network']);
    assert.equal(cfg.defaultFilePosture, 'block');
    const col = find(objs, 'ConfigMap', 'oa-otelarmor-collector') as unknown as { data: { 'collector.yaml': string } };
    const source = readFileSync(path.join(ROOT, 'otel', 'collector-sidecar.yaml'), 'utf8');
    assert.equal(readFileSync(path.join(CHART, 'files', 'collector-sidecar.yaml'), 'utf8'), source, 'helm/otelarmor/files/collector-sidecar.yaml differs from otel/collector-sidecar.yaml');
    assert.deepEqual(YAML.parse(col.data['collector.yaml']), YAML.parse(source));
    const tpl = podSpec(objs);
    const side = tpl.spec.containers.find((c) => c.name === 'otel-collector')!;
    assert.equal(side.image, 'otel/opentelemetry-collector-contrib:0.159.0');
    assert.deepEqual(side.env, [
      { name: 'OTELARMOR_UPSTREAM_ENDPOINT', value: 'gateway.observability:4317' }, { name: 'OTELARMOR_UPSTREAM_INSECURE', value: 'false' },
      { name: 'OTELARMOR_UPSTREAM_CA_FILE', value: '/etc/otelcol/upstream-ca/ca.crt' }, { name: 'OTELARMOR_HEALTH_ENDPOINT', value: ':13133' },
    ]);
    assert.deepEqual(side.ports, [{ name: 'otelcol-health', containerPort: 13133, protocol: 'TCP' }]);
    assert.deepEqual(side.livenessProbe, { httpGet: { path: '/', port: 'otelcol-health' }, initialDelaySeconds: 5, periodSeconds: 20, failureThreshold: 5 });
    assert.deepEqual(side.readinessProbe, { httpGet: { path: '/', port: 'otelcol-health' }, periodSeconds: 10, failureThreshold: 3 });
    assert.deepEqual(side.volumeMounts, [
      { name: 'collector-config', mountPath: '/etc/otelcol', readOnly: true }, { name: 'upstream-ca', mountPath: '/etc/otelcol/upstream-ca', readOnly: true },
    ]);
    assert.deepEqual(tpl.spec.volumes.find((x) => x.name === 'upstream-ca'), { name: 'upstream-ca', secret: { secretName: 'gateway-ca' } });
    assert.equal(side.securityContext.runAsNonRoot, true);
    assert.equal(side.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(side.securityContext.capabilities, { drop: ['ALL'] });
    const sm = find(objs, 'ServiceMonitor') as unknown as { spec: { endpoints: unknown[]; selector: { matchLabels: Record<string, string> } } };
    assert.deepEqual(sm.spec.endpoints, [{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    assert.equal(sm.spec.selector.matchLabels['app.kubernetes.io/component'], 'metrics');
  });

  it('crds.install=false renders no CRD; securityContext.sysAdmin=false drops SYS_ADMIN and sets no_new_privs', () => {
    const objs = docs(template(['--set', 'crds.install=false', '--set', 'securityContext.sysAdmin=false', '--set', 'securityContext.seccompUnconfined=false']).stdout);
    assert.equal(objs.filter((o) => o.kind === 'CustomResourceDefinition').length, 0);
    const agent = podSpec(objs).spec.containers[0]!;
    assert.deepEqual(agent.securityContext.capabilities?.add, DOCUMENTED_CAPS.filter((c) => c !== 'SYS_ADMIN'));
    assert.equal(agent.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(agent.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  });

  it('the sidecar collector starts with the chart\'s environment: health_check answers on :13133, the upstream CA is loaded', async function () {
    const otelcol = tool(this, 'otelcol-otelarmor');
    const objs = docs(template(['-f', values(ALL_ON)]).stdout);
    const side = podSpec(objs).spec.containers.find((c) => c.name === 'otel-collector')!;
    const col = find(objs, 'ConfigMap', 'oa-otelarmor-collector') as unknown as { data: { 'collector.yaml': string } };
    // The chart's paths below /etc/otelcol, re-rooted in a temp dir; the health port moved off 13133.
    const dir = mkdtempSync(path.join(tmp, 'otelcol-'));
    writeFileSync(path.join(dir, 'collector.yaml'), col.data['collector.yaml']);
    const ca = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'ca.key'), '-out', path.join(dir, 'ca.crt'), '-days', '1', '-subj', '/CN=otelarmor-test-ca']);
    assert.equal(ca.status, 0, String(ca.stderr));
    const port = await freePort();
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const e of side.env ?? []) env[e.name] = (e.value ?? '').replace('/etc/otelcol/upstream-ca', dir).replace(':13133', `:${port}`);
    assert.deepEqual(Object.keys(env).sort(), ['OTELARMOR_HEALTH_ENDPOINT', 'OTELARMOR_UPSTREAM_CA_FILE', 'OTELARMOR_UPSTREAM_ENDPOINT', 'OTELARMOR_UPSTREAM_INSECURE', 'PATH']);
    const p = spawn(otelcol, [`--config=${path.join(dir, 'collector.yaml')}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    try {
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await fetch(`http://127.0.0.1:${port}${(side.readinessProbe as { httpGet: { path: string } }).httpGet.path}`).then((r) => r.status, () => 0);
      }
      assert.equal(status, 200, stderr);
    } finally {
      p.kill('SIGTERM');
    }
    // A CA path that does not exist stops the collector at start, naming the file.
    env.OTELARMOR_UPSTREAM_CA_FILE = path.join(dir, 'missing.crt');
    const bad = spawnSync(otelcol, [`--config=${path.join(dir, 'collector.yaml')}`], { env, encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /failed to load CA CertPool File: failed to load cert .*missing\.crt/);
  });

  it('an external OTLP endpoint with a CA and a client certificate: otlpEndpoint, OTEL_EXPORTER_OTLP_{CERTIFICATE,CLIENT_CERTIFICATE,CLIENT_KEY}', () => {
    const objs = docs(template(['-f', values(OTLP_TLS)]).stdout);
    const cfg = YAML.parse((find(objs, 'ConfigMap', 'oa-otelarmor') as unknown as { data: { 'config.yaml': string } }).data['config.yaml']) as Record<string, unknown>;
    assert.equal(cfg.otlpEndpoint, 'https://otel.example:4317');
    const tpl = podSpec(objs);
    const agent = tpl.spec.containers[0]!;
    assert.deepEqual(agent.env?.slice(1), [
      { name: 'OTEL_EXPORTER_OTLP_CERTIFICATE', value: '/etc/otelarmor/otlp-ca/ca.crt' },
      { name: 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', value: '/etc/otelarmor/otlp-client/tls.crt' },
      { name: 'OTEL_EXPORTER_OTLP_CLIENT_KEY', value: '/etc/otelarmor/otlp-client/tls.key' },
    ]);
    assert.deepEqual((agent.volumeMounts ?? []).filter((m) => m.mountPath.startsWith('/etc/otelarmor/otlp')), [
      { name: 'otlp-ca', mountPath: '/etc/otelarmor/otlp-ca', readOnly: true }, { name: 'otlp-client', mountPath: '/etc/otelarmor/otlp-client', readOnly: true },
    ]);
    assert.deepEqual(tpl.spec.volumes.filter((x) => x.name.startsWith('otlp-')), [
      { name: 'otlp-ca', secret: { secretName: 'otel-ca' } }, { name: 'otlp-client', secret: { secretName: 'otelarmor-otlp-client' } },
    ]);
  });

  const failures: [string, string[], RegExp][] = [
    ['sidecar and an external endpoint', ['--set', 'collector.sidecar.enabled=true', '--set', 'collector.sidecar.upstream.endpoint=gw:4317', '--set', 'otlp.endpoint=http://x:4317'], /collector\.sidecar\.enabled and otlp\.endpoint are mutually exclusive/],
    ['sidecar without upstream', ['--set', 'collector.sidecar.enabled=true'], /collector\.sidecar\.enabled requires collector\.sidecar\.upstream\.endpoint/],
    ['gRPC TLS without a secret', ['--set', 'grpc.tls.enabled=true'], /grpc\.tls\.enabled requires grpc\.tls\.secretName/],
    ['an unknown config key', ['--set', 'config.visiblity=process'], /config\.visiblity: not an otelarmor config key/],
    ['a chart-derived config key', ['--set', 'config.grpcAddress=127.0.0.1:1'], /config\.grpcAddress: set by the chart/],
    ['ServiceMonitor without the metrics Service', ['--set', 'serviceMonitor.enabled=true', '--set', 'metrics.service.enabled=false'], /serviceMonitor\.enabled requires metrics\.service\.enabled/],
    ['an OTLP CA without an endpoint', ['--set', 'otlp.caSecret.name=ca'], /otlp\.caSecret\.name is set but otlp\.endpoint is empty/],
    ['an OTLP client certificate without an https:// endpoint', ['--set', 'otlp.endpoint=http://x:4317', '--set', 'otlp.clientCertSecret.name=c'], /otlp\.clientCertSecret\.name requires an https:\/\/ otlp\.endpoint/],
    ['an upstream CA without the sidecar', ['--set', 'collector.sidecar.upstream.caSecret.name=ca'], /collector\.sidecar\.upstream\.caSecret\.name is set but collector\.sidecar\.enabled is false/],
    ['an upstream CA with a plaintext upstream', ['--set', 'collector.sidecar.enabled=true', '--set', 'collector.sidecar.upstream.endpoint=gw:4317', '--set', 'collector.sidecar.upstream.insecure=true', '--set', 'collector.sidecar.upstream.caSecret.name=ca'], /contradict each other/],
  ];
  for (const [what, args, msg] of failures) {
    it(`helm template fails on ${what}`, () => {
      const t = template(args);
      assert.notEqual(t.status, 0);
      assert.match(t.stderr, msg);
    });
  }
});
