// samlscope proxy SSO interception end to end: fleet-sim + the mock Entra IdP, observe and enforce, replay, Fleet outcomes, logs, admin API.
import t from 'tap';
import { request } from 'undici';
import { login } from '../src/login/login.js';
import { findSamlForm } from '../src/login/html-form.js';
import { startProxy, type ProxyHandle } from '../src/proxy/server.js';
import type { Attempt, AttemptSummary } from '../src/proxy/attempt.js';
import { recordingUpstream, send, sha256, testMetadata } from './proxy-helpers.js';
import { setup } from './sso-stack.js';
import { MemoryStore } from '../src/proxy/store.js';
import { buildAuthnRequest } from '../src/fleet-sim/authn-request.js';

async function latest(p: ProxyHandle): Promise<Attempt> {
  const [a] = await p.store.listAttempts(1);
  return a;
}

/** The flow by hand, to keep the callback body: initiate through the proxy, the IdP, the callback POST. */
async function manualFlow(proxyUrl: string, user: string) {
  const init = await request(proxyUrl + '/api/v1/fleet/sso', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"relay_url":"/"}' });
  const cookie = String(init.headers['set-cookie']).split(';')[0];
  const idpUrl = new URL(((await init.body.json()) as { url: string }).url);
  idpUrl.searchParams.set('login_hint', user);
  const idpPage = await request(idpUrl, { headers: { accept: 'text/html' } });
  const form = findSamlForm(await idpPage.body.text());
  if (!form) throw new Error('no SAML form');
  const body = new URLSearchParams(form.fields).toString();
  return { cookie, body };
}

async function postCallback(proxyUrl: string, body: string, cookie?: string, accept = 'application/json') {
  const r = await request(proxyUrl + '/api/v1/fleet/sso/callback', {
    method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', accept, ...(cookie ? { cookie } : {}) },
  });
  return { status: r.statusCode, text: await r.body.text() };
}

t.test('observe mode', async (t) => {
  const { proxy, lines, raw, callbacks } = await setup(t, 'observe');

  t.test('alice: success, predicted and actual agree, one log line without raw SAML', async (t) => {
    const r = await login({ fleetUrl: proxy.url, user: 'alice@contoso.example' });
    t.match(r, { ok: true, outcome: 'success' });
    const a = await latest(proxy);
    t.match(a, { verdict: 'accept', action: 'forwarded', nameId: 'alice@contoso.example', fleet: { predicted: 'success', actual: 'success' }, session: { cookie: true, known: true } });
    t.equal(a.session.authnRequest?.request.id, r.requestId, 'correlated with the AuthnRequest Fleet issued');
    t.notOk(a.findings.some((f) => f.severity === 'error'));
    const line = lines.find((l) => l.event === 'sso.attempt' && l.reqId === a.id);
    t.match(line, { verdict: 'accept', fleet: { predicted: 'success', actual: 'success' }, nameId: 'alice@contoso.example' });
    t.ok(lines.some((l) => l.event === 'sso.initiate'), 'initiate logged');
    const all = raw.join('');
    t.notMatch(all, /SAMLResponse|PHNhbWxw|<samlp:|<Assertion/, 'no raw SAML in the log');
  });

  t.test('carol: SAML valid, Fleet has no such user → SAML_FLEET_ACCOUNT_INVALID', async (t) => {
    const r = await login({ fleetUrl: proxy.url, user: 'carol@contoso.example' });
    t.match(r, { outcome: 'fleet_status', fleetStatus: 'account_invalid' });
    const a = await latest(proxy);
    t.match(a, { verdict: 'accept', fleet: { predicted: 'success', actual: 'account_invalid' } });
    t.ok(a.findings.some((f) => f.code === 'SAML_FLEET_ACCOUNT_INVALID'));
  });

  t.test('fault wrong-audience: forwarded anyway, Fleet says error, both agree on reject', async (t) => {
    const before = callbacks();
    const r = await login({ fleetUrl: proxy.url, user: 'alice@contoso.example', fault: 'wrong-audience' });
    t.match(r, { outcome: 'fleet_status', fleetStatus: 'error' });
    t.equal(callbacks(), before + 1, 'Fleet saw the callback');
    const a = await latest(proxy);
    t.match(a, { verdict: 'reject', action: 'forwarded', fleet: { predicted: 'error', actual: 'error' } });
    t.ok(a.findings.some((f) => f.code === 'SAML_AUDIENCE_MISMATCH'));
    t.notOk(a.findings.some((f) => f.code.startsWith('SAML_FLEET_ERROR') || f.code === 'SAML_FLEET_OUTCOME_UNEXPECTED'));
  });

  t.test('a replay is recorded but still forwarded', async (t) => {
    const { cookie, body } = await manualFlow(proxy.url, 'alice@contoso.example');
    t.equal((await postCallback(proxy.url, body, cookie, 'text/html')).status, 200);
    const before = callbacks();
    const again = await postCallback(proxy.url, body, undefined, 'text/html');
    t.equal(again.status, 200, 'Fleet answered');
    t.equal(callbacks(), before + 1, 'forwarded');
    const a = await latest(proxy);
    t.ok(a.findings.some((f) => f.code === 'SAML_REPLAY_DETECTED'));
    t.ok(a.findings.some((f) => f.code === 'SAML_FLEET_SESSION_UNKNOWN'));
    t.equal(a.verdict, 'reject');
  });

  t.test('admin API shapes', async (t) => {
    const list = await request(proxy.adminUrl + '/api/attempts');
    const items = (await list.body.json()) as AttemptSummary[];
    t.ok(items.length >= 4);
    for (const it of items) t.same(Object.keys(it).sort(), ['findings', 'fleet', 'fleetStatus', 'id', 'nameId', 'outcome', 'time', 'verdict']);
    t.ok(items.every((it, i) => i === 0 || items[i - 1].time >= it.time), 'newest first');
    t.same(Object.keys(items[0].fleet).sort(), ['actual', 'predicted']);
    const one = await request(`${proxy.adminUrl}/api/attempts/${items[items.length - 1].id}`);
    const full = (await one.body.json()) as Attempt;
    t.match(full.report?.xml, /Assertion/);
    t.match(full.session.authnRequest?.request.xml, /AuthnRequest/);
    t.equal((await request(proxy.adminUrl + '/api/attempts/nope')).statusCode, 404);
    const h = await request(proxy.adminUrl + '/healthz');
    t.match(await h.body.json(), { status: 'ok', mode: 'observe', metadata: { source: 'url', lastError: null } });
  });
});

