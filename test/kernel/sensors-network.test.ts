import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Op, type NetworkRecord } from '../../src/events/record';
import { SensorsHarness } from './sensors-harness';

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;

describe('kernel network sensor', function () {
  this.timeout(30000);
  let h: SensorsHarness;
  let dir: string;

  before(async function () {
    h = await SensorsHarness.open(this);
    dir = mkdtempSync(path.join(os.tmpdir(), 'oa-net-'));
  });
  after(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('socket/bind/listen/connect/accept (IPv4), connect (IPv6), bind (AF_UNIX path and abstract)', async () => {
    const port = 20000 + (process.pid % 20000);
    const sock = path.join(dir, 's.sock');
    const r = await h.run('netops', [String(port), sock]);
    const peerPort = Number(r.lines.find((l) => l.startsWith('peerport '))!.split(' ')[1]);
    const peerPort4 = Number(r.lines.find((l) => l.startsWith('peerport4 '))!.split(' ')[1]);
    assert.ok(peerPort > 0 && peerPort4 > 0 && peerPort4 !== peerPort);
    assert.deepEqual(r.lines.filter((l) => !l.startsWith('peerport')), [
      'socket 3', 'bind 0', 'listen 0', 'socket 4', 'connect 0', 'accept 5', 'socket 6', 'connect 0', 'accept4 7',
      'socket 8', 'connect 0', 'socket 9', 'bind 0', 'socket 10', 'bind 0',
    ]);
    const recs = (h.of(r.pid, Op.Network) as NetworkRecord[]).filter((e) => e.comm === 'netops');
    const none = { family: 0, port: 0, addr: '', unixPath: '' };
    assert.deepEqual(
      recs.map((e) => [e.syscall, e.ret, e.fd, e.domain, e.type, e.protocol, e.backlog, e.sockaddr]),
      [
        ['socket', 3, 0, AF_INET, SOCK_STREAM, 0, 0, none],
        ['bind', 0, 3, AF_INET, SOCK_STREAM, 6, 0, { family: AF_INET, port, addr: '127.0.0.1', unixPath: '' }],
        ['listen', 0, 3, AF_INET, SOCK_STREAM, 6, 7, none],
        ['socket', 4, 0, AF_INET, SOCK_STREAM, 0, 0, none],
        ['connect', 0, 4, AF_INET, SOCK_STREAM, 6, 0, { family: AF_INET, port, addr: '127.0.0.1', unixPath: '' }],
        ['accept', 5, 3, AF_INET, SOCK_STREAM, 6, 0, { family: AF_INET, port: peerPort, addr: '127.0.0.1', unixPath: '' }],
        ['socket', 6, 0, AF_INET, SOCK_STREAM, 0, 0, none],
        ['connect', 0, 6, AF_INET, SOCK_STREAM, 6, 0, { family: AF_INET, port, addr: '127.0.0.1', unixPath: '' }],
        // accept4(L, &peer, &len, SOCK_CLOEXEC): the peer address written back by the kernel.
        ['accept4', 7, 3, AF_INET, SOCK_STREAM, 6, 0, { family: AF_INET, port: peerPort4, addr: '127.0.0.1', unixPath: '' }],
        ['socket', 8, 0, AF_INET6, SOCK_DGRAM, 0, 0, none],
        ['connect', 0, 8, AF_INET6, SOCK_DGRAM, 17, 0, { family: AF_INET6, port: port + 1, addr: '::1', unixPath: '' }],
        ['socket', 9, 0, AF_UNIX, SOCK_DGRAM, 0, 0, none],
        ['bind', 0, 9, AF_UNIX, SOCK_DGRAM, 0, 0, { family: AF_UNIX, port: 0, addr: '', unixPath: sock }],
        ['socket', 10, 0, AF_UNIX, SOCK_STREAM, 0, 0, none],
        ['bind', 0, 10, AF_UNIX, SOCK_STREAM, 0, 0, { family: AF_UNIX, port: 0, addr: '', unixPath: '@oa-abstract' }],
      ],
    );
    for (const e of recs) assert.deepEqual([e.tgid, e.ppid, e.uid, e.recordFlags], [r.pid, process.pid, 0, 0]);
  });
});
