// Enforcer mode detection and fallback against the real kernel, and the rule-map wire layout
// checked against the compiled object's BTF. BPF-LSM is never required: bpftool's own feature
// probe is the independent oracle for which outcome is correct on this kernel.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { detectEnforcer, Enforcer, findCgroup2Root, probeLsm } from '../../src/enforcer';
import { LSM_PROGRAMS } from '../../src/enforcer/detect';
import { KernelSensors } from '../../src/kernel/sensors';
import { POSTURE_KEY_SIZE, POSTURE_VALUE_SIZE, RULE_KEY_SIZE, RULE_VALUE_SIZE } from '../../src/kernel/rules';
import { AgentMetrics } from '../../src/metrics/metrics';
import { requireFile, requireRoot } from '../helpers/env';

const BPFTOOL = '/usr/sbin/bpftool';

/** BPF-LSM hooks run: bpftool loads the lsm program type (independent of otelarmor's probe) and
 *  "bpf" is an active LSM (without it lsm programs load but are never called). */
function lsmAvailable(): boolean {
  const out = execFileSync(BPFTOOL, ['feature', 'probe', 'kernel'], { encoding: 'utf8' });
  let active = false;
  try { active = readFileSync('/sys/kernel/security/lsm', 'utf8').trim().split(',').includes('bpf'); } catch { /* securityfs absent */ }
  if (out.includes('program_type lsm is available')) return active;
  if (out.includes('program_type lsm is NOT available')) return false;
  throw new Error('bpftool feature probe printed no lsm program_type line');
}

describe('enforcer mode detection (real kernel)', function () {
  this.timeout(60000);

  it('detectEnforcer: falls back to kill-on-attempt+cgroup with the real LSM load error, or picks bpf-lsm where it loads', async function () {
    requireRoot(this);
    requireFile(this, BPFTOOL);
    requireFile(this, 'bpf/.output/lsm.bpf.o');
    requireFile(this, 'bpf/.output/netblock.bpf.o');
    requireFile(this, 'native/build/otelarmor.node');
    const cg = findCgroup2Root();
    assert.ok(cg, 'a cgroup v2 hierarchy is mounted');
    const d = await detectEnforcer();
    if (lsmAvailable()) {
      assert.equal(d.mode, 'bpf-lsm');
      assert.equal(d.reason, `BPF-LSM programs load and attach (${LSM_PROGRAMS.join(', ')})`);
      return;
    }
    assert.equal(d.mode, 'kill-on-attempt+cgroup');
    const lsmErr = probeLsm();
    assert.ok(lsmErr !== null);
    assert.match(lsmErr, /^(lsm\.bpf\.o: bpf_object__load: cannot load object \([^)]+\) \(E[A-Z0-9]+\); (active LSMs: .*|\/sys\/kernel\/security\/lsm .*)|"bpf" is not an active LSM \(active: [^)]*; boot with lsm=\.\.\.,bpf\): lsm programs would load but never run)$/);
    assert.equal(d.reason, `BPF-LSM unavailable: ${lsmErr}; using SIGKILL from tracepoints and cgroup sock_addr programs on ${cg}`);
  });

  it('detectEnforcer: preference audit skips every probe', async () => {
    assert.deepEqual(await detectEnforcer({ preference: 'audit' }), { mode: 'audit-only', reason: 'configured: enforcer audit' });
  });

  it('detectEnforcer: objects missing -> audit-only, naming both files', async () => {
    const d = await detectEnforcer({ objectDir: '/nonexistent-oa' });
    assert.equal(d.mode, 'audit-only');
    assert.match(d.reason, /^BPF-LSM unavailable: \/nonexistent-oa\/lsm\.bpf\.o is missing \(run make -C bpf\); .*; kill-on-attempt unavailable: \/nonexistent-oa\/netblock\.bpf\.o is missing \(run make -C bpf\)$/);
  });

  it('Enforcer asked for bpf-lsm where it cannot load: degrades to kill-on-attempt+cgroup, says why, gauge follows', async function () {
    requireRoot(this);
    requireFile(this, BPFTOOL);
    requireFile(this, 'bpf/.output/sensors.bpf.o');
    requireFile(this, 'bpf/.output/lsm.bpf.o');
    requireFile(this, 'bpf/.output/netblock.bpf.o');
    requireFile(this, 'native/build/otelarmor.node');
    const sensors = KernelSensors.open({ ringbufBytes: 1 << 20 });
    const metrics = new AgentMetrics();
    const lines: string[] = [];
    const enforcer = new Enforcer({ mode: 'bpf-lsm', kernel: sensors, metrics, log: (l) => lines.push(l) });
    try {
      const st = await enforcer.start();
      const cg = findCgroup2Root();
      if (lsmAvailable()) {
        assert.equal(st.mode, 'bpf-lsm');
        assert.equal(st.degraded, null);
        return;
      }
      assert.equal(st.mode, 'kill-on-attempt+cgroup');
      assert.match(st.degraded ?? '', /^bpf-lsm: (bpf_object__load: cannot load object \([^)]+\)|"bpf" is not an active LSM .*)$/);
      assert.equal(st.cgroupRoot, cg);
      assert.deepEqual(st.attached, ['oa_nb_connect4', 'oa_nb_connect6', 'oa_nb_sendmsg4', 'oa_nb_sendmsg6', 'oa_nb_bind4', 'oa_nb_bind6']);
      assert.deepEqual(Object.fromEntries(metrics.gauges.enforcerMode), { 'bpf-lsm': 0, 'kill-on-attempt+cgroup': 1, 'audit-only': 0 });
      assert.deepEqual(lines, [
        `enforcer: kill-on-attempt+cgroup: Block kills the caller after the syscall (SIGKILL from the sensors); 6 cgroup programs on ${cg} deny connect/sendmsg/bind (degraded: ${st.degraded})`,
      ]);
      // Armed: oa_enforce = 1 (kill) in the sensors' map.
      const { binding } = await import('../../src/native/binding');
      assert.equal(binding().mapLookup(sensors.objectHandle, 'oa_enforce', Buffer.alloc(4))?.readUInt32LE(0), 1);
      await enforcer.stop();
      assert.equal(binding().mapLookup(sensors.objectHandle, 'oa_enforce', Buffer.alloc(4))?.readUInt32LE(0), 0, 'disarmed on stop');
      assert.deepEqual(enforcer.status.attached, []);
    } finally {
      await enforcer.stop();
      await sensors.stop();
    }
  });

  it('audit-only Enforcer attaches nothing and disarms', async function () {
    requireRoot(this);
    requireFile(this, 'bpf/.output/sensors.bpf.o');
    requireFile(this, 'native/build/otelarmor.node');
    const sensors = KernelSensors.open({ ringbufBytes: 1 << 20 });
    const metrics = new AgentMetrics();
    const lines: string[] = [];
    const enforcer = new Enforcer({ mode: 'audit-only', kernel: sensors, metrics, log: (l) => lines.push(l) });
    try {
      const st = await enforcer.start();
      assert.deepEqual(st, { mode: 'audit-only', attached: [], cgroupRoot: null, degraded: null });
      assert.deepEqual(lines, ['enforcer: audit-only: nothing is blocked, matches are only reported']);
      assert.deepEqual(Object.fromEntries(metrics.gauges.enforcerMode), { 'bpf-lsm': 0, 'kill-on-attempt+cgroup': 0, 'audit-only': 1 });
      const { binding } = await import('../../src/native/binding');
      assert.equal(binding().mapLookup(sensors.objectHandle, 'oa_enforce', Buffer.alloc(4))?.readUInt32LE(0), 0);
    } finally {
      await enforcer.stop();
      await sensors.stop();
    }
  });
});