t.test('enforce mode', async (t) => {
  const { proxy, callbacks, lines } = await setup(t, 'enforce', { maskNameId: true });

  t.test('alice still logs in', async (t) => {
    const r = await login({ fleetUrl: proxy.url, user: 'alice@contoso.example' });
    t.match(r, { ok: true, outcome: 'success' });
    const line = lines.find((l) => l.event === 'sso.attempt');
    t.equal(line?.nameId, 'a***@contoso.example', 'NameID masked in the log');
  });

  for (const [fault, code] of [['wrong-audience', 'SAML_AUDIENCE_MISMATCH'], ['expired', 'SAML_TIME_EXPIRED'], ['unknown-key', 'SAML_SIG_UNTRUSTED_KEY']] as const) {
    t.test(`fault ${fault}: blocked, Fleet never sees it`, async (t) => {
      const before = callbacks();
      const r = await login({ fleetUrl: proxy.url, user: 'alice@contoso.example', fault });
      t.match(r, { ok: false, reason: 'callback_blocked' });
      t.ok(r.codes?.includes('EDGE_SSO_REJECTED'));
      t.ok(r.codes?.includes(code), `page names ${code}`);
      t.equal(callbacks(), before, 'Fleet saw nothing');
      t.match(await latest(proxy), { verdict: 'reject', action: 'blocked', fleet: { predicted: 'error', actual: 'blocked' } });
    });
  }

  t.test('a replayed assertion is blocked', async (t) => {
    const { cookie, body } = await manualFlow(proxy.url, 'alice@contoso.example');
    t.equal((await postCallback(proxy.url, body, cookie)).status, 200);
    const before = callbacks();
    const again = await postCallback(proxy.url, body, cookie);
    t.equal(again.status, 403);
    const j = JSON.parse(again.text) as { error: { code: string; findings: string[]; requestId: string } };
    t.equal(j.error.code, 'EDGE_SSO_REJECTED');
    t.ok(j.error.findings.includes('SAML_REPLAY_DETECTED'));
    t.equal(callbacks(), before, 'Fleet never saw the replay');
    t.equal((await latest(proxy)).id, j.error.requestId, 'the request id names the attempt');
  });
});

