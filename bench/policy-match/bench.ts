// µs per event of the KubeArmor policy stage (PolicyEngine.process) in user space, measured in
// one run over a realistic policy set (the repo's example and fixture policies plus a generated
// set of 40 policies / ~600 rules over 20 workloads) and a mixed event stream (file 60 %,
// process 15 %, network 15 %, capabilities 5 %, syscall 5 %), batches of 256.
// Prints the steady-state cost (this mix turns ~46 % of events into alerts), the cost for the
// events that stay logs, the cost with per-container indexes rebuilt on every batch (a
// policy reload per batch: the worst case), and the ratio to the 1 µs/event target.
//   node dist/bench/policy-match/bench.js [events=200000]
import * as path from 'node:path';
import { defaultConfig } from '../../src/config';
import type { AgentEvent, KubeArmorEvent } from '../../src/events/types';
import { AgentMetrics } from '../../src/metrics/metrics';
import { PolicyEngine } from '../../src/policy/engine';
import { PolicyStore } from '../../src/policy/store';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const TARGET_US = 1;
const BATCH = 256;
const N = Number(process.argv[2] ?? 200_000);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

function generatedPolicies(): unknown[] {
  const out: unknown[] = [];
  for (let w = 0; w < 20; w++) {
    const app = `svc-${w}`;
    out.push({
      apiVersion: 'security.kubearmor.com/v1', kind: 'KubeArmorPolicy', metadata: { name: `${app}-deny`, namespace: 'prod' },
      spec: {
        selector: { matchLabels: { app } }, action: 'Block', severity: 5, tags: ['MITRE'],
        file: {
          matchPaths: Array.from({ length: 12 }, (_, i) => ({ path: `/etc/${app}/secret-${i}.conf`, ...(i % 3 === 0 ? { fromSource: [{ path: '/bin/cat' }] } : {}) })),
          matchDirectories: [{ dir: `/var/lib/${app}/keys/`, recursive: true }, { dir: '/run/secrets/' }],
          matchPatterns: [{ pattern: `/tmp/${app}-*.sock`, action: 'Audit' }],
        },
        process: { matchPaths: [{ path: '/usr/bin/nc' }, { path: '/usr/bin/nmap' }], matchDirectories: [{ dir: '/tmp/', recursive: true }] },
        network: { matchProtocols: [{ protocol: 'raw' }, { protocol: 'icmp', fromSource: [{ path: '/bin/ping' }], action: 'Audit' }] },
        capabilities: { matchCapabilities: [{ capability: 'sys_admin,sys_module' }] },
        syscalls: { matchSyscalls: [{ syscall: ['unlink', 'rmdir'], fromSource: [{ dir: '/usr/bin/' }] }] },
      },
    });
    out.push({
      apiVersion: 'security.kubearmor.com/v1', kind: 'KubeArmorPolicy', metadata: { name: `${app}-allow`, namespace: 'prod' },
      spec: {
        selector: { matchLabels: { app, tier: 'allow' } }, action: 'Allow',
        process: { matchPaths: [{ path: `/usr/local/bin/${app}` }, { path: '/bin/sh' }], matchDirectories: [{ dir: '/usr/lib/', recursive: true }] },
        file: { matchDirectories: [{ dir: '/app/', recursive: true }, { dir: '/etc/', readOnly: true }, { dir: '/usr/lib/', recursive: true, readOnly: true }] },
        network: { matchProtocols: [{ protocol: 'tcp' }, { protocol: 'udp', fromSource: [{ path: `/usr/local/bin/${app}` }] }] },
      },
    });
  }
  return out;
}

