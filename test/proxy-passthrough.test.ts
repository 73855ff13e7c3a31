// samlscope proxy pass-through: bytes, headers, cookies, client address, websockets, timeouts, upstream TLS and failures, path tricks.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { WebSocketServer, WebSocket } from 'ws';
import { startProxy, type ProxyHandle, type ProxyOptions } from '../src/proxy/server.js';
import { EDGE_ERRORS } from '../src/proxy/edge-errors.js';
import { CERTS, recordingUpstream, send, sha256, testMetadata } from './proxy-helpers.js';

const metadata = testMetadata();
const BIN = randomBytes(200_000);
const GZ = gzipSync(Buffer.from('{"hello":"world"}'.repeat(100)));
const tlsCert = readFileSync(new URL('test-only-tls-localhost.cert.pem', CERTS));
const tlsKey = readFileSync(new URL('test-only-tls-localhost.key.pem', CERTS));

const upstream = await recordingUpstream((req, body, res) => {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/echo') {
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'x-got-bytes': String(body.length) });
    res.end(body);
  } else if (path === '/binary') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIN.length });
    res.end(BIN);
  } else if (path === '/gzip') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': GZ.length });
    res.end(GZ);
  } else if (path === '/chunked') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let i = 0;
    const tick = () => { if (i < 5) { res.write(`part-${i++};`); setTimeout(tick, 20); } else res.end(); };
    tick();
  } else if (path === '/empty') {
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  } else if (path === '/cookies') {
    res.setHeader('set-cookie', ['__Host-FLEETSSOSESSIONID=abc; Path=/; Max-Age=900; Secure; HttpOnly', 'token=xyz; Path=/', 'third=3; Path=/x; Domain=example.test']);
    res.end('c');
  } else if (path === '/slow') {
    setTimeout(() => res.end('finally'), 3000);
  } else if (path === '/reset') {
    req.socket.destroy();
  } else {
    res.end('ok');
  }
});
const wsOrigins: (string | undefined)[] = [];
const wss = new WebSocketServer({ noServer: true });
upstream.server.on('upgrade', (req, socket, head) => {
  wsOrigins.push(req.headers.origin);
  wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m, binary) => ws.send(m, { binary })));
});

const proxies: ProxyHandle[] = [];
async function proxy(extra: Partial<ProxyOptions> = {}): Promise<ProxyHandle> {
  const p = await startProxy({ upstream: upstream.url, metadata, publicUrl: 'https://fleet.example.test', adminListen: false, ...extra });
  proxies.push(p);
  return p;
}
t.teardown(async () => {
  for (const p of proxies) await p.close();
  wss.close();
  await upstream.close();
});

const p = await proxy();
const last = () => upstream.seen[upstream.seen.length - 1];

