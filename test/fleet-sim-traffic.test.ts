// fleet-sim's non-SSO stand-ins on a real socket: osquery read/log (gzip as sent, 10 MiB cap), upload/download, slow query, probes, ws echo.
import t from 'tap';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import WebSocket from 'ws';
import { startFleetSim } from '../src/fleet-sim/server.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('traffic routes', async (t) => {
  const sim = await startFleetSim({ urlPrefix: '' });
  t.teardown(() => sim.close());

  t.test('osquery distributed/read answers small JSON', async (t) => {
    for (const p of ['/api/osquery/distributed/read', '/api/v1/osquery/distributed/read']) {
      const res = await request(sim.url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"node_key":"k"}' });
      t.equal(res.statusCode, 200);
      t.same(await res.body.json(), { queries: {}, discovery: {}, node_invalid: false });
    }
  });

  t.test('osquery log: gzip body counted as sent; over 10 MiB → 413', async (t) => {
    const gz = gzipSync(Buffer.from(JSON.stringify({ data: Array.from({ length: 1000 }, (_, i) => ({ i })) })));
    const res = await request(sim.url + '/api/osquery/log', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gz });
    t.equal(res.statusCode, 200);
    t.same(await res.body.json(), { node_invalid: false, received: { bytes: gz.length, sha256: sha(gz), contentEncoding: 'gzip' } });
    const limit = Buffer.alloc(10 * 1024 * 1024, 0x20);
    const atLimit = await request(sim.url + '/api/osquery/log', { method: 'POST', headers: { 'content-type': 'application/json' }, body: limit });
    t.equal(atLimit.statusCode, 200);
    await atLimit.body.dump();
    const big = await request(sim.url + '/api/osquery/log', { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat([limit, Buffer.from(' ')]) });
    t.equal(big.statusCode, 413);
    await big.body.dump();
  });

  t.test('upload streams any size and answers byte count and sha256', async (t) => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const res = await request(sim.url + '/api/v1/fleet/software/package', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body });
    t.same(await res.body.json(), { bytes: body.length, sha256: sha(body), contentEncoding: null });
  });

  t.test('download: N deterministic bytes', async (t) => {
    const res = await request(sim.url + '/api/fleet-sim/download?bytes=100000');
    t.equal(res.headers['content-length'], '100000');
    const got = Buffer.from(await res.body.arrayBuffer());
    t.equal(got.length, 100000);
    t.equal(got[252], 1);
    t.ok(got.every((b, i) => b === i % 251));
  });

  t.test('echo returns the body byte for byte with its encoding', async (t) => {
    const gz = gzipSync(Buffer.from('hello'));
    const res = await request(sim.url + '/api/fleet-sim/echo', { method: 'POST', headers: { 'content-type': 'application/x-thing', 'content-encoding': 'gzip' }, body: gz });
    t.equal(res.headers['content-type'], 'application/x-thing');
    t.equal(res.headers['content-encoding'], 'gzip');
    t.ok(Buffer.from(await res.body.arrayBuffer()).equals(gz));
  });

  t.test('request probe reports headers and peer; cookies route sets several', async (t) => {
    const res = await request(sim.url + '/api/fleet-sim/request?x=1', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    t.match(await res.body.json(), { method: 'GET', url: '/api/fleet-sim/request?x=1', headers: { 'x-forwarded-for': '203.0.113.9' }, remoteAddress: '127.0.0.1' });
    const c = await request(sim.url + '/api/fleet-sim/cookies');
    t.equal((c.headers['set-cookie'] as string[]).length, 3);
    await c.body.dump();
  });

  t.test('slow query waits delay_ms', async (t) => {
    const start = Date.now();
    const res = await request(sim.url + '/api/v1/fleet/queries/run?delay_ms=300');
    t.same(await res.body.json(), { delayed_ms: 300 });
    t.ok(Date.now() - start >= 290);
  });

  t.test('websocket echo reports Origin and echoes', async (t) => {
    const ws = new WebSocket(sim.url.replace(/^http/, 'ws') + '/api/v1/fleet/results/websocket', { origin: 'https://fleet.example' });
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (d) => {
        messages.push(String(d));
        if (messages.length === 1) ws.send('ping-1');
        else resolve();
      });
      ws.on('error', reject);
    });
    t.same(JSON.parse(messages[0]), { type: 'fleet-sim.hello', origin: 'https://fleet.example', path: '/api/v1/fleet/results/websocket' });
    t.equal(messages[1], 'ping-1');
    ws.close();
    const other = new WebSocket(sim.url.replace(/^http/, 'ws') + '/api/v1/fleet/other/websocket');
    const err = await new Promise<Error>((resolve) => other.on('error', resolve));
    t.match(err.message, /404/);
  });
});