function events(n: number): AgentEvent[] {
  const r = rng(42);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)] as T;
  const files = ['/etc/passwd', '/etc/hosts', '/etc/ld.so.cache', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/app/data/cache/item.json',
    '/proc/self/status', '/run/secrets/token', '/tmp/svc-3-a.sock', '/var/lib/svc-2/keys/a/b.pem', '/etc/svc-1/secret-4.conf', '/dev/null',
    '/usr/share/zoneinfo/UTC', '/home/app/.cache/x', '/etc/resolv.conf'];
  const procs = ['/bin/sh', '/usr/bin/curl', '/usr/local/bin/svc-1', '/usr/bin/nc', '/tmp/x/y', '/usr/lib/git-core/git', '/bin/ls'];
  const nets = ['domain=AF_INET type=SOCK_STREAM|SOCK_CLOEXEC protocol=TCP', 'domain=AF_INET type=SOCK_DGRAM protocol=UDP', 'domain=AF_INET type=SOCK_RAW protocol=ICMP', 'sa_family=AF_INET sin_port=443 sin_addr=10.0.0.1'];
  const out: AgentEvent[] = [];
  for (let i = 0; i < n; i++) {
    const w = Math.floor(r() * 20);
    const allow = w % 2 === 0;
    const x = r();
    const proc = pick(procs);
    const ka: KubeArmorEvent = {
      Timestamp: 1784900000, UpdatedTime: '2026-07-24T12:13:20.123456Z', ClusterName: 'default', HostName: 'node-a',
      NamespaceName: 'prod', PodName: `svc-${w}-0`, Labels: allow ? `app=svc-${w},tier=allow` : `app=svc-${w}`, ContainerID: `c${w}`,
      ContainerName: 'main', HostPPID: 100, HostPID: 200 + i, PPID: 1, PID: 7, UID: 0, Type: 'ContainerLog', Operation: 'File',
      Result: 'Passed', ProcessName: proc, ParentProcessName: '/bin/sh', Source: `${proc} arg`,
    };
    let syscall = 'openat';
    let openFlags: number | undefined = r() < 0.8 ? 0 : 1;
    if (x < 0.6) { ka.Resource = pick(files); ka.Data = openFlags === 0 ? 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY' : 'syscall=SYS_OPENAT fd=-100 flags=O_WRONLY'; }
    else if (x < 0.75) { ka.Operation = 'Process'; ka.Resource = `${proc} -x`; syscall = 'execve'; openFlags = undefined; }
    else if (x < 0.9) { ka.Operation = 'Network'; ka.Resource = pick(nets); syscall = 'socket'; openFlags = undefined; }
    else if (x < 0.95) { ka.Operation = 'Capabilities'; ka.Resource = pick(['CAP_NET_RAW', 'CAP_SYS_ADMIN', 'CAP_CHOWN']); syscall = 'capable'; openFlags = undefined; }
    else { ka.Resource = '/tmp/f'; ka.Data = 'syscall=SYS_UNLINK'; syscall = 'unlink'; openFlags = undefined; ka.ProcessName = '/usr/bin/rm'; ka.Source = '/usr/bin/rm /tmp/f'; }
    out.push({
      ka, timeNs: 0n, observedNs: 0n,
      extras: { syscall, retval: 0, ancestry: [], pidNs: 4026532000 + w, mntNs: 4026533000 + w, cgroupId: String(w), ...(openFlags !== undefined ? { openFlags } : {}) },
    });
  }
  return out;
}

function run(engine: PolicyEngine, evs: AgentEvent[], reload?: () => void): { us: number; alerts: number } {
  let alerts = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < evs.length; i += BATCH) {
    reload?.();
    // process() replaces matched events, never mutates its input: the same events can be replayed.
    const out = engine.process(evs.slice(i, i + BATCH));
    for (const e of out) if (e.ka.Type === 'MatchedPolicy') alerts++;
  }
  return { us: Number(process.hrtime.bigint() - t0) / 1e3 / evs.length, alerts };
}

function main(): void {
  const store = new PolicyStore();
  const rep = store.load([path.join(ROOT, 'policies/examples'), path.join(ROOT, 'test/fixtures/policies/valid')]);
  if (rep.errors.length) throw new Error(rep.errors.join('\n'));
  store.replaceSource('bench', generatedPolicies());
  const engine = new PolicyEngine({
    store, config: { ...defaultConfig(), alertThrottling: false }, metrics: new AgentMetrics(), hostName: 'node-a',
    hostLabels: {}, enforcerCanBlock: true, lsmActive: false,
  });
  const evs = events(N);
  run(engine, evs.slice(0, 20_000)); // warm-up (JIT, indexes)
  const steady = run(engine, evs);
  // The events that stay logs (most of production traffic: no rule and no posture applies).
  const quiet = evs.filter((e) => engine.process([e])[0] === e);
  run(engine, quiet.slice(0, 20_000));
  const logs = run(engine, quiet);
  const gen = generatedPolicies();
  const cold = run(engine, evs.slice(0, Math.min(evs.length, 20_000)), () => store.replaceSource('bench', gen));
  const rules = store.snapshot.rules.length;
  process.stdout.write(
    `policy-match: ${store.snapshot.policies.length} policies, ${rules} rules, ${evs.length} events, batch ${BATCH}\n` +
    `  steady state           ${steady.us.toFixed(3)} µs/event (${steady.alerts} alerts)\n` +
    `  events staying logs    ${logs.us.toFixed(3)} µs/event (${quiet.length} events)\n` +
    `  reload every batch     ${cold.us.toFixed(3)} µs/event (index rebuilt per container per batch)\n` +
    `  target ${TARGET_US} µs/event: steady/target = ${(steady.us / TARGET_US).toFixed(2)} (${steady.us <= TARGET_US ? 'met' : 'NOT met'})\n`,
  );
}

main();
