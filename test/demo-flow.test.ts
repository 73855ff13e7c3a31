// The demo end to end on real sockets: login() through the proxy for every cast member and a fault, then the admin API's diagnosis.
import t from 'tap';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startDemo } from '../src/demo/demo.js';
import { login } from '../src/login/login.js';
import type { Attempt, AttemptSummary } from '../src/proxy/attempt.js';
import { pollUntil } from './wait.js';

const stateDir = mkdtempSync(join(tmpdir(), 'samlscope-demo-test-'));
t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));

async function getJson<T>(url: string): Promise<T> {
  const res = await request(url);
  if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode}`);
  return (await res.body.json()) as T;
}

/** The proxy records an attempt once Fleet's answer has been relayed: wait for it. */
async function attemptsUntil(adminUrl: string, n: number): Promise<AttemptSummary[]> {
  return pollUntil(`${n} attempts recorded`, async () => {
    const list = await getJson<AttemptSummary[]>(`${adminUrl}/api/attempts`);
    return list.length >= n && list;
  }, { timeoutMs: 5_000 });
}

t.test('observe mode: the cast and a fault through the proxy, diagnosed', async (t) => {
  const seen: Attempt[] = [];
  const demo = await startDemo({ stateDir, randomPorts: true, onAttempt: (a) => seen.push(a) });
  t.teardown(() => demo.close());

  t.match(demo, { mode: 'observe', stateDir, stateDirFallback: false });
  t.match(demo.proxyUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.match(demo.landingUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.match(demo.adminUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.match(demo.idpUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.same(demo.users.map((u) => [u.email, u.expect]), [
    ['alice@contoso.example', 'success'], ['bob@contoso.example', 'AADSTS50105'], ['carol@contoso.example', 'account_invalid'],
  ]);
  t.ok(demo.created.includes(demo.tlsCertFile), 'the TLS cert is generated on first run');
  t.equal(statSync(join(stateDir, 'demo-tls.key.pem')).mode & 0o077, 0, 'the TLS key is private');

  const alice = await login({ fleetUrl: demo.proxyUrl, user: 'alice@contoso.example', ca: demo.caPem });
  t.match(alice, { ok: true, outcome: 'success', acsUrl: `${demo.proxyUrl}/api/v1/fleet/sso/callback` });
  await attemptsUntil(demo.adminUrl, 1);

  const carol = await login({ fleetUrl: demo.proxyUrl, user: 'carol@contoso.example', ca: demo.caPem });
  t.match(carol, { ok: false, outcome: 'fleet_status', fleetStatus: 'account_invalid' });
  await attemptsUntil(demo.adminUrl, 2);

  const bob = await login({ fleetUrl: demo.proxyUrl, user: 'bob@contoso.example', ca: demo.caPem });
  t.match(bob, { ok: false, outcome: 'idp_error', idpError: { code: 'AADSTS50105' } });

  const fault = await login({ fleetUrl: demo.proxyUrl, user: 'alice@contoso.example', fault: 'wrong-audience', ca: demo.caPem });
  t.match(fault, { ok: false, outcome: 'fleet_status', fleetStatus: 'error' });

  const list = await attemptsUntil(demo.adminUrl, 3);
  t.equal(list.length, 3, 'bob never reaches the callback: three attempts');
  const [aud, c, a] = list; // newest first
  t.match(a, { verdict: 'accept', nameId: 'alice@contoso.example', fleet: { predicted: 'success', actual: 'success' } });
  t.notOk(a.findings.some((f) => f.severity === 'error'), 'alice: no error findings');
  t.match(c, { verdict: 'accept', nameId: 'carol@contoso.example', fleet: { predicted: 'success', actual: 'account_invalid' } });
  t.ok(c.findings.some((f) => f.code === 'SAML_FLEET_ACCOUNT_INVALID'), 'carol: SAML_FLEET_ACCOUNT_INVALID');
  t.match(aud, { verdict: 'reject', fleet: { predicted: 'error', actual: 'error' } });
  t.ok(aud.findings.some((f) => f.code === 'SAML_AUDIENCE_MISMATCH' && f.severity === 'error'), 'fault: SAML_AUDIENCE_MISMATCH');
  t.same(seen.map((s) => s.id).reverse(), list.map((s) => s.id), 'onAttempt saw every attempt');

  const full = await getJson<Attempt>(`${demo.adminUrl}/api/attempts/${encodeURIComponent(aud.id)}`);
  t.equal(full.session.known, true, 'the callback matched the AuthnRequest recorded at initiate');

  // the landing page lists the attempts and explains one
  const dispatcher = new Agent({ connect: { ca: demo.caPem } });
  t.teardown(() => dispatcher.close());
  const page = await request(demo.landingUrl + '/', { dispatcher });
  t.equal(page.statusCode, 200);
  const html = await page.body.text();
  t.match(html, 'id="mock-banner"');
  t.match(html, `data-attempt="${aud.id}"`);
  t.match(html, `href="${demo.adminUrl}/api/attempts"`);
  const detail = await request(`${demo.landingUrl}/attempts/${encodeURIComponent(aud.id)}`, { dispatcher });
  t.equal(detail.statusCode, 200);
  t.match(await detail.body.text(), 'data-code="SAML_AUDIENCE_MISMATCH"');
});

t.test('landing /start: the initiate goes through the proxy, the browser gets Fleet\'s SSO cookie and the IdP URL with the hint', async (t) => {
  const demo = await startDemo({ stateDir, randomPorts: true });
  t.teardown(() => demo.close());
  t.same(demo.created, [], 'second run reuses the state folder');
  const dispatcher = new Agent({ connect: { ca: demo.caPem } });
  t.teardown(() => dispatcher.close());

  const res = await request(`${demo.landingUrl}/start?scenario=unknown-key`, { dispatcher });
  await res.body.dump();
  t.equal(res.statusCode, 303);
  const location = new URL(String(res.headers.location));
  t.equal(location.origin, demo.idpUrl);
  t.match(location.pathname, /\/saml2$/);
  t.equal(location.searchParams.get('login_hint'), 'alice@contoso.example');
  t.equal(location.searchParams.get('fault'), 'unknown-key');
  t.ok(location.searchParams.get('SAMLRequest'));
  const cookie = String(res.headers['set-cookie']);
  t.match(cookie, /^__Host-FLEETSSOSESSIONID=[^;]+; Path=\/;.*Secure/);

  // the browser's part: the IdP's form, posted to the proxy with that cookie
  const idp = await request(location, {});
  const form = await idp.body.text();
  const action = /action="([^"]+)"/.exec(form)?.[1]?.replace(/&amp;/g, '&');
  const saml = /name="SAMLResponse" value="([^"]+)"/.exec(form)?.[1];
  t.equal(action, `${demo.proxyUrl}/api/v1/fleet/sso/callback`);
  t.ok(saml);
  const cb = await request(action!, {
    dispatcher, method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie.split(';')[0] },
    body: new URLSearchParams({ SAMLResponse: saml! }).toString(),
  });
  await cb.body.dump();
  const [attempt] = await attemptsUntil(demo.adminUrl, 1);
  t.ok(attempt.findings.some((f) => f.code === 'SAML_SIG_UNTRUSTED_KEY'), 'unknown-key: SAML_SIG_UNTRUSTED_KEY');
  const full = await getJson<Attempt>(`${demo.adminUrl}/api/attempts/${encodeURIComponent(attempt.id)}`);
  t.equal(full.session.known, true, 'the relayed cookie tied the callback to the initiate');

  const bad = await request(`${demo.landingUrl}/start?scenario=%3Cscript%3E`, { dispatcher });
  t.equal(bad.statusCode, 404);
  const badHtml = await bad.body.text();
  t.notMatch(badHtml, '<script>');
  t.match(badHtml, '&lt;script&gt;');
});

t.test('enforce mode: a rejected callback never reaches Fleet', async (t) => {
  const demo = await startDemo({ stateDir, randomPorts: true, mode: 'enforce' });
  t.teardown(() => demo.close());
  const r = await login({ fleetUrl: demo.proxyUrl, user: 'alice@contoso.example', fault: 'expired', ca: demo.caPem });
  t.match(r, { ok: false, outcome: 'failed' });
  t.ok(r.codes?.includes('SAML_TIME_EXPIRED'), 'the block page names SAML_TIME_EXPIRED');
  const [attempt] = await attemptsUntil(demo.adminUrl, 1);
  t.match(attempt, { verdict: 'reject', fleet: { actual: 'blocked' } });
  const ok = await login({ fleetUrl: demo.proxyUrl, user: 'alice@contoso.example', ca: demo.caPem });
  t.match(ok, { ok: true, outcome: 'success' });
});

t.test('the demo refuses anything but loopback', async (t) => {
  await t.rejects(startDemo({ stateDir, randomPorts: true, host: '0.0.0.0' }), /loopback/);
});

t.test('the login is the unit: alice signed_in, carol fleet_rejected, bob (AADSTS50105, no callback) no_idp_response within --login-timeout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samlscope-demo-outcome-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // 10 s: long enough that a loaded machine still finishes alice's and carol's logins inside it
  const demo = await startDemo({ stateDir: dir, randomPorts: true, loginTimeoutMs: 10_000 });
  t.teardown(() => demo.close());
  t.match(await login({ fleetUrl: demo.proxyUrl, user: 'alice@contoso.example', ca: demo.caPem }), { outcome: 'success' });
  t.match(await login({ fleetUrl: demo.proxyUrl, user: 'carol@contoso.example', ca: demo.caPem }), { fleetStatus: 'account_invalid' });
  t.match(await login({ fleetUrl: demo.proxyUrl, user: 'bob@contoso.example', ca: demo.caPem }), { outcome: 'idp_error', idpError: { code: 'AADSTS50105' } });
  // the proxy's sweep records bob's login once the timeout passed (it checks every 2.5 s here): wait for it, bounded
  const list = await pollUntil('bob\'s no_idp_response attempt', async () => {
    const l = await getJson<AttemptSummary[]>(`${demo.adminUrl}/api/attempts`);
    return l.some((a) => a.outcome === 'no_idp_response') && l;
  }, { timeoutMs: 40_000, everyMs: 100 });
  const by = (o: string) => list.filter((a) => a.outcome === o);
  t.equal(by('no_idp_response').length, 1, 'bob: one login that never came back');
  t.ok(by('no_idp_response')[0]?.findings.some((f) => f.code === 'SAML_IDP_NO_RESPONSE'), 'with SAML_IDP_NO_RESPONSE');
  t.match(by('signed_in'), [{ nameId: 'alice@contoso.example' }], 'alice: signed_in');
  t.match(by('fleet_rejected'), [{ nameId: 'carol@contoso.example', fleetStatus: 'account_invalid' }], 'carol: fleet_rejected (account_invalid)');
  t.equal(list.length, 3, 'alice and carol are not also reported as no response');
});
