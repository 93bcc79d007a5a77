// issue 9, gRPC abuse against a running agent: a client that connects and disconnects in a tight
// loop, streams cancelled at once, malformed requests (garbage protobuf, bad framing, unknown
// method, oversized message, HTTP/1.1, random bytes). Each gets an error or a closed connection;
// afterwards the agent is alive, counts no leftover client, and KubeArmor's own Go client (test/go
// kaclient), connected through it all, still receives the next event.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../../src/grpc/proto';
import { requireRoot } from '../helpers/env';
import { sleep } from '../helpers/procs';
import { buildGoTools, Proc } from '../go/harness';
import { startAgent, sumSamples, type Agent } from './agent';

/** One raw HTTP/2 gRPC call: returns the grpc-status trailer (or the HTTP status / stream error). */
function rawCall(port: number, method: string, body: Buffer, headers: http2.OutgoingHttpHeaders = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = http2.connect(`http://127.0.0.1:${port}`);
    s.on('error', (e) => resolve(`session error ${e.message}`));
    const req = s.request({ ':method': 'POST', ':path': method, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    let status = '';
    req.on('response', (h) => { status = String(h['grpc-status'] ?? `http ${h[':status']}`); });
    req.on('trailers', (t) => { status = String(t['grpc-status'] ?? status); });
    req.on('data', () => undefined);
    req.on('error', (e) => { status = `stream error ${e.message}`; });
    req.on('close', () => { s.close(); resolve(status); });
    req.end(body);
    setTimeout(() => { req.close(); }, 3000).unref();
  });
}

/** A gRPC frame: 1 byte compressed flag, 4 bytes big-endian length, payload. */
const frame = (payload: Buffer, declared = payload.length) => {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(declared, 1);
  return Buffer.concat([h, payload]);
};

describe('reliability: gRPC abuse against a running agent', function () {
  this.timeout(180_000);
  const procs: Proc[] = [];
  let agent: Agent | undefined;
  after(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await agent?.stop();
  });

  it('connect/disconnect loops and malformed requests leave the agent and a Go client working', async function () {
    requireRoot(this);
    const { kaclient } = buildGoTools(this);
    agent = await startAgent(['--output', 'none', '--host-visibility', 'process,file']);
    const a = agent;
    const c = new Proc(kaclient, ['-addr', `127.0.0.1:${a.grpcPort}`, '-nonce', '7', '-no-alerts', '-logs', 'system']);
    procs.push(c);
    await c.waitLine('STREAMS-OPEN');
    const clients = async () => sumSamples(await a.scrape(), 'otelarmor_grpc_clients', { stream: 'logs' });
    for (let i = 0; i < 50 && (await clients()) !== 1; i++) await sleep(100);
    assert.equal(await clients(), 1);

    // 1. 200 channels opening a WatchLogs stream and going away at once (cancel, or close the channel).
    const { LogServiceClient } = loadProtos();
    for (let i = 0; i < 200; i++) {
      const cl = new LogServiceClient(`127.0.0.1:${a.grpcPort}`, grpc.credentials.createInsecure());
      const call = (cl as unknown as { WatchLogs(m: object): grpc.ClientReadableStream<unknown> }).WatchLogs({ Filter: 'system' });
      call.on('error', () => undefined);
      if (i % 2 === 0) call.cancel();
      await new Promise((r) => setImmediate(r));
      cl.close();
    }
    // 2. 200 TCP connections that send nothing, or a partial HTTP/2 preface, and close.
    for (let i = 0; i < 200; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(a.grpcPort, '127.0.0.1', () => {
          if (i % 2) s.write('PRI * HTTP/2.0\r\n');
          s.destroy();
          resolve();
        });
        s.on('error', () => resolve());
      });
    }
    // 3. Malformed requests: each answered with an error status, never a crash.
    const bad: [string, Promise<string>][] = [
      ['garbage protobuf', rawCall(a.grpcPort, '/feeder.LogService/WatchLogs', frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])))],
      ['declared length beyond the body', rawCall(a.grpcPort, '/feeder.LogService/HealthCheck', frame(Buffer.from([8, 1]), 1000))],
      ['oversized message', rawCall(a.grpcPort, '/feeder.LogService/HealthCheck', frame(Buffer.alloc(8 << 20)))],
      ['unknown method', rawCall(a.grpcPort, '/feeder.LogService/Nope', frame(Buffer.alloc(0)))],
      ['unknown service', rawCall(a.grpcPort, '/nope.Nope/Nope', frame(Buffer.alloc(0)))],
      ['wrong content-type', rawCall(a.grpcPort, '/feeder.LogService/HealthCheck', frame(Buffer.from([8, 1])), { 'content-type': 'text/plain' })],
    ];
    const got = Object.fromEntries(await Promise.all(bad.map(async ([k, p]) => [k, await p] as const)));
    console.log(`      malformed: ${JSON.stringify(got)}`);
    for (const [k, v] of Object.entries(got)) {
      // An error status, an HTTP error, or a reset stream ("") – never OK.
      assert.ok(v !== '0', `${k}: answered OK`);
    }
    // HTTP/1.1 and random bytes on the gRPC port.
    for (const payload of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff))]) {
      await new Promise<void>((resolve) => {
        const s = net.connect(a.grpcPort, '127.0.0.1', () => s.write(payload));
        s.on('data', () => undefined);
        s.on('close', () => resolve());
        s.on('error', () => resolve());
        setTimeout(() => { s.destroy(); resolve(); }, 3000).unref();
      });
    }

    // The agent is alive, no stream client leaked, HealthCheck still echoes.
    assert.equal((await fetch(`${a.metricsUrl}/healthz`)).status, 200);
    for (let i = 0; i < 50 && (await clients()) !== 1; i++) await sleep(100);
    assert.equal(await clients(), 1, 'only the Go client is still counted');
    const hc = await new Promise<number | undefined>((resolve) => {
      const cl = new LogServiceClient(`127.0.0.1:${a.grpcPort}`, grpc.credentials.createInsecure());
      (cl as unknown as { HealthCheck(m: object, cb: (e: Error | null, r?: { Retval?: number }) => void): void })
        .HealthCheck({ nonce: 4242 }, (e, r) => { cl.close(); resolve(e ? undefined : r?.Retval); });
    });
    assert.equal(hc, 4242);
    // The Go client connected through all of it still gets the next event.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-abuse-'));
    const marker = path.join(dir, 'after-abuse');
    writeFileSync(marker, 'x');
    const r = spawnSync('/usr/bin/cat', [marker]);
    await c.waitFor((ls) => ls.some((l) => l.startsWith('LOG ') && l.includes(`"HostPID":${r.pid},`) && l.includes(JSON.stringify(marker))), 20_000, 'the open after the abuse');
    assert.equal(a.child.proc.exitCode, null, 'agent still running');
  });
});
