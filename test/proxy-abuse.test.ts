// Abuse of the proxy on real sockets: slowloris headers, slow callback bodies, huge headers, callback floods beside agent traffic, malformed forms, path tricks, bodies on GET/HEAD.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { HEADERS_TIMEOUT_MS, startProxy } from '../src/proxy/server.js';
import { recordingUpstream, send, testMetadata } from './proxy-helpers.js';
import { setup } from './sso-stack.js';

const CALLBACK = '/api/v1/fleet/sso/callback';
const FORM = 'application/x-www-form-urlencoded';

function open(url: string): Promise<Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => { const s = connect(Number(u.port), u.hostname, () => resolve(s)); s.on('error', reject); });
}

/** Sends raw bytes on a fresh socket and reads until the server closes (or `waitMs`). */
async function raw(url: string, bytes: string | Buffer, waitMs = 3000): Promise<string> {
  const s = await open(url);
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.on('error', () => undefined);
  s.write(bytes);
  await Promise.race([new Promise((r) => s.on('close', r)), sleep(waitMs)]);
  s.destroy();
  return Buffer.concat(chunks).toString('latin1');
}

const forgedB64 = Buffer.from('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_f"/>').toString('base64');
const forgedForm = 'SAMLResponse=' + encodeURIComponent(forgedB64);

t.test('slowloris: headers trickled one byte per second are dropped after the header timeout', async (t) => {
  const up = await recordingUpstream();
  t.teardown(() => up.close());
  const p = await startProxy({ upstream: up.url, metadata: testMetadata(), adminListen: false, headersTimeoutMs: 1500 });
  t.teardown(() => p.close());
  t.ok(HEADERS_TIMEOUT_MS > 0 && HEADERS_TIMEOUT_MS < 100_000, `default header timeout ${HEADERS_TIMEOUT_MS} ms is set and below 100 s`);
  t.equal(p.timeouts.serverHeadersMs, 1500, 'configured on the server');
  t.equal(p.timeouts.serverRequestMs, 0, 'no whole-request deadline (long requests are not cut)');
  const s = await open(p.url);
  let closedAt = 0;
  const t0 = Date.now();
  s.on('close', () => { closedAt = Date.now(); });
  s.on('error', () => undefined);
  const head = 'GET /api/v1/fleet/version HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(50);
  for (let i = 0; i < head.length && !closedAt; i++) { if (!s.destroyed) s.write(head[i]); await sleep(1000); if (Date.now() - t0 > 8000) break; }
  t.ok(closedAt > 0, 'the connection was closed');
  t.ok(closedAt - t0 < 5000, `within a bounded time (${closedAt - t0} ms)`);
  t.equal(up.seen.length, 0, 'Fleet never saw the half request');
  t.equal((await send(p.url, { path: '/x' })).status, 200, 'the proxy keeps serving');
});

