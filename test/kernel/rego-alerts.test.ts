// Real behaviour on this host → real sensors → Enricher → RegoEngine (default pack compiled by the
// real opa) → alert events. Root and the built BPF object/addon are required (test/helpers/env.ts).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentEvent } from '../../src/events/types';
import { KernelSensors } from '../../src/kernel/sensors';
import { AgentMetrics } from '../../src/metrics/metrics';
import { buildRules } from '../../src/rego/build';
import { RegoEngine } from '../../src/rego/engine';
import { Enricher } from '../../src/sensors/index';
import { execAlerts, requireFile, requireRoot, ROOT, tool } from '../helpers/env';

function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(file, args, { stdio: 'ignore', env });
    c.on('error', reject);
    c.on('close', () => resolve(c.pid ?? -1));
  });
}

// Copies /bin/true into a memfd and executes it through /proc/self/fd/<n>: nothing on disk.
const MEMFD_EXEC_C = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void) {
	char buf[65536], path[64];
	int fd = memfd_create("payload", 0), in = open("/bin/true", O_RDONLY);
	ssize_t n;
	if (fd < 0 || in < 0) return 2;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(fd, buf, n) != n) return 2;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	char *argv[] = { "payload", NULL }, *envp[] = { NULL };
	execve(path, argv, envp);
	return 3;
}
`;

describe('rego alerts from real kernel events', function () {
  this.timeout(60000);
  let sensors: KernelSensors | undefined;
  let dir: string;
  const alerts: AgentEvent[] = [];
  let engine: RegoEngine;

  before(async function () {
    requireRoot(this);
    requireFile(this, 'bpf/.output/sensors.bpf.o');
    requireFile(this, 'native/build/otelarmor.node');
    const opa = tool(this, 'opa');
    dir = mkdtempSync(path.join(os.tmpdir(), 'otelarmor-rego-kernel-'));
    const bundle = path.join(dir, 'default-bundle.tar.gz');
    buildRules(path.join(ROOT, 'policies', 'rego'), bundle, opa);
    const metrics = new AgentMetrics();
    engine = await RegoEngine.load([bundle], { metrics });
    const enricher = new Enricher({ clusterName: 'default', hostName: os.hostname(), nodeId: 'test', metrics });
    enricher.seedFromProc();
    sensors = KernelSensors.open({ ringbufBytes: 16 * 1024 * 1024 });
    const failed = sensors.attachAll().filter((r) => !r.attached);
    if (failed.length) throw new Error(`attach failed: ${failed.map((f) => `${f.program}: ${f.error}`).join('; ')}`);
    sensors.setVisibility(0, 0, ['process', 'file', 'network', 'capabilities', 'syscall']);
    sensors.start((recs) => {
      const batch = enricher.enrich(recs);
      for (const e of engine.process(batch).slice(batch.length)) alerts.push(e);
    });
  });

  after(async () => {
    await sensors?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function alertFor(policy: string, pid: number): Promise<AgentEvent> {
    for (let k = 0; k < 100; k++) {
      const a = alerts.find((e) => e.ka.PolicyName === policy && e.ka.HostPID === pid);
      if (a) return a;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${policy} alert for pid ${pid}; got ${alerts.map((a) => `${a.ka.PolicyName}/${a.ka.HostPID}`).join(', ')}`);
  }

  it('echo >> $HOME/.bashrc under a temporary HOME → rego:shell_config_modified', async () => {
    const home = path.join(dir, 'home');
    const pid = await run('/bin/bash', ['-c', 'mkdir -p "$HOME" && echo "alias ll=\'ls -l\'" >> "$HOME/.bashrc"'], { PATH: '/usr/bin:/bin', HOME: home });
    const a = await alertFor('rego:shell_config_modified', pid);
    assert.equal(a.ka.Type, 'MatchedHostPolicy');
    assert.equal(a.ka.Operation, 'File');
    assert.equal(a.ka.Resource, `${home}/.bashrc`);
    assert.equal(a.ka.ProcessName, '/usr/bin/bash');
    assert.equal(a.ka.Severity, '6');
    assert.equal(a.ka.Tags, 'MITRE,MITRE_TA0003_persistence,T1546.004');
    assert.deepEqual(a.ka.ATags, ['MITRE', 'MITRE_TA0003_persistence', 'T1546.004']);
    assert.equal(a.ka.Message, `Shell configuration file ${home}/.bashrc modified by /usr/bin/bash`);
    assert.equal(a.ka.Action, 'Audit');
    assert.equal(a.ka.Enforcer, 'OPA');
    assert.equal(a.extras.openFlags! & 0o2001, 0o2001); // O_WRONLY | O_APPEND
  });

  it('a tester binary named nc run with -e → rego:netcat_remote_code_execution', async () => {
    const nc = path.join(dir, 'nc');
    copyFileSync('/bin/true', nc);
    const pid = await run(nc, ['-e', '/bin/sh', '127.0.0.1', '4444']);
    const a = await alertFor('rego:netcat_remote_code_execution', pid);
    assert.equal(a.ka.Type, 'MatchedHostPolicy');
    assert.equal(a.ka.Operation, 'Process');
    assert.equal(a.ka.Severity, '9');
    assert.equal(a.ka.Message, `Netcat runs a program for the network peer: ${nc} -e /bin/sh 127.0.0.1 4444`);
    assert.deepEqual(a.ka.ATags, ['MITRE', 'MITRE_TA0002_execution', 'T1059', 'T1095']);
    assert.equal(a.ka.Enforcer, 'OPA');
  });

  it('a non-root tester calling setuid(0) → rego:setuid_root (EPERM, uid 1000)', async function () {
    const syscaller = realpathSync(requireFile(this, 'test/progs/build/syscaller'));
    const r = spawnSync(syscaller, ['--as', '1000', 'setuid', '0'], { encoding: 'utf8' });
    assert.equal(r.stdout, 'setuid -1\n'); // -EPERM
    const a = await alertFor('rego:setuid_root', r.pid);
    assert.equal(a.ka.Type, 'MatchedHostPolicy');
    assert.equal(a.ka.Operation, 'Syscall');
    assert.equal(a.ka.Data, 'syscall=SYS_SETUID userid=0');
    assert.equal(a.ka.Result, 'Operation not permitted');
    assert.equal(a.ka.UID, 1000);
    assert.equal(a.ka.ProcessName, syscaller);
    assert.equal(a.ka.Severity, '8');
    assert.deepEqual(a.ka.ATags, ['MITRE', 'MITRE_TA0004_privilege_escalation', 'T1548.001']);
    assert.equal(a.ka.Message, `setuid(0) by uid 1000 in ${syscaller} (Operation not permitted)`);
    assert.equal(a.ka.Action, 'Audit');
    assert.equal(a.ka.Enforcer, 'OPA');
    // The tester's own privilege drop (setuid(1000) as root) raised nothing.
    assert.deepEqual(alerts.filter((e) => e.ka.HostPID === r.pid).map((e) => e.ka.PolicyName), [...execAlerts(syscaller), 'rego:setuid_root']);
  });

  it('PTRACE_ATTACH to a running sleep → rego:ptrace_attach', async function () {
    const syscaller = realpathSync(requireFile(this, 'test/progs/build/syscaller'));
    const sleep = realpathSync('/bin/sleep');
    const target = spawn(sleep, ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200)); // its exec reached the process tree
      const r = spawnSync(syscaller, ['ptrace', '16', String(target.pid)], { encoding: 'utf8' }); // PTRACE_ATTACH
      assert.equal(r.stdout, 'ptrace 0\n');
      const a = await alertFor('rego:ptrace_attach', r.pid);
      const data = `syscall=SYS_PTRACE request=PTRACE_ATTACH pid=${target.pid} process=${sleep}`;
      assert.equal(a.ka.Type, 'MatchedHostPolicy');
      assert.equal(a.ka.Operation, 'Process');
      assert.equal(a.ka.Resource, sleep);
      assert.equal(a.ka.Data, data);
      assert.equal(a.ka.ProcessName, syscaller);
      assert.equal(a.ka.Severity, '8');
      assert.deepEqual(a.ka.ATags, ['MITRE', 'MITRE_TA0004_privilege_escalation', 'T1055.008']);
      assert.equal(a.ka.Message, `ptrace PTRACE_ATTACH by ${syscaller} (${data})`);
      assert.equal(a.ka.Enforcer, 'OPA');
    } finally {
      target.kill('SIGKILL');
    }
  });

  it('an ELF copied into a memfd and executed via /proc/self/fd → rego:fileless_execution', async function () {
    const src = path.join(dir, 'memfd-exec.c');
    const bin = path.join(dir, 'memfd-exec');
    writeFileSync(src, MEMFD_EXEC_C);
    const cc = spawnSync('cc', ['-O2', '-Wall', '-Werror', '-o', bin, src], { encoding: 'utf8' });
    if (cc.error) throw new Error(`cc is needed to build the memfd tester (as for test/progs): ${cc.error.message}`);
    assert.equal(cc.status, 0, cc.stderr);
    const pid = await run(bin, []);
    const a = await alertFor('rego:fileless_execution', pid);
    assert.equal(a.ka.Type, 'MatchedHostPolicy');
    assert.equal(a.ka.Operation, 'Process');
    assert.equal(a.extras.syscall, 'execve');
    assert.deepEqual(a.extras.args, ['payload']);
    assert.equal(a.ka.ProcessName, '/memfd:payload');
    assert.equal(a.ka.Resource, '/memfd:payload');
    assert.equal(a.ka.ParentProcessName, realpathSync(process.execPath));
    assert.equal(a.ka.Severity, '9');
    assert.deepEqual(a.ka.ATags, ['MITRE', 'MITRE_TA0005_defense_evasion', 'T1620', 'T1027']);
    assert.equal(a.ka.Message, `Fileless execution of /memfd:payload by ${realpathSync(process.execPath)}`);
  });

  it('a job written to /etc/cron.d and removed again → rego:crontab_modified, twice', async function () {
    if (!existsSync('/etc/cron.d')) throw new Error('/etc/cron.d is missing on this host');
    const job = `/etc/cron.d/otelarmor-test-${process.pid}`;
    const bash = realpathSync('/bin/bash');
    const rm = realpathSync('/bin/rm');
    try {
      const wpid = await run(bash, ['-c', `echo '# otelarmor test: no schedule' > ${job}`]);
      assert.equal(readFileSync(job, 'utf8'), '# otelarmor test: no schedule\n');
      const w = await alertFor('rego:crontab_modified', wpid);
      assert.equal(w.ka.Type, 'MatchedHostPolicy');
      assert.equal(w.ka.Operation, 'File');
      assert.equal(w.ka.Resource, job);
      assert.equal(w.ka.ProcessName, bash);
      assert.equal(w.extras.openFlags! & 0o1103, 0o1101); // O_WRONLY | O_CREAT | O_TRUNC
      assert.equal(w.ka.Severity, '6');
      assert.deepEqual(w.ka.ATags, ['MITRE', 'MITRE_TA0003_persistence', 'T1053.003']);
      assert.equal(w.ka.Message, `Cron table modified: ${job} by ${bash}`);
      const rpid = await run(rm, [job]);
      const u = await alertFor('rego:crontab_modified', rpid);
      assert.equal(u.extras.syscall, 'unlinkat');
      assert.equal(u.ka.Message, `Cron table modified: ${job} by ${rm}`);
      // The more specific rule wins: no write_below_etc for the same events.
      assert.deepEqual(alerts.filter((e) => e.ka.HostPID === wpid || e.ka.HostPID === rpid).map((e) => e.ka.PolicyName).filter((n) => n !== 'rego:crontab_modified'), []);
    } finally {
      rmSync(job, { force: true });
    }
  });

  it('cat /etc/shadow → rego:credential_file_read', async () => {
    const pid = await run('/usr/bin/cat', ['/etc/shadow']);
    const a = await alertFor('rego:credential_file_read', pid);
    assert.equal(a.ka.Type, 'MatchedHostPolicy');
    assert.equal(a.ka.Operation, 'File');
    assert.equal(a.ka.Resource, '/etc/shadow');
    assert.equal(a.ka.ProcessName, '/usr/bin/cat');
    assert.equal(a.ka.Severity, '8');
    assert.equal(a.ka.Message, 'Credential file /etc/shadow opened by /usr/bin/cat');
    assert.equal(a.ka.PolicyName, 'rego:credential_file_read');
  });
});
