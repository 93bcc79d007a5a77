// Kernel-matrix conformance: `otelarmor run`, started as users start it, on the kernel this runs
// on (scripts/kernels.sh runs this file in a VM per entry of test/kernels/matrix.ts and on the
// host). What the kernel must give comes from the matrix entry, never from the agent's own
// probes. Three parts: start-up tells the truth (variant, hooks, features, enforcer mode); the
// test programs' events equal the same literal expectations on every kernel (pids and times
// aside); Block rules of a host policy, pushed to the running agent through its policy
// directory, are denied before they act with BPF-LSM (Enforcer BPFLSM, Result Permission
// denied) and give the documented fallback results without it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireRoot, ROOT } from '../helpers/env';
import { startAgent, JsonlTail, type Agent } from '../reliability/agent';
import { currentEntry, type MatrixEntry } from './matrix';

const prog = (name: string): string => path.join(ROOT, 'test', 'progs', 'build', name);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Ev = Record<string, unknown>;

/** Fields that differ between runs or machines (pids, times, node identity). */
const VOLATILE = ['Timestamp', 'UpdatedTime', 'HostPID', 'PID', 'HostPPID', 'PPID', 'NodeID', 'HostName', 'ClusterName'];
function stable(e: Ev): Ev {
  const out: Ev = {};
  for (const [k, v] of Object.entries(e)) if (!VOLATILE.includes(k)) out[k] = v;
  return out;
}

interface Run {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
}

function run(file: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ pid: child.pid ?? -1, code, signal, lines: out.split('\n').filter((l) => l) }));
  });
}