t.test('huge headers (> 16 KiB) get 431 and the proxy keeps serving', async (t) => {
  const { proxy, sim } = await setup(t, 'enforce');
  const r = await raw(proxy.url, `GET /api/v1/fleet/version HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
  t.match(r, /^HTTP\/1\.1 431/);
  const r2 = await raw(proxy.url, `POST ${CALLBACK} HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nCookie: ${'c=1; '.repeat(4000)}\r\nContent-Length: ${forgedForm.length}\r\n\r\n${forgedForm}`);
  t.match(r2, /^HTTP\/1\.1 431/, 'also on the callback');
  t.equal(sim.events.filter((e) => e.kind === 'callback').length, 0);
  const ok = await request(proxy.url + '/api/osquery/distributed/read', { method: 'POST', body: '{"node_key":"k"}', headers: { 'content-type': 'application/json' } });
  t.equal(ok.statusCode, 200, 'still serving');
  await ok.body.dump();
});

t.test('a body trickled slowly to the SSO callback is still judged and blocks nobody else', async (t) => {
  const { proxy, callbacks } = await setup(t, 'enforce');
  const s = await open(proxy.url);
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.write(`POST ${CALLBACK} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: ${FORM}\r\nContent-Length: ${forgedForm.length}\r\n\r\n`);
  const t0 = Date.now();
  const step = Math.ceil(forgedForm.length / 10);
  for (let i = 0; i < forgedForm.length; i += step) {
    s.write(forgedForm.slice(i, i + step));
    const other = await send(proxy.url, { path: '/api/v1/fleet/version' });
    t.ok(other.status > 0, 'other requests answered meanwhile');
    await sleep(250);
  }
  await Promise.race([new Promise((r) => s.once('end', r)), sleep(5000)]);
  s.destroy();
  t.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 403/, `judged and blocked after ${Date.now() - t0} ms of trickle`);
  t.equal(callbacks(), 0, 'Fleet never saw it');
});

t.test('a callback body that never finishes (slow-body attack) is cut off at its deadline in both modes', async (t) => {
  for (const mode of ['observe', 'enforce'] as const) {
    const { proxy, callbacks } = await setup(t, mode, { callbackBodyDeadlineMs: 1_000 });
    const s = await open(proxy.url);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    const closed = new Promise((r) => s.once('close', r));
    s.write(`POST ${CALLBACK} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: ${FORM}\r\nContent-Length: ${forgedForm.length}\r\n\r\n`);
    s.write(forgedForm.slice(0, 100));
    const t0 = Date.now();
    await Promise.race([closed, sleep(10_000)]);
    const answer = Buffer.concat(chunks).toString();
    t.match(answer, /^HTTP\/1\.1 408/, `${mode}: 408 after ${Date.now() - t0} ms`);
    t.match(answer, /EDGE_BODY_TIMEOUT/, `${mode}: names the code`);
    t.ok(s.destroyed || s.readableEnded, `${mode}: connection closed`);
    s.destroy();
    t.equal(callbacks(), 0, `${mode}: Fleet never saw it`);
  }
});

t.test('50 concurrent hostile callbacks at Fleet\'s 256 KiB cap while agent traffic flows: event-loop lag and agent p99 reported', async (t) => {
  const { proxy, callbacks } = await setup(t, 'enforce');
  const hostile = Buffer.from('SAMLResponse=' + encodeURIComponent(Buffer.from('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">' + '<x/>'.repeat(200_000) + '</samlp:Response>').toString('base64')).slice(0, 256 * 1024 - 20));
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  let stop = false;
  const latencies: number[] = [];
  const agent = (async () => {
    while (!stop) {
      const t0 = performance.now();
      const r = await request(proxy.url + '/api/osquery/distributed/read', { method: 'POST', body: '{"node_key":"k"}', headers: { 'content-type': 'application/json' } });
      await r.body.dump();
      if (r.statusCode === 200) latencies.push(performance.now() - t0);
    }
  })();
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: 50 }, () => send(proxy.url, { method: 'POST', path: CALLBACK, body: hostile, headers: { 'content-type': FORM, accept: 'application/json' } })));
  const floodMs = performance.now() - t0;
  stop = true;
  await agent;
  lag.disable();
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  t.comment(`flood of 50 × ${hostile.length} B callbacks took ${floodMs.toFixed(0)} ms; event-loop delay (this process, proxy in-process) p50 ${(lag.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms; agent requests ${latencies.length}, p50 ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms`);
  t.same([...new Set(results.map((r) => r.status))], [403], 'every hostile callback blocked');
  t.equal(callbacks(), 0, 'Fleet never saw one');
  t.ok(latencies.length > 0, 'agent traffic kept flowing');
});

t.test('malformed form bodies: duplicate SAMLResponse, wrong content type, charset tricks, chunked with trailers', async (t) => {
  const { proxy, callbacks } = await setup(t, 'enforce');
  const post = (body: string | Buffer, headers: Record<string, string>) => send(proxy.url, { method: 'POST', path: CALLBACK, body: Buffer.from(body), headers: { accept: 'application/json', ...headers } });
  const dup = await post(`${forgedForm}&${forgedForm}`, { 'content-type': FORM });
  t.equal(dup.status, 403, 'duplicate SAMLResponse blocked');
  // Go's FormValue takes the first of the two: that value is the one judged (src/fleet/callback-request.ts)
  t.match((await proxy.store.listAttempts(1))[0], { verdict: 'reject', fleetRead: { outcome: 'read', source: 'body' }, judgedSha256: /^[0-9a-f]{64}$/ });
  for (const ct of ['text/plain', 'application/json', 'multipart/form-data; boundary=x', `${FORM}; charset=utf-16`, `${FORM}; charset=utf-16le`, `${FORM}; charset=ISO-2022-JP`]) {
    const r = await post(forgedForm, { 'content-type': ct });
    t.equal(r.status, 403, `${ct}: blocked`);
  }
  const utf16 = await post(Buffer.from(forgedForm, 'utf16le'), { 'content-type': `${FORM}; charset=utf-16le` });
  t.equal(utf16.status, 403, 'a UTF-16 encoded body: blocked');
  const chunked = await raw(proxy.url, `POST ${CALLBACK} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: ${FORM}\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\nConnection: close\r\n\r\n${forgedForm.length.toString(16)}\r\n${forgedForm}\r\n0\r\nX-T: 1\r\n\r\n`);
  t.match(chunked, /^HTTP\/1\.1 403/, 'chunked with trailers: blocked');
  const smuggle = await raw(proxy.url, `POST ${CALLBACK} HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`);
  t.match(smuggle, /^HTTP\/1\.1 400/, 'Content-Length with Transfer-Encoding: refused');
  t.equal(callbacks(), 0, 'Fleet saw none of them');
});

t.test('path tricks aimed at slipping a forged callback past interception (enforce): Fleet never acts on one', async (t) => {
  // the list in proxy-passthrough.test.ts covers encodings, dot segments, slashes and case; these are the others
  const { proxy, sim, callbacks } = await setup(t, 'enforce');
  const paths = [
    '/api/v1/fleet/sso/callback;jsessionid=x', '/api/v1/fleet/sso/callback%00', '/api/v1/fleet/sso/callback%20', '/%61pi/v1/fleet/sso/callback',
    '/api/v1/fleet/sso/callback%2f', '/api/v1/fleet/%2e/sso/callback', '/api/v1/fleet/sso/callback/.', '/api/v1/fleet/sso/callback%3f',
    '/api/v1/fleet/sso/callback#x', '/api/v1/fleet/sso/callback/..;/callback', '/api/v1/fleet/sso/callback%23', '/api/v1/fleet/sso/callback%252f',
    `http://127.0.0.1${CALLBACK}`, `http://evil.example${CALLBACK}`,
    // Fleet's /api/_version_/ routes (the MDM SSO ones) answer under every API version, not only v1
    '/api/latest/fleet/mdm/sso/callback', '/api/2022-04/fleet/mdm/sso/callback', '/api/LATEST/fleet/mdm/sso/callback/',
    '/api/latest/fleet/sso/callback',
  ];
  for (const path of paths) {
    const r = await raw(proxy.url, `POST ${path} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: ${FORM}\r\nContent-Length: ${forgedForm.length}\r\nConnection: close\r\n\r\n${forgedForm}`);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(r)?.[1] ?? 0);
    t.ok(status === 403 || status === 400 || status === 404, `${path}: blocked or not a route at all (${status})`);
    t.equal(callbacks(), 0, `${path}: Fleet did not act on it as a callback`);
  }
  t.comment(`fleet-sim saw ${sim.events.length} SSO events`);
});

t.test('bodies on GET/HEAD to the SSO routes are refused', async (t) => {
  const { proxy, callbacks } = await setup(t, 'enforce');
  for (const method of ['GET', 'HEAD']) {
    for (const path of [CALLBACK, '/api/v1/fleet/sso']) {
      const r = await send(proxy.url, { method, path, body: Buffer.from(forgedForm), headers: { 'content-type': FORM } });
      t.equal(r.status, 400, `${method} ${path} with a body`);
    }
    const chunked = await raw(proxy.url, `${method} ${CALLBACK} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
    t.match(chunked, /^HTTP\/1\.1 400/, `${method} with a chunked body`);
  }
  t.equal(callbacks(), 0);
});
