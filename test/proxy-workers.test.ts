// samlscope proxy --workers N (node:cluster): both workers serve one port, a dead worker is replaced, SIGTERM drains to exit 0, SSO correlates across workers through Redis.
import t, { type Test } from 'tap';
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Pool, request, Agent } from 'undici';
import { childEnv } from './child-env.js';
import { CERTS } from './proxy-helpers.js';
import { startRedis } from './redis-server.js';
import { ENTITY_ID, config } from './sso-stack.js';
import { startFleetSim } from '../src/fleet-sim/server.js';
import { startMockIdp } from '../src/idp/server.js';
import { CookieJar } from '../src/login/login.js';
import { findFleetToken, findSamlForm } from '../src/login/html-form.js';
import { pollUntil } from './wait.js';

type Line = Record<string, unknown>;
interface Cli { child: ChildProcess; url: string; adminUrl: string; pids: number[]; lines: Line[]; stderr: () => string; exited: Promise<number | null> }

/** Starts `samlscope proxy ... --workers 2` and waits for the primary's startup line. */
async function cli(t: Test, args: string[]): Promise<Cli> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'proxy', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--shutdown-grace', '5', ...args],
    { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.teardown(async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited; } });
  const lines: Line[] = [];
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    const parts = out.split('\n');
    out = parts.pop() ?? '';
    for (const l of parts) if (l.startsWith('{')) lines.push(JSON.parse(l) as Line);
  });
  let err = '';
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      const found = / on (http:\/\/127\.0\.0\.1:\d+) .*admin (http:\/\/127\.0\.0\.1:\d+) .*workers 2 \(pids (\d+), (\d+)\)/.exec(err);
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${err}`)));
  });
  return { child, url: m[1], adminUrl: m[2], pids: [Number(m[3]), Number(m[4])], lines, stderr: () => err, exited };
}

function metadataFile(): string {
  const pem = readFileSync(new URL('test-only-idp-signing.cert.pem', CERTS), 'utf8').replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  const file = join(mkdtempSync(join(tmpdir(), 'samlscope-workers-')), 'metadata.xml');
  writeFileSync(file, '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sts.windows.net/t/"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
    `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${pem}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>` +
    '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.example.test/t/saml2"/></IDPSSODescriptor></EntityDescriptor>');
  return file;
}

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  await pollUntil(what, ok, { timeoutMs: ms });
}

t.test('--workers 2: one port, both workers serve, a killed worker is replaced, SIGTERM drains all and exits 0', async (t) => {
  const seen: { xff: string | undefined; port: number }[] = [];
  const upstream = http.createServer((req, res) => {
    seen.push({ xff: req.headers['x-forwarded-for'] as string | undefined, port: req.socket.remotePort as number });
    req.resume();
    req.on('end', () => res.end('{"queries":{}}'));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { upstream.closeAllConnections(); upstream.close(() => r()); }));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  const p = await cli(t, ['--upstream', upstreamUrl, '--metadata', metadataFile(), '--public-url', 'https://fleet.example.test', '--workers', '2']);
  t.match(p.stderr(), /warning: --workers 2 without --redis-url/, 'no shared state: warned on startup');
  t.ok(p.lines.some((l) => l.event === 'proxy.workers_without_shared_state'), 'and in the log');
  t.not(p.pids[0], p.pids[1], 'two worker processes');
  t.not(p.pids[0], p.child.pid, 'workers are not the primary');

  // 200 requests on 8 keep-alive connections: cluster's round-robin hands the connections to both workers
  const pool = new Pool(p.url, { connections: 8 });
  t.teardown(() => pool.destroy());
  const statuses = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    pool.request({ path: `/api/v1/fleet/hosts?i=${i}`, method: 'GET' }).then(async (r) => { await r.body.text(); return r.statusCode; })));
  t.same([...new Set(statuses)], [200], 'all 200 answered 200');
  t.equal(seen.length, 200, 'all reached the upstream');
  t.same([...new Set(seen.map((s) => s.xff))], ['127.0.0.1'], 'X-Forwarded-For is the real client, whichever worker');
  // each worker logs the requests it served (pino's pid field): both served
  await until('200 request log lines', () => p.lines.filter((l) => l.msg === 'request completed').length >= 200);
  const served = p.lines.filter((l) => l.msg === 'request completed');
  t.same([...new Set(served.map((l) => l.pid))].sort(), [...p.pids].sort(), 'both worker pids served requests');
  t.same([...new Set(served.map((l) => l.worker))].sort(), [1, 2], 'log lines name the worker slot');
  await pool.close();

  // the admin listener runs in worker 1 only
  const health = await request(p.adminUrl + '/healthz');
  t.equal(health.statusCode, 200, 'admin listener answers');
  await health.body.text();
  // /metrics (served by worker 1) sums both workers' pass-through requests (the dedicated test below adds SSO and a stuck worker)
  const metrics = await (await request(p.adminUrl + '/metrics')).body.text();
  t.match(metrics, /samlscope_http_responses_total\{route="passthrough",class="2xx"\} 200\n/, 'pass-through status classes: both workers\' requests');
  t.match(metrics, /samlscope_upstream_seconds_count\{route="passthrough"\} 200\n/, 'pass-through latency histogram: both workers\' requests');
  const started = p.lines.filter((l) => l.event === 'proxy.started');
  t.same(started.map((l) => [l.worker, l.adminUrl === null]).sort(), [[1, false], [2, true]], 'admin in worker 1, none in worker 2');

  // a crashed worker is replaced in its slot
  process.kill(p.pids[1], 'SIGKILL');
  await until('a replacement worker', () => p.lines.some((l) => l.event === 'worker.ready' && l.index !== undefined && !p.pids.includes(l.pid as number)));
  t.ok(p.lines.some((l) => l.event === 'worker.exited' && l.pid === p.pids[1] && l.replacing === true && l.signal === 'SIGKILL'), 'the death is logged and replaced');
  const after = await Promise.all(Array.from({ length: 20 }, () => request(p.url + '/api/v1/fleet/version').then(async (r) => { await r.body.text(); return r.statusCode; })));
  t.same([...new Set(after)], [200], 'traffic flows after the replacement');

  p.child.kill('SIGTERM');
  t.equal(await p.exited, 0, 'SIGTERM: the primary exits 0 once its workers drained');
  t.equal(p.lines.filter((l) => l.event === 'proxy.drained').length, 2, 'both live workers drained');
});

/** The value of one sample in a Prometheus text exposition (null: absent). */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

t.test('--workers 2: /metrics sums every worker (pass-through and SSO), and a worker that does not answer in time is left out', async (t) => {
  const upstream = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('{"queries":{}}')); });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { upstream.closeAllConnections(); upstream.close(() => r()); }));
  const p = await cli(t, ['--upstream', `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, '--metadata', metadataFile(), '--public-url', 'https://fleet.example.test', '--workers', '2']);

  // before any traffic: both workers answer, nothing counted yet
  const empty = await (await request(p.adminUrl + '/metrics')).body.text();
  t.equal(sample(empty, 'samlscope_workers'), 2, 'two live workers');
  t.equal(sample(empty, 'samlscope_workers_answered'), 2, 'both answered');

  // 120 pass-through requests and 40 SSO callbacks (a SAMLResponse that is not SAML: judged, then passed on in observe mode) on 8 connections each
  const PASS = 120;
  const SSO = 40;
  const pool = new Pool(p.url, { connections: 8 });
  t.teardown(() => pool.destroy());
  const pass = Promise.all(Array.from({ length: PASS }, (_, i) =>
    pool.request({ path: `/api/v1/fleet/hosts?i=${i}`, method: 'GET' }).then(async (r) => { await r.body.text(); return r.statusCode; })));
  const sso = Promise.all(Array.from({ length: SSO }, () =>
    pool.request({ path: '/api/v1/fleet/sso/callback', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'SAMLResponse=bm90IHNhbWw%3D' })
      .then(async (r) => { await r.body.text(); return r.statusCode; })));
  const [passStatuses, ssoStatuses] = await Promise.all([pass, sso]);
  t.same([...new Set(passStatuses)], [200], 'pass-through answered 200');
  await pool.close();

  // the per-worker signal: each worker's own log lines (slot in `worker`)
  await until('all request log lines', () => p.lines.filter((l) => l.msg === 'request completed' && (l.req as { url?: string })?.url?.startsWith('/api/v1/fleet/hosts')).length >= PASS
    && p.lines.filter((l) => l.event === 'sso.attempt').length >= SSO);
  const passBy = (w: number) => p.lines.filter((l) => l.msg === 'request completed' && l.worker === w && (l.req as { url?: string })?.url?.startsWith('/api/v1/fleet/hosts')).length;
  const ssoBy = (w: number) => p.lines.filter((l) => l.event === 'sso.attempt' && l.worker === w).length;
  t.ok(passBy(1) > 0 && passBy(2) > 0, `both workers served pass-through requests (${passBy(1)} + ${passBy(2)})`);
  t.ok(ssoBy(1) > 0 && ssoBy(2) > 0, `both workers judged SSO callbacks (${ssoBy(1)} + ${ssoBy(2)})`);

  const all = await (await request(p.adminUrl + '/metrics')).body.text();
  t.equal(sample(all, 'samlscope_workers_answered'), 2, 'both workers answered the scrape');
  t.equal(sample(all, 'samlscope_http_responses_total{route="passthrough",class="2xx"}'), PASS, 'pass-through status classes: the sum over both workers');
  t.equal(sample(all, 'samlscope_upstream_seconds_count{route="passthrough"}'), PASS, 'pass-through histogram count: both workers');
  t.equal(sample(all, 'samlscope_upstream_seconds_bucket{le="+Inf",route="passthrough"}'), PASS, 'histogram buckets merged');
  const ssoCounted = ['1xx', '2xx', '3xx', '4xx', '5xx'].reduce((n, c) => n + (sample(all, `samlscope_http_responses_total{route="sso",class="${c}"}`) ?? 0), 0);
  t.equal(ssoCounted, SSO, 'SSO responses: the sum over both workers');
  t.equal(ssoCounted, ssoStatuses.length, 'as many as were answered');
  t.equal(sample(all, 'samlscope_sso_analysis_seconds_count'), SSO, 'every judged callback is in the analysis histogram');
  t.equal(sample(all, 'samlscope_metadata_fetch_ok{source="file"}'), 1, 'a gauge is not summed (min over the workers)');
  t.equal(all.match(/^samlscope_metadata_fetch_ok\{/gm)?.length, 1, 'one series per gauge label set');

  // a worker that does not answer (stopped) is left out after the timeout; the answered gauge says so
  process.kill(p.pids[1], 'SIGSTOP');
  t.teardown(() => { try { process.kill(p.pids[1], 'SIGCONT'); } catch { /* gone */ } });
  const began = Date.now();
  const res = await request(p.adminUrl + '/metrics');
  const partial = await res.body.text();
  const took = Date.now() - began;
  process.kill(p.pids[1], 'SIGCONT');
  t.equal(res.statusCode, 200, 'answered (before worker 1 gives up on the primary at 5 s)');
  t.ok(took >= 1_900, `the scrape waited for the 2 s timeout (${took} ms)`);
  t.equal(sample(partial, 'samlscope_workers'), 2, 'still two live workers');
  t.equal(sample(partial, 'samlscope_workers_answered'), 1, 'one answered');
  t.equal(sample(partial, 'samlscope_http_responses_total{route="passthrough",class="2xx"}'), passBy(1), 'only worker 1\'s requests');

  // it answers again once it runs
  const back = await (await request(p.adminUrl + '/metrics')).body.text();
  t.equal(sample(back, 'samlscope_workers_answered'), 2, 'both answer again');
  t.equal(sample(back, 'samlscope_http_responses_total{route="passthrough",class="2xx"}'), PASS, 'and the sum is whole again');

  p.child.kill('SIGTERM');
  t.equal(await p.exited, 0, 'SIGTERM: exit 0');
});

