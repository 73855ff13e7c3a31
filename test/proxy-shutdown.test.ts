// Graceful shutdown of `samlscope proxy` (child process): SIGTERM under keep-alive load, a slow request and an open websocket; nothing lost, exit 0.
import t from 'tap';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createConnection, type AddressInfo } from 'node:net';
import { Pool, request } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import { childEnv, proxyUrlFrom } from './child-env.js';
import { testMetadataFile } from './proxy-helpers.js';
import { CLOSE_FRAME_1001, FrameBoundary } from '../src/proxy/shutdown.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('frame boundaries: a close frame never lands inside a frame', async (t) => {
  const f = new FrameBoundary();
  f.push(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'));
  t.notOk(f.inFrames, 'head not complete');
  f.push(Buffer.from('\r\n'));
  t.ok(f.atBoundary, 'after the 101 head');
  const small = Buffer.from([0x81, 0x03, 0x61, 0x62, 0x63]);
  const mid = Buffer.alloc(4 + 300, 0x7a); mid[0] = 0x82; mid[1] = 126; mid[2] = 0x01; mid[3] = 0x2c;
  f.push(small.subarray(0, 3));
  t.notOk(f.atBoundary);
  t.equal(f.untilBoundary(Buffer.concat([small.subarray(3), mid])), 2, 'the rest of the small frame, not a byte more');
  f.push(small.subarray(3));
  t.ok(f.atBoundary);
  f.push(mid.subarray(0, 1));
  f.push(mid.subarray(1, 100));
  t.notOk(f.atBoundary, 'inside a 16-bit length frame');
  f.push(mid.subarray(100));
  t.ok(f.atBoundary);
  const big = Buffer.alloc(10, 0); big[0] = 0x82; big[1] = 127; big[8] = 0x01; big[9] = 0x00;
  f.push(big);
  t.equal(f.untilBoundary(Buffer.alloc(300)), 256, '64-bit length');
  const refused = new FrameBoundary();
  refused.push(Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
  t.notOk(refused.inFrames, 'no frames after a refused upgrade');
  t.same([...CLOSE_FRAME_1001], [0x88, 0x02, 0x03, 0xe9]);
});

t.test('SIGTERM under load: in-flight requests finish, new connections refused, websocket closed with 1001, exit 0', async (t) => {
  // the upstream: fast answers, /slow after 2 s, a websocket echo; it tells when /slow reached it and when the tunnel closed
  let slowArrived!: () => void;
  const slowInFlight = new Promise<void>((r) => { slowArrived = r; });
  let upstreamClosed!: () => void;
  const upstreamWsClosed = new Promise<void>((r) => { upstreamClosed = r; });
  const upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/slow') { slowArrived(); setTimeout(() => res.end('slow done'), 2000); }
      else res.end('ok');
    });
  });
  const wss = new WebSocketServer({ server: upstream });
  const upstreamCloses: number[] = [];
  wss.on('connection', (ws) => { ws.on('message', (m) => ws.send(m)); ws.on('close', (code) => { upstreamCloses.push(code); upstreamClosed(); }); });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { wss.close(); upstream.closeAllConnections(); upstream.close(() => r()); }));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  const mdFile = testMetadataFile();

  const GRACE_S = 10;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'proxy', '--upstream', upstreamUrl, '--metadata', mdFile,
    '--public-url', 'https://fleet.example.test', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--quiet-agent-logs',
    '--shutdown-grace', String(GRACE_S)], { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<{ code: number | null; at: number }>((r) => child.once('exit', (code) => r({ code, at: Date.now() })));
  t.teardown(async () => { if (child.exitCode === null) { child.kill('SIGKILL'); await exited; } });
  const { url: proxyUrl } = await proxyUrlFrom(child);

  const port = Number(new URL(proxyUrl).port);

  // an open websocket through the proxy
  const ws = new WebSocket(proxyUrl.replace('http', 'ws') + '/api/v1/fleet/results/websocket');
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  const echoed = new Promise<string>((r) => ws.once('message', (m) => r(String(m))));
  ws.send('ping');
  t.equal(await echoed, 'ping', 'the websocket works before shutdown');
  const wsClosed = new Promise<{ code: number; at: number }>((r) => ws.once('close', (code) => r({ code, at: Date.now() })));

  // a steady keep-alive load: 200 requests over ~3 s, plus one 2 s request on its own connection
  const pool = new Pool(proxyUrl, { connections: 16, pipelining: 1 });
  t.teardown(() => pool.destroy());
  const results: { sentAt: number; status: number | null; error: string | null }[] = [];
  let answered = 0;
  let fiftyAnswered!: () => void;
  const underLoad = new Promise<void>((r) => { fiftyAnswered = r; });
  const all: Promise<void>[] = [];
  let sigtermAt = Infinity;
  const slow = request(proxyUrl + '/slow', { dispatcher: new Pool(proxyUrl, { connections: 1 }) })
    .then(async (r) => ({ status: r.statusCode, body: await r.body.text() }));
  const load = (async () => {
    for (let i = 0; i < 200; i++) {
      const entry = { sentAt: Date.now(), status: null as number | null, error: null as string | null };
      results.push(entry);
      all.push(pool.request({ path: `/api/osquery/distributed/read?i=${i}`, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
        .then(async (r) => { entry.status = r.statusCode; await r.body.text(); if (++answered === 50) fiftyAnswered(); }, (e: Error & { code?: string }) => { entry.error = e.code ?? e.message; }));
      await sleep(15);
    }
  })();

  // SIGTERM once the load is flowing (50 answered) and the slow request is at the upstream: in flight, not yet answered
  await Promise.all([underLoad, slowInFlight]);
  sigtermAt = Date.now();
  child.kill('SIGTERM');
  // the proxy closes its listener before it sends the websocket its close frame (shutdown.ts drain): after the frame, no new connection
  const closed = await wsClosed;
  const refused = await new Promise<string>((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => { c.destroy(); resolve('connected'); });
    c.once('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message));
  });
  t.equal(refused, 'ECONNREFUSED', 'a new connection after SIGTERM is refused');

  await load;
  await Promise.all(all);
  const before = results.filter((r) => r.sentAt < sigtermAt);
  t.ok(before.length >= 50, `${before.length} requests sent before SIGTERM`);
  t.same(before.filter((r) => r.status !== 200), [], 'every request sent before SIGTERM completed with 200');
  const after = results.filter((r) => r.sentAt >= sigtermAt);
  t.ok(after.every((r) => r.status === 200 || r.error !== null), 'later ones were answered or refused, never half-served');
  t.same(await slow, { status: 200, body: 'slow done' }, 'the 2 s request in flight at SIGTERM finished');

  t.equal(closed.code, 1001, 'the websocket got a close frame with 1001 (going away)');
  t.ok(closed.at - sigtermAt < 1500, 'promptly, not at the end of the grace');
  const exit = await exited;
  t.equal(exit.code, 0, 'exit code 0');
  t.ok(exit.at - sigtermAt < GRACE_S * 1000, `exited ${exit.at - sigtermAt} ms after SIGTERM, within the grace`);
  t.ok(exit.at - sigtermAt >= 700, 'not before the slow request was done');
  await upstreamWsClosed;
  t.same(upstreamCloses, [1001], 'Fleet\'s side got the client\'s close frame (1001) through the tunnel');
});