describe('rule map layout (compiled BTF vs src/kernel/rules.ts)', () => {
  it('oa_rule_key / oa_rule_val / oa_posture_key / oa_posture_val sizes and offsets', function () {
    requireFile(this, BPFTOOL);
    for (const obj of ['netblock.bpf.o', 'sensors.bpf.o']) {
      const file = requireFile(this, `bpf/.output/${obj}`);
      const raw = execFileSync(BPFTOOL, ['btf', 'dump', 'file', file, 'format', 'raw'], { encoding: 'utf8' });
      const struct = (name: string) => {
        const m = new RegExp(`STRUCT '${name}' size=(\\d+) vlen=(\\d+)\\n((?:\\t.*\\n)*)`).exec(raw);
        assert.ok(m, `${obj}: struct ${name} in BTF`);
        const members = [...m[3]!.matchAll(/'(\w+)' type_id=\d+ bits_offset=(\d+)/g)].map((x) => [x[1], Number(x[2]) / 8]);
        return { size: Number(m[1]), members };
      };
      assert.deepEqual(struct('oa_rule_key'), { size: RULE_KEY_SIZE, members: [['pid_ns', 0], ['mnt_ns', 4], ['kind', 8], ['num', 12], ['target', 16], ['source', 272]] });
      assert.deepEqual(struct('oa_rule_val'), { size: RULE_VALUE_SIZE, members: [['rule_id', 0], ['flags', 4]] });
      assert.deepEqual(struct('oa_posture_key'), { size: POSTURE_KEY_SIZE, members: [['pid_ns', 0], ['mnt_ns', 4], ['kind', 8], ['pad', 12]] });
      assert.deepEqual(struct('oa_posture_val'), { size: POSTURE_VALUE_SIZE, members: [['mode', 0]] });
    }
  });
});