t.test('callback bytes: byte for byte in observe, bounded; oversize blocked in enforce', async (t) => {
  const up = await recordingUpstream((_req, _body, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<script>window.location.href = "/login?status=error"</script>'); });
  t.teardown(() => up.close());
  const mk = (mode: 'observe' | 'enforce') => startProxy({ upstream: up.url, metadata: testMetadata(), publicUrl: 'https://fleet.example.test', mode, adminListen: false });
  const observe = await mk('observe');
  const enforce = await mk('enforce');
  t.teardown(async () => { await observe.close(); await enforce.close(); });
  const body = Buffer.from('RelayState=%2Fx%3Fa%3Db&SAMLResponse=' + encodeURIComponent(Buffer.from('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>').toString('base64')) + '&extra=%E2%9C%93+ok');
  const ct = 'application/x-www-form-urlencoded; charset=UTF-8';
  const r = await send(observe.url, { method: 'POST', path: '/api/v1/fleet/sso/callback', body, headers: { 'content-type': ct } });
  t.equal(r.status, 200);
  const seen = up.seen[up.seen.length - 1];
  t.equal(sha256(seen.body), sha256(body), 'same bytes');
  t.equal(seen.headers['content-type'], ct, 'same Content-Type');
  t.match(await latest(observe), { verdict: 'reject', action: 'forwarded', fleet: { actual: 'error' } });

  const noType = Buffer.from('SAMLResponse=abc');
  await send(observe.url, { method: 'POST', path: '/api/v1/fleet/sso/callback', body: noType });
  t.equal(sha256(up.seen[up.seen.length - 1].body), sha256(noType), 'no Content-Type: same bytes');
  t.equal(up.seen[up.seen.length - 1].headers['content-type'], undefined, 'and still none');

  const big = Buffer.concat([Buffer.from('SAMLResponse='), Buffer.alloc(1024 * 1024 + 10, 0x41)]);
  const r2 = await send(observe.url, { method: 'POST', path: '/api/v1/fleet/sso/callback', body: big, headers: { 'content-type': ct } });
  t.equal(r2.status, 200);
  t.equal(sha256(up.seen[up.seen.length - 1].body), sha256(big), 'oversize body forwarded whole in observe');
  t.match(await latest(observe), { fleet: { predicted: 'bad_request' }, fleetRead: { outcome: 'refused', status: 413 }, findings: [{ code: 'SAML_FLEET_BODY_TOO_LARGE' }] }, 'Fleet answers 413 before SAML');

  const n = up.seen.length;
  const r3 = await send(enforce.url, { method: 'POST', path: '/api/v1/fleet/sso/callback', body: [big.subarray(0, 600_000), big.subarray(600_000)], headers: { 'content-type': ct } });
  t.equal(r3.status, 413);
  t.equal(JSON.parse(r3.body.toString()).error.code, 'EDGE_BODY_TOO_LARGE');
  t.equal(up.seen.length, n, 'nothing forwarded');
});

t.test('the recorded AuthnRequest\'s lint findings travel with the attempt it started', async (t) => {
  const { sim, proxy } = await setup(t, 'observe');
  const goodServerUrl = proxy.acsUrl.replace('/api/v1/fleet/sso/callback', '');
  sim.configure({ serverUrl: goodServerUrl + '/elsewhere' });
  const init = await request(proxy.url + '/api/v1/fleet/sso', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"relay_url":"/"}' });
  const staleCookie = String(init.headers['set-cookie']).split(';')[0];
  await init.body.dump();
  sim.configure({ serverUrl: goodServerUrl });
  const { body } = await manualFlow(proxy.url, 'alice@contoso.example');
  await postCallback(proxy.url, body, staleCookie);
  const a = await latest(proxy);
  t.equal(a.session.known, true, 'correlated with the recorded AuthnRequest');
  t.ok(a.findings.some((f) => f.code === 'SAML_FLEET_AUTHN_ACS_MISMATCH'), 'the AuthnRequest ACS mismatch is on the attempt');
  t.ok(a.findings.some((f) => f.code === 'SAML_IRT_MISMATCH'), 'and the response answers another request');
});

t.test('enforce: a SAMLResponse in the query string (Go\'s FormValue reads it when the body has none) is judged too', async (t) => {
  const { proxy, callbacks } = await setup(t, 'enforce');
  const { cookie, body } = await manualFlow(proxy.url, 'alice@contoso.example');
  const value = new URLSearchParams(body).get('SAMLResponse') as string;
  const forged = Buffer.from(Buffer.from(value, 'base64').toString('utf8').replace(/alice@contoso\.example/g, 'admin@contoso.example')).toString('base64');
  const before = callbacks();
  const r = await request(`${proxy.url}/api/v1/fleet/sso/callback?SAMLResponse=${encodeURIComponent(forged)}`, {
    method: 'POST', body: 'RelayState=%2F', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', cookie },
  });
  t.equal(r.statusCode, 403, 'blocked');
  await r.body.dump();
  t.equal(callbacks(), before, 'Fleet never saw it');
  t.ok((await latest(proxy)).findings.some((f) => f.code === 'SAML_SIG_DIGEST_MISMATCH'));
  // the same route with the genuine value in the query is judged on that value and passes
  const ok = await request(`${proxy.url}/api/v1/fleet/sso/callback?SAMLResponse=${encodeURIComponent(value)}`, {
    method: 'POST', body: '', headers: { 'content-type': 'text/plain', accept: 'application/json', cookie },
  });
  await ok.body.dump();
  t.equal((await latest(proxy)).findings.some((f) => f.code === 'SAML_SIG_DIGEST_MISMATCH'), false);
  t.equal(callbacks(), before + 1, 'forwarded');
});

t.test('the callback\'s request-target reaches Fleet byte for byte (no URL rebuild: /./, an empty query, a fragment)', async (t) => {
  const up = await recordingUpstream((_req, _body, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<script>window.location.href = "/login?status=error"</script>'); });
  t.teardown(() => up.close());
  const proxy = await startProxy({ upstream: up.url, metadata: testMetadata(), publicUrl: 'https://fleet.example.test', adminListen: false });
  t.teardown(() => proxy.close());
  const body = Buffer.from('SAMLResponse=' + encodeURIComponent(Buffer.from('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>').toString('base64')));
  for (const path of ['/api/v1/fleet/./sso/callback', '/api/v1/fleet/sso/callback?', '/api/v1/fleet/sso/callback?a=1#frag', '/api/v1//fleet/sso/callback?&&']) {
    const n = up.seen.length;
    await send(proxy.url, { method: 'POST', path, body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    t.equal(up.seen.length, n + 1, `${path}: forwarded`);
    t.equal(up.seen[n].url, path, `${path}: the same request-target`);
    t.match(await latest(proxy), { fleetRead: { outcome: 'read', source: 'body' } }, `${path}: judged as an SSO callback`);
  }
});

t.test('race: the AuthnRequest is recorded before Fleet\'s initiate answer reaches the browser', async (t) => {
  const events: string[] = [];
  let answered!: () => void;
  const clientHasAnswer = new Promise<void>((r) => { answered = r; });
  class SlowStore extends MemoryStore {
    override async recordAuthnRequest(...args: Parameters<MemoryStore['recordAuthnRequest']>): Promise<void> {
      // a store that answers late (Redis under load): the write ends when the browser already has the IdP URL, or
      // after 50 event-loop turns, whichever comes first; the order of the two events is what the test reads
      let turns = 0;
      await Promise.race([clientHasAnswer, new Promise<void>((r) => { const spin = () => (++turns >= 50 ? r() : setImmediate(spin)); spin(); })]);
      await super.recordAuthnRequest(...args);
      events.push('recorded');
    }
  }
  const ar = buildAuthnRequest({ entityId: 'fleet', acsUrl: 'https://fleet.example.test/api/v1/fleet/sso/callback', destination: 'https://login.microsoftonline.com/t/saml2', now: new Date() });
  const up = await recordingUpstream((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': '__Host-FLEETSSOSESSIONID=sess-1; Path=/; Max-Age=900; Secure; HttpOnly' });
    res.end(JSON.stringify({ url: ar.url }));
  });
  t.teardown(() => up.close());
  const store = new SlowStore();
  const proxy = await startProxy({ upstream: up.url, metadata: testMetadata(), publicUrl: 'https://fleet.example.test', adminListen: false, store });
  t.teardown(() => proxy.close());
  const r = await request(proxy.url + '/api/v1/fleet/sso', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"relay_url":"/"}' });
  events.push('answered');
  answered();
  t.equal(r.statusCode, 200);
  t.equal(((await r.body.json()) as { url: string }).url, ar.url, 'Fleet\'s answer relayed unchanged');
  t.same(events, ['recorded', 'answered'], 'recorded first');
  t.equal((await store.takeAuthnRequest('sess-1'))?.request.id, ar.id);
});

t.test('a login that never comes back: no_idp_response with SAML_IDP_NO_RESPONSE and ranked causes; one that does is never also reported', async (t) => {
  // the proxy's own clock, moved past the login timeout by hand (no waiting)
  let skewMs = 0;
  const { proxy } = await setup(t, 'observe', { loginTimeoutMs: 60_000, now: () => new Date(Date.now() + skewMs) });
  // bob's browser stops at Entra's error page: an initiate, and no callback
  const init = await request(proxy.url + '/api/v1/fleet/sso', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"relay_url":"/"}' });
  t.equal(init.statusCode, 200);
  const requestId = /ID="([^"]+)"/.exec((await import('node:zlib')).inflateRawSync(Buffer.from(new URL(((await init.body.json()) as { url: string }).url).searchParams.get('SAMLRequest') as string, 'base64')).toString())?.[1];
  // alice signs in
  const { cookie, body } = await manualFlow(proxy.url, 'alice@contoso.example');
  t.equal((await postCallback(proxy.url, body, cookie, 'text/html')).status, 200);
  t.equal(await proxy.sweepUnanswered(), 0, 'nothing is overdue before the timeout');
  skewMs = 61_000;
  t.equal(await proxy.sweepUnanswered(), 1, 'one login is overdue: bob\'s');
  t.equal(await proxy.sweepUnanswered(), 0, 'and it is reported once');
  const all = await proxy.store.listAttempts(10);
  const none = all.filter((a) => a.outcome === 'no_idp_response');
  t.equal(none.length, 1);
  t.match(none[0], { verdict: null, action: 'none', session: { authnRequest: { request: { id: requestId } } }, findings: [{ code: 'SAML_IDP_NO_RESPONSE' }] });
  const causes = none[0].findings[0].evidence?.likelyCauses as { aadsts: string }[];
  t.ok(causes.some((c) => c.aadsts === '50105'), 'assignment is among the likely causes');
  t.match(all.find((a) => a.nameId === 'alice@contoso.example'), { outcome: 'signed_in' }, 'alice: signed_in, not reported as no response');
  const metrics = await (await request(proxy.adminUrl + '/metrics')).body.text();
  t.match(metrics, /^samlscope_attempts_total\{outcome="no_idp_response",flow="sso"\} 1$/m);
  t.match(metrics, /^samlscope_attempts_total\{outcome="signed_in",flow="sso"\} 1$/m);
});

t.test('an AuthnRequest Issuer that is not the entity ID ranks AADSTS700016 first', async (t) => {
  const { rankNoResponseCauses } = await import('../src/proxy/no-response.js');
  const { finding } = await import('../src/saml/findings.js');
  const rec = { request: { id: 'id-1', issuer: 'other', acsUrl: 'https://x/cb', nameIdPolicyFormat: 'urn:x:bogus', isPassive: false }, findings: [finding('SAML_FLEET_AUTHN_ISSUER_MISMATCH', 'x')], flow: 'sso', relayState: null, recordedAt: new Date().toISOString(), initiateRequestId: 'r' };
  const codes = rankNoResponseCauses(rec as never).map((c) => c.aadsts);
  t.same(codes.slice(0, 2), ['700016', '900236']);
  t.same(codes.slice(2), ['50105', '53003', '50034', '50020'], 'then what only Entra can show');
});

t.test('a callback Fleet refuses before SAML (a ";" in the query: Go\'s ParseForm fails) is predicted as Fleet\'s 400, and blocked in enforce', async (t) => {
  const up = await recordingUpstream((_req, _body, res) => { res.writeHead(400, { 'content-type': 'application/json' }); res.end('{"message":"failed to parse form"}'); });
  t.teardown(() => up.close());
  const observe = await startProxy({ upstream: up.url, metadata: testMetadata(), publicUrl: 'https://fleet.example.test', adminListen: false });
  const enforce = await startProxy({ upstream: up.url, metadata: testMetadata(), publicUrl: 'https://fleet.example.test', adminListen: false, mode: 'enforce' });
  t.teardown(async () => { await observe.close(); await enforce.close(); });
  const body = Buffer.from('SAMLResponse=' + encodeURIComponent(Buffer.from('<x/>').toString('base64')));
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const r = await send(observe.url, { method: 'POST', path: '/api/v1/fleet/sso/callback?a;b', body, headers });
  t.equal(r.status, 400, 'observe: forwarded, Fleet answers 400');
  t.match(await latest(observe), { fleet: { predicted: 'bad_request', actual: 'bad_request' }, fleetRead: { outcome: 'refused', status: 400, reason: 'form_parse' }, judgedSha256: null, findings: [{ code: 'SAML_FLEET_FORM_REFUSED' }] });
  const n = up.seen.length;
  const b = await send(enforce.url, { method: 'POST', path: '/api/v1/fleet/sso/callback?a;b', body, headers });
  t.equal(b.status, 403);
  t.match(JSON.parse(b.body.toString()), { error: { code: 'EDGE_SSO_REJECTED', findings: ['SAML_FLEET_FORM_REFUSED'] } });
  t.equal(up.seen.length, n, 'enforce: nothing reached Fleet');
});
