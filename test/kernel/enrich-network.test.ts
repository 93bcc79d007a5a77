import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Op, type TaskStateRecord } from '../../src/events/record';
import { EnrichHarness } from './enrich-harness';

describe('kernel enrich: network events', function () {
  this.timeout(30000);
  let h: EnrichHarness;
  let server: net.Server;
  let port: number;
  before(async function () {
    this.timeout(120000);
    h = await EnrichHarness.open(this);
    server = net.createServer((s) => s.end());
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    await h?.close();
    server?.close();
  });

  it('a child connects to 127.0.0.1:<port>: socket and connect events with KubeArmor strings', async () => {
    const node = fs.realpathSync(process.execPath);
    const code = `const s=require('net').connect(${port},'127.0.0.1',()=>s.end());s.on('close',()=>process.exit(0))`;
    const r = await h.run(process.execPath, ['-e', code]);
    assert.equal(r.code, 0);
    const conn = await h.waitFor((e) => e.ka.HostPID === r.pid && e.extras.syscall === 'connect', 'connect');
    const ka = conn.ka;
    assert.equal(ka.Operation, 'Network');
    assert.equal(ka.Type, 'HostLog');
    assert.equal(ka.ProcessName, node);
    assert.equal(ka.Source, `${node} -e ${code}`);
    assert.equal(ka.Resource, `sa_family=AF_INET sin_port=${port} sin_addr=127.0.0.1`);
    assert.match(ka.Data!, /^syscall=SYS_CONNECT fd=\d+$/);
    // Node connects non-blocking: the syscall returns EINPROGRESS. The rule stages see the event;
    // KubeArmor's monitor never logs that result (compat §3.4), so the last stage removes the log.
    assert.equal(ka.Result, 'Operation now in progress');
    assert.ok(h.filtered.includes(conn), 'the connect log is removed by the result filter');
    assert.deepEqual(h.logs.filter((e) => e.ka.HostPID === r.pid && e.extras.syscall === 'connect'), []);
    // (node's own ENOENT opens at start-up, filtered too, depend on the machine: network only)
    assert.deepEqual(h.filtered.filter((e) => e.ka.HostPID === r.pid && e.ka.Operation === 'Network').map((e) => [e.extras.syscall, e.ka.Result]), [['connect', 'Operation now in progress']]);
    assert.equal(h.metrics.filterCounts.get('kubearmor_result_einprogress'), h.filtered.filter((e) => e.extras.retval === -115).length);
    assert.equal(ka.EventData!.Sin_port, String(port));
    assert.equal(ka.EventData!.Sin_addr, '127.0.0.1');
    assert.equal(ka.EventData!.Sa_family, 'AF_INET');
    assert.deepEqual(conn.extras.sockaddr, { family: 'AF_INET', port, addr: '127.0.0.1' });
    const fd = ka.Data!.split('fd=')[1];
    const sock = await h.waitFor((e) => e.ka.HostPID === r.pid && e.extras.syscall === 'socket' && e.extras.retval === Number(fd), 'socket');
    assert.equal(sock.ka.Resource, 'domain=AF_INET type=SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC protocol=HOPOPT');
    assert.equal(sock.ka.Data, 'syscall=SYS_SOCKET');
    assert.equal(sock.ka.Result, 'Passed');
    assert.ok(h.logs.includes(sock), 'a Passed socket event stays a log');
  });

  it('the listening side in a child: bind, listen and accept', async () => {
    const node = fs.realpathSync(process.execPath);
    const code = "const n=require('net');const s=n.createServer(c=>{c.end();s.close()});"
      + "s.listen(0,'127.0.0.1',()=>{const p=s.address().port;console.log(p);const c=n.connect(p,'127.0.0.1',()=>console.log(c.localPort));c.resume()})";
    const r = await h.run(process.execPath, ['-e', code]);
    assert.equal(r.code, 0);
    const [p, clientPort] = r.out.trim().split('\n').map(Number);
    const bind = await h.waitFor((e) => e.ka.HostPID === r.pid && e.extras.syscall === 'bind', 'bind');
    // bind gets the address as passed: port 0 asks the kernel to pick one (it picked p).
    assert.equal(bind.ka.Resource, 'sa_family=AF_INET sin_port=0 sin_addr=127.0.0.1');
    assert.ok(p! > 0);
    assert.equal(bind.ka.ProcessName, node);
    assert.equal(bind.ka.Result, 'Passed');
    const fd = bind.ka.Data!.split('fd=')[1];
    assert.equal(bind.ka.Data, `syscall=SYS_BIND fd=${fd}`);
    const listen = await h.waitFor((e) => e.ka.HostPID === r.pid && e.extras.syscall === 'listen', 'listen');
    assert.equal(listen.ka.Data, `syscall=SYS_LISTEN fd=${fd}`);
    assert.equal(listen.ka.Resource, undefined);
    assert.equal(listen.ka.Result, 'Passed');
    const acc = await h.waitFor((e) => e.ka.HostPID === r.pid && e.extras.syscall.startsWith('accept') && e.ka.Result === 'Passed', 'accept');
    assert.equal(acc.ka.Data, `syscall=SYS_${acc.extras.syscall.toUpperCase()} fd=${fd}`);
    // libuv calls accept4(fd, NULL, NULL, ...): no peer address, so no Resource.
    assert.equal(acc.ka.Resource, undefined);
    assert.equal(acc.extras.sockaddr, undefined);
    assert.equal(acc.extras.retval > 0, true);
    assert.ok(clientPort! > 0);
  });

  it('Cwd follows chdir and fchdir: a later connect carries the new directory with a trailing "/"', async () => {
    const a = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'otelarmor-cwd-a-')));
    const b = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'otelarmor-cwd-b-')));
    try {
      const syscaller = EnrichHarness.prog('syscaller');
      // The leading pause lets the exec record (lifecycle ring) be handled before these events.
      const r = await h.run(syscaller, ['sleep', '300', 'chdir', a, 'connect4', String(port), 'fchdir', b, 'connect4', String(port)], { cwd: '/' });
      assert.equal(r.code, 0);
      assert.equal(r.out, 'chdir 0\nconnect4 0\nfchdir 0\nconnect4 0\n');
      const isConnect = (e: (typeof h.events)[number]): boolean => e.ka.HostPID === r.pid && e.extras.syscall === 'connect';
      for (let i = 0; i < 100 && h.events.filter(isConnect).length < 2; i++) await new Promise((res) => setTimeout(res, 50));
      assert.deepEqual(h.events.filter(isConnect).map((e) => [e.ka.Cwd, e.ka.Result, e.ka.Resource]), [
        [`${a}/`, 'Passed', `sa_family=AF_INET sin_port=${port} sin_addr=127.0.0.1`],
        [`${b}/`, 'Passed', `sa_family=AF_INET sin_port=${port} sin_addr=127.0.0.1`],
      ]);
      // The state records that carried the directories (after the exec: libuv's chdir("/") in the
      // forked child comes first); they never become events themselves.
      const st = h.records.filter((x): x is TaskStateRecord => x.op === Op.TaskState && x.tgid === r.pid && x.comm === 'syscaller');
      assert.deepEqual(st.map((x) => [x.nr, x.cwd, x.recordFlags]), [[80, a, 0], [81, b, 0]]);
      assert.deepEqual(h.events.filter((e) => e.ka.HostPID === r.pid && /chdir/.test(e.extras.syscall)), []);
      // The exec event still has the cwd it started in.
      const exec = await h.waitFor((e) => e.ka.HostPID === r.pid && e.ka.Operation === 'Process', 'exec of syscaller');
      assert.equal(exec.ka.Cwd, '/');
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
  });
});
