// Edge mode end to end through real nginx, Caddy and HAProxy: fleet-sim + mock IdP + `startProxy({ edge: true })`, logins judged, forgeries blocked, agents never in samlscope.
import t from 'tap';
import { request } from 'undici';
import { login } from '../src/login/login.js';
import { FRONTS } from '../src/edge/index.js';
import type { Attempt } from '../src/proxy/attempt.js';
import { frontMissing, startFront } from './edge-fronts.js';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { send } from './proxy-helpers.js';
import { freePort, setup } from './sso-stack.js';
import { initiate } from './sso-login-steps.js';

/** A login's callback body, taken from the IdP's form, without posting it (test/sso-login-steps.ts). */
const callbackBody = (frontUrl: string, user: string) => initiate(frontUrl, user);

/** The same response with another user's email in it: the signature no longer covers what it says. */
function forge(body: string): string {
  const p = new URLSearchParams(body);
  const xml = Buffer.from(p.get('SAMLResponse') ?? '', 'base64').toString('utf8').replace(/alice@contoso\.example/g, 'admin@contoso.example');
  p.set('SAMLResponse', Buffer.from(xml).toString('base64'));
  return p.toString();
}

function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

for (const front of FRONTS) {
  t.test(`${front} in front of samlscope --edge (enforce) and Fleet`, async (t) => {
    const missing = frontMissing(front);
    if (missing) { t.fail(`${front} cannot run here: ${missing}`); return; }
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const { sim, proxy, callbacks, lines } = await setup(t, 'enforce', { edge: true, publicUrl, trustedProxies: ['127.0.0.1/32', '::1/128'] });
    const f = await startFront(front, { fleet: sim.url, samlscope: proxy.url, port });
    t.teardown(() => f.close());
    t.equal(f.url, publicUrl, 'the front listens where Fleet\'s server_url says');
    const metrics = async () => (await (await request(`${proxy.adminUrl}/metrics`)).body.text());

    t.test('a full login through the front is judged and recorded with Fleet\'s answer', async (t) => {
      const r = await login({ fleetUrl: f.url, user: 'alice@contoso.example' });
      t.match(r, { ok: true, outcome: 'success' });
      const [a] = await proxy.store.listAttempts(1) as Attempt[];
      t.match(a, { verdict: 'accept', action: 'forwarded', outcome: 'signed_in', nameId: 'alice@contoso.example', fleet: { predicted: 'success', actual: 'success' }, session: { known: true } });
      t.equal(a.client?.ip, '127.0.0.1', 'the client as the front saw it (X-Forwarded-For from a trusted front)');
      t.equal(sim.events.filter((e) => e.kind === 'callback' && e.outcome === 'success').length, 1, 'Fleet acted on it once');
    });

    t.test('a forged callback is blocked under every spelling; Fleet never acts on one', async (t) => {
      const { cookie, body } = await callbackBody(f.url, 'alice@contoso.example');
      const forged = forge(body);
      const before = callbacks();
      const spellings = ['/api/v1/fleet/sso/callback', '/API/v1/fleet/SSO/callback/', '/api/v1/fleet/sso%2Fcallback', '/api/v1/fleet/sso/%63allback',
        '/api/v1//fleet/./sso/callback', '/api/v1/fleet/x/../sso/callback', '/api/latest/fleet/sso/callback', '/api/2022-04/fleet/mdm/sso/callback', '/api/v1/fleet/mdm/sso/callback'];
      for (const path of spellings) {
        const r = await send(f.url, { method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', cookie }, body: Buffer.from(forged) });
        const code = (JSON.parse(String(r.body)) as { error?: { code?: string } }).error?.code;
        t.equal(r.status, 403, `${path}: 403`);
        t.equal(code, 'EDGE_SSO_REJECTED', `${path}: judged and blocked by samlscope`);
      }
      t.equal(callbacks(), before, 'no forged callback reached Fleet (fleet-sim events)');
      const [a] = await proxy.store.listAttempts(1) as Attempt[];
      t.ok(a.findings.some((x) => x.code === 'SAML_SIG_DIGEST_MISMATCH' || x.code === 'SAML_SIG_INVALID'), 'the attempt names the signature failure');
    });

    t.test('the invalid-response fixtures posted through the front are judged and blocked; none reaches Fleet', async (t) => {
      const dir = 'fixtures/responses/invalid/';
      const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
      const before = callbacks();
      const attempts0 = (await proxy.store.listAttempts(500)).length;
      let judged = 0;
      for (const file of files) {
        const body = Buffer.from(`SAMLResponse=${encodeURIComponent(readFileSync(dir + file).toString('base64'))}`);
        const r = await send(f.url, { method: 'POST', path: '/api/v1/fleet/sso/callback', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body });
        // 413: over Fleet's 256 KiB cap (samlscope's EDGE_BODY_TOO_LARGE, or the front's own limit above 1 MiB)
        t.ok(r.status === 403 || r.status === 413, `${file}: blocked (${r.status})`);
        if (r.status === 403) { judged++; t.match(String(r.body), /EDGE_SSO_REJECTED/, `${file}: judged by samlscope`); }
      }
      t.equal(callbacks(), before, 'fleet-sim saw none of them');
      t.ok(judged >= files.length - 2, `${judged} of ${files.length} judged by samlscope (the rest too large)`);
      t.ok((await proxy.store.listAttempts(500)).length >= attempts0 + judged, 'each judged one recorded as an attempt');
    });

    t.test('agent traffic through the front never reaches samlscope', async (t) => {
      const m0 = await metrics();
      const agent = [
        ['POST', '/api/osquery/distributed/read', '{"node_key":"x"}'],
        ['POST', '/api/v1/osquery/log', '{"node_key":"x","data":[]}'],
        ['POST', '/api/fleet/orbit/config', '{"orbit_node_key":"x"}'],
        ['GET', '/api/fleet/device/ping', ''],
        ['GET', '/api/v1/fleet/sso', ''],
      ];
      for (const [method, path, body] of agent) {
        const r = await send(f.url, { method, path, headers: { 'content-type': 'application/json' }, ...(body ? { body: Buffer.from(body) } : {}) });
        t.not(r.status, 421, `${method} ${path}: not refused by samlscope`);
        t.notMatch(String(r.body), /EDGE_/, `${method} ${path}: Fleet's own answer (${r.status})`);
      }
      const m1 = await metrics();
      for (const kind of ['agent', 'websocket', 'other']) t.equal(metric(m1, 'samlscope_edge_refused_total', `kind="${kind}"`), metric(m0, 'samlscope_edge_refused_total', `kind="${kind}"`), `no ${kind} request refused by samlscope`);
      for (const c of ['2xx', '4xx', '5xx']) t.equal(metric(m1, 'samlscope_http_responses_total', `route="passthrough",class="${c}"`), 0, `samlscope passed nothing through (${c})`);
    });

    t.test('a mis-routed agent sent to samlscope itself is refused, counted and logged', async (t) => {
      const m0 = metric(await metrics(), 'samlscope_edge_refused_total', 'kind="agent"');
      const r = await send(proxy.url, { method: 'POST', path: '/api/osquery/distributed/read', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') });
      t.equal(r.status, 421);
      t.match(JSON.parse(String(r.body)), { error: { code: 'EDGE_NOT_SSO_ROUTE', status: 421 } });
      t.equal(metric(await metrics(), 'samlscope_edge_refused_total', 'kind="agent"'), m0 + 1, 'counted');
      t.ok(lines.some((l) => l.event === 'edge.refused' && l.kind === 'agent'), 'logged as edge.refused');
      // a websocket (live queries) sent to samlscope: refused on the socket, no tunnel to Fleet
      const w0 = metric(await metrics(), 'samlscope_edge_refused_total', 'kind="websocket"');
      const u = new URL(proxy.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(Number(u.port), u.hostname, () => s.write('GET /api/v1/fleet/results/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'));
        let got = '';
        s.on('data', (c: Buffer) => { got += String(c); });
        s.on('end', () => resolve(got));
        s.on('error', reject);
      });
      t.match(answer, /^HTTP\/1\.1 421 /);
      t.match(answer, /EDGE_NOT_SSO_ROUTE/);
      t.equal(metric(await metrics(), 'samlscope_edge_refused_total', 'kind="websocket"'), w0 + 1, 'counted as websocket');
    });
  });
}