describe(`kernel matrix conformance (${process.env.OTELARMOR_MATRIX_ENTRY ?? 'host'}, ${os.release()})`, function () {
  this.timeout(300_000);
  let entry: MatrixEntry;
  let agent: Agent;
  let dir: string;
  let policies: string;
  let events: JsonlTail;
  let listener: Server;
  let port = 0;
  const node = os.hostname();

  /** Waits until `pred` holds for the events of `pid` read so far. The bound is generous: a TCG
   *  guest on a busy 2-CPU host runs the agent tens of times slower than the host does. */
  async function eventsOf(pid: number, pred: (evs: Ev[]) => boolean, what: string): Promise<Ev[]> {
    for (const until = Date.now() + 120_000; ;) {
      const evs = events.poll().filter((e) => e.HostPID === pid);
      if (pred(evs)) return evs;
      if (Date.now() > until) throw new Error(`${what}: got ${JSON.stringify(evs.map(stable), null, 1)}`);
      await sleep(100);
    }
  }

  /** Replaces the policy directory's content, then SIGHUP (the documented reload; the file
   *  watcher may reload on its own as well): resolves once a SIGHUP reload has loaded them. */
  async function applyPolicies(files: Record<string, string>): Promise<void> {
    for (const f of fs.readdirSync(policies)) fs.rmSync(path.join(policies, f));
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(policies, f), text);
    const done = new RegExp(`reload \\(SIGHUP\\) done: ${Object.keys(files).length} policies`, 'g');
    const before = agent.child.stderr().match(done)?.length ?? 0;
    agent.child.proc.kill('SIGHUP');
    for (const until = Date.now() + 180_000; (agent.child.stderr().match(done)?.length ?? 0) <= before;) {
      if (Date.now() > until) throw new Error(`no SIGHUP reload to ${Object.keys(files).length} policies:\n${agent.child.stderr().slice(-3000)}`);
      await sleep(100);
    }
  }

  before(async function () {
    requireRoot(this);
    entry = currentEntry();
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'oa-matrix-')));
    policies = path.join(dir, 'policies');
    fs.mkdirSync(policies);
    listener = createServer((c) => c.end());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    port = (listener.address() as { port: number }).port;
    const out = path.join(dir, 'events.jsonl');
    events = new JsonlTail(out, () => true);
    agent = await startAgent(['--output', `jsonl:${out}`, '--policies', policies, '--host-visibility', 'process,file,network,capabilities', '--alert-throttling', 'false'], { readyMs: 240_000 });
  });
  after(async () => {
    // The start-up lines go to the matrix report (scripts/kernels-report.ts).
    const out = process.env.OTELARMOR_MATRIX_OUT;
    if (out && agent) {
      const lines = agent.child.stderr().split('\n').filter((l) => /^otelarmor: (kernel|hooks:|enforcer: (?!detected))/.test(l));
      fs.writeFileSync(path.join(out, 'agent-startup.txt'), `${lines.join('\n')}\n`);
    }
    await agent?.stop('SIGTERM', 30_000);
    listener?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('start-up: the sensors variant, the capability hook, the kernel features and the enforcer mode the entry expects; every hook attached', async () => {
    const out = agent.child.stderr();
    const x = entry.expect;
    const variantFile = x.variant === 'btf-cast' ? 'sensors.bpf.o' : 'sensors-probe-read.bpf.o';
    assert.match(out, new RegExp(`^otelarmor: kernel ${os.release().replace(/[.+]/g, '\\$&')}: sensors ${variantFile.replace(/\./g, '\\.')} \\(${x.variant}: `, 'm'));
    assert.match(out, new RegExp(`^otelarmor: kernel: capabilities hook: ${x.capHook}( \\(|$)`, 'm'));
    assert.match(out, new RegExp(`^otelarmor: enforcer: ${x.enforcer.replace(/\+/g, '\\+')}: `, 'm'));
    assert.doesNotMatch(out, /^otelarmor: hook \S+: NOT attached/m);
    const text = await agent.scrape();
    const feats = Object.fromEntries([...text.matchAll(/^otelarmor_kernel_feature\{feature="(\w+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
    assert.deepEqual(feats, x.features);
    const modes = Object.fromEntries([...text.matchAll(/^otelarmor_enforcer_mode\{mode="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
    assert.deepEqual(modes, { 'bpf-lsm': x.enforcer === 'bpf-lsm' ? 1 : 0, 'kill-on-attempt+cgroup': x.enforcer === 'kill-on-attempt+cgroup' ? 1 : 0, 'audit-only': 0 });
    const probes = [...text.matchAll(/^otelarmor_probe_attached\{program="([^"]+)"\} (-?\d+)$/gm)].filter((m) => m[2] === '0').map((m) => m[1]);
    assert.deepEqual(probes, [], 'no program failed to load or attach');
    // Every missing feature is named with its cost.
    for (const [f, v] of Object.entries(x.features)) {
      if (v === 0 && f !== 'fexit_cap_capable') assert.match(out, new RegExp(`^otelarmor: kernel: .*missing`, 'm'), f);
    }
  });

  it('events: a file tester, a network tester and a capability check give the same KubeArmor events on every kernel', async () => {
    const fileops = prog('fileops');
    const f = path.join(dir, 'f.txt');
    const r = await run(fileops, ['open', '/etc/hostname', '0', '0', 'open', f, String(0o101), '420', 'chmod', f, '384', 'chown', f, '1000', '1000', 'unlink', f], dir);
    assert.deepEqual(r.lines, ['open 3', 'open 4', 'chmod 0', 'chown 0', 'unlink 0']);
    const base = {
      Type: 'HostLog', UID: 0, Source: `${fileops} open /etc/hostname 0 0 open ${f} 65 420 chmod ${f} 384 chown ${f} 1000 1000 unlink ${f}`,
      ParentProcessName: fs.realpathSync(process.execPath), ProcessName: fileops, Cwd: `${dir}/`,
      ExecEvent: { ExecID: '0', ExecutableName: 'fileops' }, UserName: 'root',
    };
    const wanted = (e: Ev) => (e.Operation === 'File' && (e.Resource === '/etc/hostname' || e.Resource === f)) || (e.Operation === 'Capabilities' && e.Resource === 'CAP_CHOWN');
    const evs = (await eventsOf(r.pid, (es) => es.filter(wanted).length >= 6, 'fileops events')).filter(wanted).map(stable);
    assert.deepEqual(evs, [
      { ...base, Operation: 'File', Resource: '/etc/hostname', Data: 'syscall=SYS_OPEN flags=O_RDONLY', Result: 'Passed', EventData: { Flags: 'O_RDONLY', Syscall: 'SYS_OPEN' } },
      { ...base, Operation: 'File', Resource: f, Data: 'syscall=SYS_OPEN flags=O_WRONLY|O_CREAT', Result: 'Passed', EventData: { Flags: 'O_WRONLY|O_CREAT', Syscall: 'SYS_OPEN' } },
      { ...base, Operation: 'File', Resource: f, Data: 'syscall=SYS_CHMOD mode=384', Result: 'Passed', EventData: { Mode: '384', Syscall: 'SYS_CHMOD' } },
      { ...base, Operation: 'Capabilities', Resource: 'CAP_CHOWN', Data: 'lsm=CAPABLE CAP_CHOWN', Result: 'Passed', EventData: { Lsm: 'CAPABLE' } },
      { ...base, Operation: 'File', Resource: f, Data: 'syscall=SYS_CHOWN userid=1000 group=1000', Result: 'Passed', EventData: { Group: '1000', Syscall: 'SYS_CHOWN', Userid: '1000' } },
      { ...base, Operation: 'File', Resource: f, Data: 'syscall=SYS_UNLINK', Result: 'Passed', EventData: { Syscall: 'SYS_UNLINK' } },
    ]);

    const net = prog('enforce-net');
    const n = await run(net, ['tcp', String(port)], dir);
    assert.deepEqual(n.lines, ['connect 0']);
    const nevs = (await eventsOf(n.pid, (es) => es.filter((e) => e.Operation === 'Network').length >= 2, 'enforce-net events')).filter((e) => e.Operation === 'Network').map(stable);
    const nbase = { ...base, Source: `${net} tcp ${port}`, ProcessName: net, ExecEvent: { ExecID: '0', ExecutableName: 'enforce-net' } };
    assert.deepEqual(nevs, [
      { ...nbase, Operation: 'Network', Resource: 'domain=AF_INET type=SOCK_STREAM protocol=TCP', Data: 'syscall=SYS_SOCKET', Result: 'Passed', EventData: { Domain: 'AF_INET', Protocol: 'TCP', Syscall: 'SYS_SOCKET', Type: 'SOCK_STREAM' } },
      { ...nbase, Operation: 'Network', Resource: `sa_family=AF_INET sin_port=${port} sin_addr=127.0.0.1`, Data: 'syscall=SYS_CONNECT fd=3', Result: 'Passed', EventData: { Fd: '3', Sa_family: 'AF_INET', Sin_addr: '127.0.0.1', Sin_port: String(port), Syscall: 'SYS_CONNECT' } },
    ]);
  });

  it('Block rules of a host policy pushed to the running agent: denied before they act with BPF-LSM, the documented fallback without; an update and a delete take effect', async function () {
    this.timeout(1_200_000);
    const lsm = entry.expect.enforcer === 'bpf-lsm';
    const [marker, execer, reader, fileops, net] = ['enforce-marker', 'execer', 'enforce-read', 'fileops', 'enforce-net'].map(prog) as [string, string, string, string, string];
    const secret = path.join(dir, 'secret');
    const locked = path.join(dir, 'locked');
    const free = path.join(dir, 'free.txt');
    fs.writeFileSync(secret, 'do-not-print');
    fs.mkdirSync(path.join(locked, 'sub'), { recursive: true });
    for (const f of ['a.txt', 'c.txt', 'd.txt', 'e.txt']) fs.writeFileSync(path.join(locked, f), f);
    fs.writeFileSync(free, 'x');
    const policy = (fileRules: string) => `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: matrix-block
spec:
  nodeSelector:
    matchLabels:
      kubearmor.io/hostname: "*"
  severity: 7
  message: kernel matrix
  process:
    matchPaths:
    - path: ${marker}
  file:
${fileRules}
  network:
    matchProtocols:
    - protocol: tcp
      fromSource:
      - path: ${net}
  capabilities:
    matchCapabilities:
    - capability: chown
      fromSource:
      - path: ${fileops}
  action: Block
`;
    await applyPolicies({ 'block.yaml': policy(`    matchPaths:
    - path: ${secret}
    matchDirectories:
    - dir: ${locked}/
      recursive: true`) });

    const alertOf = async (pid: number, op: string): Promise<Ev> => {
      const evs = await eventsOf(pid, (es) => es.some((e) => e.PolicyName === 'matrix-block' && e.Operation === op), `${op} alert`);
      return evs.find((e) => e.PolicyName === 'matrix-block' && e.Operation === op)!;
    };
    const verdict = (a: Ev) => [a.Type, a.Action, a.Enforcer, a.Result];
    const denied = ['MatchedHostPolicy', 'Block', 'BPFLSM', 'Permission denied'];
    const killed = ['MatchedHostPolicy', 'Block', 'KillOnAttempt', 'Passed'];

    // exec: the blocked binary never runs.
    const ex = await run(execer, [marker, 'enforce-marker', 'hello'], dir);
    const exa = await alertOf(ex.pid, 'Process');
    assert.equal(exa.Resource, `${marker} hello`);
    if (lsm) {
      assert.deepEqual([ex.lines, ex.code], [['execve -13'], 1]);
      assert.deepEqual(verdict(exa), denied);
    } else {
      assert.deepEqual([ex.lines, ex.signal], [[], 'SIGKILL']);
      assert.deepEqual(verdict(exa), killed);
    }

    // open: nothing read; a write-open of a new name inside the directory creates nothing.
    const rd = await run(reader, [secret], dir);
    const rda = await alertOf(rd.pid, 'File');
    assert.deepEqual([rda.Resource, rda.Data], [secret, 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY']);
    const created = path.join(locked, 'new.txt');
    const cr = await run(fileops, ['open', created, String(0o101), '420'], dir);
    const cra = await alertOf(cr.pid, 'File');
    assert.deepEqual([cra.Resource, cra.Data], [created, 'syscall=SYS_OPEN flags=O_WRONLY|O_CREAT']);
    if (lsm) {
      assert.deepEqual(rd.lines, ['open -13']);
      assert.deepEqual(verdict(rda), denied);
      assert.deepEqual(cr.lines, ['open -13']);
      assert.equal(fs.existsSync(created), false, 'nothing created');
      assert.deepEqual(verdict(cra), denied);
    } else {
      assert.deepEqual([rd.lines, rd.signal], [[], 'SIGKILL']);
      assert.deepEqual(verdict(rda), killed);
      assert.deepEqual([cr.lines, cr.signal], [[], 'SIGKILL']);
      assert.equal(fs.existsSync(created), true, 'kill-on-attempt: the open already created the file');
    }

    // connect from the rule's source: EACCES before it acts in both modes (cgroup sock_addr without BPF-LSM).
    const c = await run(net, ['tcp', String(port)], dir);
    assert.deepEqual(c.lines, ['connect -13']);
    const ca = await eventsOf(c.pid, (es) => es.some((e) => e.PolicyName === 'matrix-block' && e.Data === 'syscall=SYS_CONNECT fd=3'), 'connect alert');
    assert.deepEqual(verdict(ca.find((e) => e.Data === 'syscall=SYS_CONNECT fd=3')!), ['MatchedHostPolicy', 'Block', lsm ? 'BPFLSM' : 'CgroupSockAddr', 'Permission denied']);

    // Path operations inside the blocked directory (this process only looks: its own writes there
    // would be refused or, without BPF-LSM, killed).
    const ops: { args: string[]; line: string; target: string; data: string; changed: () => boolean; reported: boolean }[] = [
      { args: ['unlink', path.join(locked, 'a.txt')], line: 'unlink', target: path.join(locked, 'a.txt'), data: 'syscall=SYS_UNLINK', changed: () => !fs.existsSync(path.join(locked, 'a.txt')), reported: true },
      { args: ['rmdir', path.join(locked, 'sub')], line: 'rmdir', target: path.join(locked, 'sub'), data: 'syscall=SYS_RMDIR', changed: () => !fs.existsSync(path.join(locked, 'sub')), reported: true },
      { args: ['chmod', path.join(locked, 'c.txt'), '384'], line: 'chmod', target: path.join(locked, 'c.txt'), data: 'syscall=SYS_CHMOD mode=384', changed: () => (fs.statSync(path.join(locked, 'c.txt')).mode & 0o777) === 0o600, reported: true },
      { args: ['lchown', path.join(locked, 'd.txt'), '0', '0'], line: 'lchown', target: path.join(locked, 'd.txt'), data: 'syscall=SYS_LCHOWN userid=0 group=0', changed: () => false, reported: true },
      { args: ['mkdir', path.join(locked, 'm'), '493'], line: 'mkdir', target: path.join(locked, 'm'), data: 'syscall=SYS_MKDIR mode=493', changed: () => fs.existsSync(path.join(locked, 'm')), reported: lsm },
      { args: ['rename', path.join(locked, 'e.txt'), path.join(dir, 'e.txt')], line: 'rename', target: path.join(locked, 'e.txt'), data: 'syscall=SYS_RENAME', changed: () => !fs.existsSync(path.join(locked, 'e.txt')), reported: lsm },
    ];
    for (const o of ops) {
      const r = await run(fileops, o.args, dir);
      if (lsm) {
        assert.deepEqual(r.lines, [`${o.line} -13`], o.line);
        assert.equal(o.changed(), false, `${o.line}: nothing changed`);
      } else if (o.reported) {
        assert.deepEqual([r.lines, r.signal], [[], 'SIGKILL'], o.line);
      } else {
        // No sensor hooks mkdir/rename: without BPF-LSM they are neither stopped nor reported.
        assert.deepEqual(r.lines, [`${o.line} 0`], o.line);
        assert.equal(o.changed(), true, o.line);
        continue;
      }
      const a = await alertOf(r.pid, 'File');
      assert.deepEqual([a.Resource, a.Data, ...verdict(a)], [o.target, o.data, ...(lsm ? denied : killed)], o.line);
    }

    // Capability from the rule's source: refused by BPF-LSM's capable hook (chown fails EPERM).
    const cp = await run(fileops, ['chown', free, '1000', '1000'], dir);
    const cpa = await alertOf(cp.pid, 'Capabilities');
    assert.deepEqual([cpa.Resource, cpa.Data], ['CAP_CHOWN', 'lsm=CAPABLE CAP_CHOWN']);
    if (lsm) {
      assert.deepEqual(cp.lines, ['chown -1']);
      assert.equal(fs.statSync(free).uid, 0, 'owner unchanged');
      assert.deepEqual(verdict(cpa), denied);
    } else {
      assert.deepEqual([cp.lines, cp.signal], [[], 'SIGKILL']);
      assert.deepEqual(verdict(cpa), killed);
    }

    // Update: the secret rule is gone, the directory rule stays.
    await applyPolicies({ 'block.yaml': policy(`    matchDirectories:
    - dir: ${locked}/
      recursive: true`) });
    const rd2 = await run(reader, [secret], dir);
    assert.deepEqual(rd2.lines, ['open 3', 'data do-not-print']);
    const un2 = await run(fileops, ['unlink', path.join(locked, 'c.txt')], dir);
    assert.deepEqual(un2.lines, lsm ? ['unlink -13'] : []);
    // Delete: everything passes again.
    await applyPolicies({});
    const ex3 = await run(execer, [marker, 'enforce-marker', 'again'], dir);
    assert.deepEqual([ex3.lines, ex3.code], [['marker again'], 0]);
    const un3 = await run(fileops, ['unlink', path.join(locked, 'd.txt')], dir);
    assert.deepEqual(un3.lines, ['unlink 0']);
  });
});