t.test('bodies pass byte for byte both ways: binary, gzip, chunked, empty', async (t) => {
  const up = BIN.subarray(0, 150_000);
  const r1 = await send(p.url, { method: 'POST', path: '/echo', body: up, headers: { 'content-type': 'application/octet-stream' } });
  t.equal(sha256(last().body), sha256(up), 'upstream got the same bytes');
  t.equal(sha256(r1.body), sha256(up), 'client got the same bytes back');

  const chunks = [randomBytes(1000), randomBytes(70_000), randomBytes(3)];
  const r2 = await send(p.url, { method: 'PUT', path: '/echo', body: chunks });
  t.equal(sha256(last().body), sha256(Buffer.concat(chunks)), 'chunked upload arrives whole');
  t.equal(r2.headers['x-got-bytes'], '71003');

  const gzBody = gzipSync(Buffer.from('{"queries":{}}'));
  await send(p.url, { method: 'POST', path: '/echo', body: gzBody, headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' } });
  t.equal(last().headers['content-encoding'], 'gzip', 'request Content-Encoding kept');
  t.equal(sha256(last().body), sha256(gzBody), 'gzip request body not decoded');

  const r3 = await send(p.url, { path: '/binary' });
  t.equal(sha256(r3.body), sha256(BIN));
  const r4 = await send(p.url, { path: '/gzip', headers: { 'accept-encoding': 'gzip' } });
  t.equal(r4.headers['content-encoding'], 'gzip');
  t.equal(sha256(r4.body), sha256(GZ), 'gzip response passed as is');
  const r5 = await send(p.url, { path: '/chunked' });
  t.equal(r5.body.toString(), 'part-0;part-1;part-2;part-3;part-4;');
  const r6 = await send(p.url, { path: '/empty' });
  t.equal(r6.status, 200);
  t.equal(r6.body.length, 0);
  await send(p.url, { method: 'POST', path: '/echo', body: Buffer.alloc(0) });
  t.equal(last().body.length, 0, 'empty request body');
  await send(p.url, { path: '/echo?a=%7E&b=x+y&flag&c=%2F%20' });
  t.equal(last().url, '/echo?a=%7E&b=x+y&flag&c=%2F%20', 'query string byte for byte');
});

t.test('headers and cookies untouched; Host kept', async (t) => {
  const r = await send(p.url, { path: '/cookies', headers: { cookie: '__Host-token=secret; __Host-FLEETSSOSESSIONID=s1', 'x-custom': 'A b  c', host: 'fleet.example.test' } });
  t.same(r.headers['set-cookie'], ['__Host-FLEETSSOSESSIONID=abc; Path=/; Max-Age=900; Secure; HttpOnly', 'token=xyz; Path=/', 'third=3; Path=/x; Domain=example.test']);
  t.equal(last().headers.cookie, '__Host-token=secret; __Host-FLEETSSOSESSIONID=s1');
  t.equal(last().headers['x-custom'], 'A b  c');
  t.equal(last().headers.host, 'fleet.example.test');
});

t.test('X-Forwarded-For / X-Real-IP from the real client; a client\'s own only via trusted proxies', async (t) => {
  await send(p.url, { path: '/x', headers: { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6', 'true-client-ip': '6.6.6.6' } });
  t.equal(last().headers['x-forwarded-for'], '127.0.0.1');
  t.equal(last().headers['x-real-ip'], '127.0.0.1');
  t.equal(last().headers['true-client-ip'], undefined, 'spoofed True-Client-IP dropped');
  const trusted = await proxy({ trustedProxies: ['127.0.0.0/8', '::1'] });
  await send(trusted.url, { path: '/x', headers: { 'x-forwarded-for': '203.0.113.9, 6.6.6.6' } });
  t.equal(last().headers['x-forwarded-for'], '203.0.113.9, 6.6.6.6, 127.0.0.1');
  t.equal(last().headers['x-real-ip'], '6.6.6.6', 'right-most untrusted address');
});

t.test('websocket: Origin preserved, messages both ways, stays open', async (t) => {
  const ws = new WebSocket(p.url.replace('http', 'ws') + '/api/v1/fleet/results/websocket', { origin: 'https://fleet.example.test' });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const echoes: string[] = [];
  ws.on('message', (m) => echoes.push(m.toString()));
  // each message waits for the echo of the one before it: the order is the exchange's, not a timer's
  for (let i = 0; i < 3; i++) { const echoed = new Promise((r) => ws.once('message', r)); ws.send(`m${i}`); await echoed; }
  t.same(echoes, ['m0', 'm1', 'm2']);
  // the client's handshake completes at the proxy first; Fleet's side is connected by the time echoes return
  t.equal(wsOrigins[wsOrigins.length - 1], 'https://fleet.example.test', 'Origin reached Fleet');
  t.equal(ws.readyState, WebSocket.OPEN);
  ws.close();
});

t.test('slow answers are not cut; no timeout below 100 s is configured', async (t) => {
  const r = await send(p.url, { path: '/slow' });
  t.equal(r.body.toString(), 'finally');
  for (const [k, v] of Object.entries(p.timeouts)) {
    if (k === 'upstreamConnectMs' || k === 'serverHeadersMs' || k === 'serverKeepAliveMs') continue;
    t.ok(v === 0 || v >= 100_000, `${k} = ${v} is none or at least 100 s`);
  }
});

t.test('upstream down or reset: 502 with an EDGE code, JSON or HTML; the proxy keeps serving', async (t) => {
  const r1 = await send(p.url, { path: '/reset' });
  t.equal(r1.status, 502);
  t.equal(JSON.parse(r1.body.toString()).error.code, 'EDGE_UPSTREAM_RESET');
  t.equal((await send(p.url, { path: '/x' })).status, 200, 'still serving');
  const dead = await recordingUpstream();
  const deadUrl = dead.url;
  await dead.close();
  const pd = await proxy({ upstream: deadUrl });
  const r2 = await send(pd.url, { path: '/api/osquery/distributed/read', method: 'POST', body: Buffer.from('{}'), headers: { 'content-type': 'application/json' } });
  t.equal(r2.status, EDGE_ERRORS.EDGE_UPSTREAM_UNREACHABLE.status);
  const j = JSON.parse(r2.body.toString());
  t.equal(j.error.code, 'EDGE_UPSTREAM_UNREACHABLE');
  t.ok(j.error.requestId);
  const r3 = await send(pd.url, { path: '/dashboard', headers: { accept: 'text/html,application/xhtml+xml' } });
  t.equal(r3.status, 502);
  t.match(r3.headers['content-type'], /text\/html/);
  t.match(r3.body.toString(), /id="code">EDGE_UPSTREAM_UNREACHABLE</);
  t.equal((await send(pd.url, { path: '/again' })).status, 502, 'still answering');
});

t.test('upstream TLS is verified unless told otherwise', async (t) => {
  const tlsUp = await recordingUpstream(undefined, { cert: tlsCert, key: tlsKey });
  t.teardown(() => tlsUp.close());
  const strict = await proxy({ upstream: tlsUp.url });
  const r1 = await send(strict.url, { path: '/x' });
  t.equal(r1.status, 502);
  t.equal(JSON.parse(r1.body.toString()).error.code, 'EDGE_UPSTREAM_TLS');
  t.equal(tlsUp.seen.length, 0, 'nothing reached the unverified upstream');
  const withCa = await proxy({ upstream: tlsUp.url, upstreamCa: tlsCert });
  t.equal((await send(withCa.url, { path: '/x' })).status, 200);
  // websockets to a TLS upstream are verified the same way
  const tlsWss = new WebSocketServer({ noServer: true });
  tlsUp.server.on('upgrade', (req, socket, head) => tlsWss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(m))));
  t.teardown(() => tlsWss.close());
  const wsEcho = (base: string) => new Promise<string>((resolve) => {
    const ws = new WebSocket(base.replace('http', 'ws') + '/api/v1/fleet/results/websocket');
    ws.on('open', () => ws.send('hi'));
    ws.on('message', (m) => { resolve(m.toString()); ws.close(); });
    ws.on('close', (code) => resolve(`closed ${code}`));
    ws.on('error', () => resolve('error'));
  });
  t.equal(await wsEcho(withCa.url), 'hi', 'wss upstream with --upstream-ca');
  t.match(await wsEcho(strict.url), /^closed|^error/, 'wss upstream with an unverified certificate is not connected');
  const insecure = await proxy({ upstream: tlsUp.url, upstreamInsecure: true });
  t.equal((await send(insecure.url, { path: '/x' })).status, 200);
  const served = await proxy({ tls: { cert: tlsCert, key: tlsKey } });
  t.match(served.url, /^https:/);
  t.equal((await send(served.url, { path: '/x', ca: tlsCert })).status, 200, 'serves TLS to clients');
});

t.test('GET / HEAD / TRACE with a body are refused', async (t) => {
  const before = upstream.seen.length;
  for (const method of ['GET', 'HEAD', 'TRACE']) {
    const r = await send(p.url, { method, path: '/api/v1/fleet/hosts', body: Buffer.from('smuggled'), headers: { 'content-type': 'text/plain' } });
    t.equal(r.status, 400, method);
    if (method !== 'HEAD') t.equal(JSON.parse(r.body.toString()).error.code, 'EDGE_BODY_NOT_ALLOWED');
  }
  t.equal(upstream.seen.length, before, 'none reached Fleet');
  t.equal((await send(p.url, { method: 'HEAD', path: '/x' })).status, 200, 'HEAD without a body passes');
});

t.test('path tricks cannot slip a callback past interception (enforce)', async (t) => {
  const enforce = await proxy({ mode: 'enforce' });
  const body = Buffer.from('SAMLResponse=' + encodeURIComponent(Buffer.from('<not-saml/>').toString('base64')));
  const before = upstream.seen.length;
  const paths = [
    '/api/v1/fleet/sso/callback',
    '/api/v1/fleet/sso/%63allback',
    '/api/v1/fleet/sso%2Fcallback',
    '//api/v1/fleet/sso/callback',
    '/api/v1//fleet/sso/callback',
    '/api/v1/fleet/sso/callback/',
    '/API/v1/Fleet/SSO/callback',
    '/api/v1/fleet/x/../sso/callback',
    '/api/v1/fleet/x/%2e%2e/sso/callback',
    '/api/v1/fleet/./sso/callback',
    '/api/v1/fleet/sso\\callback',
    '/api/v1/fleet/sso%5ccallback',
    '/api/v1/fleet/mdm/sso/callback?x=1',
    '/api/v1/fleet/sso/callback?SAMLResponse=x',
  ];
  for (const path of paths) {
    const r = await send(enforce.url, { method: 'POST', path, body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    t.equal(r.status, 403, `${path} blocked`);
    t.equal(JSON.parse(r.body.toString()).error.code, 'EDGE_SSO_REJECTED', path);
  }
  t.equal(upstream.seen.length, before, 'Fleet saw none of them');
  t.equal((await enforce.store.listAttempts()).length, paths.length, 'each one is a recorded attempt');
});

t.test('conditional access IdP paths pass untouched', async (t) => {
  const enforce = await proxy({ mode: 'enforce' });
  const body = Buffer.from('SAMLRequest=' + encodeURIComponent(Buffer.from('<samlp:AuthnRequest/>').toString('base64')) + '&RelayState=a%2Bb');
  const r = await send(enforce.url, { method: 'POST', path: '/api/fleet/conditional_access/idp/sso?x=%41', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(r.status, 200);
  t.equal(last().url, '/api/fleet/conditional_access/idp/sso?x=%41');
  t.equal(sha256(last().body), sha256(body));
  t.equal((await enforce.store.listAttempts()).length, 0, 'not treated as a login');
});

t.test('without publicUrl, Fleet\'s server_url is the proxy\'s own URL (learnt when it listens)', async (t) => {
  const own = await proxy({ publicUrl: undefined });
  t.equal(own.acsUrl, own.url + '/api/v1/fleet/sso/callback');
  t.equal(p.acsUrl, 'https://fleet.example.test/api/v1/fleet/sso/callback');
});

t.test('an Upgrade that is not a bodiless GET websocket is refused: no connection becomes a pipe past SSO interception', async (t) => {
  const { createConnection } = await import('node:net');
  const port = Number(new URL(p.url).port);
  // after each refused upgrade a callback POST is written on the same connection: it must never reach Fleet
  const smuggled = 'POST /api/v1/fleet/sso/callback HTTP/1.1\r\nHost: fleet.example.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 14\r\n\r\nSAMLResponse=x';
  const raw = (head: string) => new Promise<string>((resolve, reject) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => c.write(head + smuggled));
    let got = '';
    c.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    c.on('end', () => resolve(got));
    c.on('error', reject);
    c.setTimeout(5000, () => { c.destroy(); reject(new Error(`no close; got ${got}`)); });
  });
  const seenBefore = upstream.seen.length;
  const upgradesBefore = wsOrigins.length;
  const cases: [string, string][] = [
    ['h2c', 'GET /api/v1/fleet/hosts HTTP/1.1\r\nHost: fleet.example.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n'],
    ['tls', 'GET /api/v1/fleet/hosts HTTP/1.1\r\nHost: fleet.example.test\r\nConnection: Upgrade\r\nUpgrade: TLS/1.2\r\n\r\n'],
    ['websocket on POST', 'POST /api/v1/fleet/results/websocket HTTP/1.1\r\nHost: fleet.example.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n'],
    ['websocket GET with a body', 'GET /api/v1/fleet/results/websocket HTTP/1.1\r\nHost: fleet.example.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 4\r\n\r\nbody'],
  ];
  for (const [name, head] of cases) {
    const answer = await raw(head);
    t.match(answer, /^HTTP\/1\.1 400 /, `${name}: refused with 400`);
    t.match(answer, /Connection: close/i, `${name}: the connection is closed`);
    t.equal((answer.match(/^HTTP\/1\.1 /gm) ?? []).length, 1, `${name}: one answer only; the bytes after it were not served`);
    t.match(answer, /EDGE_BAD_REQUEST/, `${name}: EDGE code`);
  }
  t.equal(upstream.seen.length, seenBefore, 'no request reached Fleet, smuggled callback included');
  t.equal(wsOrigins.length, upgradesBefore, 'no upgrade reached Fleet');
  // the real websocket handshake still tunnels
  const ws = new WebSocket(p.url.replace('http', 'ws') + '/api/v1/fleet/results/websocket');
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  ws.close();
});
