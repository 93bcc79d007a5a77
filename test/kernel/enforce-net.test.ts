// Network denial for real: netblock's cgroup sock_addr programs on the cgroup v2 root make a
// blocked connect(2), sendto(2) or bind(2) (IPv4 and IPv6) fail with EACCES (bpf_set_retval;
// KubeArmor's "Permission denied") before any packet leaves, while other protocols and other
// programs keep working. Host rules are scoped by source (the tester binary); the allow-list
// case runs in a private pid+mnt namespace.
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { Op, RecordFlag, type NetworkRecord } from '../../src/events/record';
import { PostureMode, RuleFlag, RuleKind } from '../../src/kernel/rule-types';
import { EMPTY_RULES, EnforceHarness, namespacesOf, prog } from './enforce-harness';

const EACCES = 13;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

describe('kernel enforcement: netblock (cgroup sock_addr)', function () {
  this.timeout(30000);
  let h: EnforceHarness;
  let tcp: net.Server;
  let udp: dgram.Socket;
  let tcpPort = 0;
  let udpPort = 0;
  let tcpAccepted = 0;
  const datagrams: string[] = [];

  before(async function () {
    h = await EnforceHarness.open(this, ['process']);
    tcp = net.createServer((s) => {
      tcpAccepted++;
      s.destroy();
    });
    await new Promise<void>((res) => tcp.listen(0, '127.0.0.1', () => res()));
    tcpPort = (tcp.address() as net.AddressInfo).port;
    udp = dgram.createSocket('udp4');
    udp.on('message', (m) => datagrams.push(m.toString()));
    await new Promise<void>((res) => udp.bind(0, '127.0.0.1', () => res()));
    udpPort = udp.address().port;
  });
  beforeEach(() => {
    tcpAccepted = 0;
    datagrams.length = 0;
  });
  afterEach(() => {
    h?.enforcer.apply(EMPTY_RULES);
  });
  after(async () => {
    tcp?.close();
    udp?.close();
    await h?.close();
  });

  async function settle(): Promise<void> {
    await new Promise((r) => setTimeout(r, 200));
  }

  it('Block tcp from the tester: connect gets EACCES, nothing reaches the listener; udp from the same program works', async () => {
    const tester = prog('enforce-net');
    h.enforcer.apply({
      rules: [{ pidNs: 0, mntNs: 0, kind: RuleKind.Network, num: IPPROTO_TCP, target: '', source: tester, ruleId: 51, flags: RuleFlag.Block }],
      postures: [],
      userSpaceOnly: [],
    });
    const blocked = await h.run(tester, ['tcp', String(tcpPort)]);
    assert.deepEqual(blocked.lines, [`connect -${EACCES}`]);
    assert.equal(blocked.code, 0, 'the process is not killed: the syscall is denied');
    const rec = (await h.waitFor((r) => r.op === Op.Network && r.tgid === blocked.pid && (r as NetworkRecord).syscall === 'connect', 'connect record')) as NetworkRecord;
    assert.equal(rec.ret, -EACCES);
    assert.equal(rec.protocol, IPPROTO_TCP);
    assert.equal(rec.sockaddr.port, tcpPort);
    assert.equal(rec.sockaddr.addr, '127.0.0.1');
    assert.equal(rec.recordFlags, RecordFlag.Matched | RecordFlag.RuleOnly, 'matched, never killed for network');
    assert.equal(rec.ruleId, 51);

    const other = await h.run(tester, ['udp', String(udpPort), 'hello']);
    assert.deepEqual(other.lines, ['connect 0', 'send 5']);
    await settle();
    assert.equal(tcpAccepted, 0);
    assert.deepEqual(datagrams, ['hello']);

    // Another program (this node process) is not the rule's source: its tcp connect works.
    await new Promise<void>((res, rej) => {
      const c = net.connect(tcpPort, '127.0.0.1', () => {
        c.destroy();
        res();
      });
      c.on('error', rej);
    });
    await settle();
    assert.equal(tcpAccepted, 1);
  });

  it('rule removed: the same tcp connect succeeds', async () => {
    h.enforcer.apply({
      rules: [{ pidNs: 0, mntNs: 0, kind: RuleKind.Network, num: IPPROTO_TCP, target: '', source: prog('enforce-net'), ruleId: 52, flags: RuleFlag.Block }],
      postures: [],
      userSpaceOnly: [],
    });
    h.enforcer.apply(EMPTY_RULES);
    const r = await h.run(prog('enforce-net'), ['tcp', String(tcpPort)]);
    assert.deepEqual(r.lines, ['connect 0']);
    await settle();
    assert.equal(tcpAccepted, 1);
  });

  it('Block by socket type (SOCK_DGRAM = 256 + 2): udp connect denied, tcp works', async () => {
    h.enforcer.apply({
      rules: [{ pidNs: 0, mntNs: 0, kind: RuleKind.Network, num: 256 + 2, target: '', source: prog('enforce-net'), ruleId: 53, flags: RuleFlag.Block }],
      postures: [],
      userSpaceOnly: [],
    });
    const u = await h.run(prog('enforce-net'), ['udp', String(udpPort), 'x']);
    assert.deepEqual(u.lines, [`connect -${EACCES}`]);
    const t = await h.run(prog('enforce-net'), ['tcp', String(tcpPort)]);
    assert.deepEqual(t.lines, ['connect 0']);
    await settle();
    assert.deepEqual(datagrams, []);
    assert.equal(tcpAccepted, 1);
  });

  it('allow-list udp with block posture (private pid+mnt namespace): tcp denied, udp passes', async () => {
    const inNamespace = (args: string[]) =>
      h.run(prog('enforce-nsexec'), [prog('enforce-net'), ...args], {
        onLine: (line, write) => {
          const m = /^child (\d+)$/.exec(line);
          if (!m) return;
          const ns = namespacesOf(Number(m[1]));
          h.enforcer.apply({
            rules: [{ ...ns, kind: RuleKind.Network, num: IPPROTO_UDP, target: '', source: '', ruleId: 54, flags: RuleFlag.Allow }],
            postures: [{ ...ns, kind: RuleKind.Network, mode: PostureMode.AllowListBlock }],
            userSpaceOnly: [],
          });
          write('go\n');
        },
      });
    const t = await inNamespace(['tcp', String(tcpPort)]);
    assert.deepEqual([t.lines[0], t.lines[1], t.lines[3], t.lines[4]], ['unshare 0', 'pipe 0', `connect -${EACCES}`, 'exit 0']);
    const u = await inNamespace(['udp', String(udpPort), 'in-ns']);
    assert.deepEqual([u.lines[3], u.lines[4], u.lines[5]], ['connect 0', 'send 5', 'exit 0']);
    await settle();
    assert.equal(tcpAccepted, 0);
    assert.deepEqual(datagrams, ['in-ns']);
  });

  it('connect6, sendmsg4, sendmsg6, bind4, bind6: each denied with EACCES before it acts; the same calls work once the rules are gone', async () => {
    const tester = prog('enforce-net');
    const tcp6 = net.createServer((s) => {
      tcpAccepted++;
      s.destroy();
    });
    await new Promise<void>((res) => tcp6.listen(0, '::1', () => res()));
    const udp6 = dgram.createSocket('udp6');
    udp6.on('message', (m) => datagrams.push(`v6 ${m.toString()}`));
    await new Promise<void>((res) => udp6.bind(0, '::1', () => res()));
    const tcp6Port = (tcp6.address() as net.AddressInfo).port;
    const udp6Port = udp6.address().port;
    const calls: [string[], string][] = [
      [['tcp6', String(tcp6Port)], 'connect'],
      [['sendto', 'udp', String(udpPort), 'd4'], 'sendto'],
      [['sendto', 'udp6', String(udp6Port), 'd6'], 'sendto'],
      [['bind', 'tcp', '0'], 'bind'],
      [['bind', 'udp', '0'], 'bind'],
      [['bind', 'tcp6', '0'], 'bind'],
      [['bind', 'udp6', '0'], 'bind'],
    ];
    try {
      h.enforcer.apply({
        rules: [
          { pidNs: 0, mntNs: 0, kind: RuleKind.Network, num: IPPROTO_TCP, target: '', source: tester, ruleId: 56, flags: RuleFlag.Block },
          { pidNs: 0, mntNs: 0, kind: RuleKind.Network, num: IPPROTO_UDP, target: '', source: tester, ruleId: 57, flags: RuleFlag.Block },
        ],
        postures: [],
        userSpaceOnly: [],
      });
      for (const [args, call] of calls) {
        const r = await h.run(tester, args);
        assert.deepEqual(r.lines, [`${call} -${EACCES}`], args.join(' '));
        assert.equal(r.code, 0);
        if (call !== 'sendto') {
          // sendto is not a sensor syscall; connect and bind records carry the denial
          const rec = (await h.waitFor((x) => x.op === Op.Network && x.tgid === r.pid && (x as NetworkRecord).syscall === call, `${call} record`)) as NetworkRecord;
          assert.deepEqual([rec.ret, rec.recordFlags, rec.ruleId], [-EACCES, RecordFlag.Matched | RecordFlag.RuleOnly, args.includes('udp') || args.includes('udp6') ? 57 : 56], args.join(' '));
        }
      }
      await settle();
      assert.equal(tcpAccepted, 0);
      assert.deepEqual(datagrams, []);

      h.enforcer.apply(EMPTY_RULES);
      const ok = [];
      for (const [args] of calls) ok.push((await h.run(tester, args)).lines);
      assert.deepEqual(ok, [['connect 0'], ['sendto 2'], ['sendto 2'], ['bind 0'], ['bind 0'], ['bind 0'], ['bind 0']]);
      await settle();
      assert.equal(tcpAccepted, 1);
      assert.deepEqual(datagrams.sort(), ['d4', 'v6 d6']);
    } finally {
      tcp6.close();
      udp6.close();
    }
  });

  it('audit-only (oa_enforce disarmed): a Block rule no longer denies', async () => {
    h.enforcer.apply({
      rules: [{ pidNs: 0, mntNs: 0, kind: RuleKind.Network, num: IPPROTO_TCP, target: '', source: prog('enforce-net'), ruleId: 55, flags: RuleFlag.Block }],
      postures: [],
      userSpaceOnly: [],
    });
    // Same maps, oa_enforce = Audit (what an audit-only Enforcer writes).
    const { binding, MapUpdateFlag } = await import('../../src/native/binding');
    const v = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
    binding().mapUpdate(h.sensors.objectHandle, 'oa_enforce', v(0), v(0), MapUpdateFlag.Any);
    try {
      const r = await h.run(prog('enforce-net'), ['tcp', String(tcpPort)]);
      assert.deepEqual(r.lines, ['connect 0']);
      await settle();
      assert.equal(tcpAccepted, 1);
    } finally {
      binding().mapUpdate(h.sensors.objectHandle, 'oa_enforce', v(0), v(1), MapUpdateFlag.Any);
    }
  });
});