t.test('--workers 2 in enforce mode without --redis-url is refused', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'proxy', '--upstream', 'http://127.0.0.1:1', '--metadata', metadataFile(), '--public-url', 'https://fleet.example.test',
    '--listen', '127.0.0.1:0', '--workers', '2', '--mode', 'enforce'], { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => { err += c.toString(); });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  t.equal(code, 2, 'usage error');
  t.match(err, /--workers: above 1 in enforce mode needs --redis-url/);
});

t.test('with --redis-url, an SSO login correlates across workers (enforce): initiate on one worker, callback on the other', async (t) => {
  const redis = await startRedis(t);
  const port = await new Promise<number>((resolve) => { const s = http.createServer(); s.listen(0, '127.0.0.1', () => { const q = (s.address() as AddressInfo).port; s.close(() => resolve(q)); }); });
  const publicUrl = `http://127.0.0.1:${port}`;
  const sim = await startFleetSim({ entityId: ENTITY_ID, serverUrl: publicUrl, users: [{ email: 'alice@contoso.example', ssoEnabled: true }] });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config, port: 0, extraReplyUrls: [`${publicUrl}/api/v1/fleet/sso/callback`] });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  const p = await cli(t, ['--upstream', sim.url, '--metadata', idp.metadataUrl, '--public-url', publicUrl, '--entity-id', ENTITY_ID, '--mode', 'enforce',
    '--redis-url', redis.url, '--workers', '2', '--listen', `127.0.0.1:${port}`]);
  t.notMatch(p.stderr(), /warning: --workers/, 'no shared-state warning with Redis');

  // every step on a fresh connection: cluster's round-robin alternates new connections between the two workers
  const fresh = () => new Agent({ pipelining: 0 });
  for (let i = 0; i < 3; i++) {
    const jar = new CookieJar();
    const initUrl = new URL(publicUrl + '/api/v1/fleet/sso');
    const a1 = fresh();
    const init = await request(initUrl, { dispatcher: a1, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{"relay_url":"/"}' });
    jar.store(initUrl, init.headers['set-cookie']);
    const idpUrl = new URL((await init.body.json() as { url: string }).url);
    await a1.close();
    idpUrl.searchParams.set('login_hint', 'alice@contoso.example');
    const idpPage = await request(idpUrl, { headers: { accept: 'text/html' } });
    const form = findSamlForm(await idpPage.body.text());
    t.ok(form?.fields.SAMLResponse, 'the IdP posts a SAMLResponse');
    const acs = new URL(form?.action ?? '', idpUrl);
    const a2 = fresh();
    const cb = await request(acs, { dispatcher: a2, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: jar.header(acs) ?? '' }, body: new URLSearchParams(form?.fields ?? {}).toString() });
    const html = await cb.body.text();
    await a2.close();
    t.equal(cb.statusCode, 200, `login ${i}: Fleet answered the callback (enforce did not block it)`);
    t.ok(findFleetToken(html) ?? jar.get(acs, 'token'), `login ${i}: Fleet issued a session`);
  }
  await until('3 attempt lines', () => p.lines.filter((l) => l.event === 'sso.attempt').length >= 3);
  const attempts = p.lines.filter((l) => l.event === 'sso.attempt');
  for (const a of attempts) {
    t.equal(a.verdict, 'accept', 'accepted');
    t.notOk((a.codes as string[]).some((c) => c.startsWith('SAML_IRT_')), 'InResponseTo matched a stored AuthnRequest');
  }
  // which worker served initiate and callback: pino's request lines carry the worker slot
  const incoming = p.lines.filter((l) => l.msg === 'incoming request' && typeof (l.req as { url?: string })?.url === 'string');
  const initiates = incoming.filter((l) => (l.req as { url: string }).url === '/api/v1/fleet/sso').map((l) => l.worker);
  const callbacks = incoming.filter((l) => (l.req as { url: string }).url === '/api/v1/fleet/sso/callback').map((l) => l.worker);
  t.equal(initiates.length, 3);
  t.ok(initiates.some((w, i) => w !== callbacks[i]), 'at least one login started on one worker and finished on the other');
  p.child.kill('SIGTERM');
  t.equal(await p.exited, 0, 'SIGTERM: exit 0');
});
