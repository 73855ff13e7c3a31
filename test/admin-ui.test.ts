// The admin UI on real sockets: pages after logins through the stack, escaping of hostile SAML, filters, export masking, token access, /metrics.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { login } from '../src/login/login.js';
import { startProxy, checkProxyOptions } from '../src/proxy/server.js';
import { startAdmin } from '../src/proxy/admin.js';
import { MemoryStore, StoreUnavailableError } from '../src/proxy/store.js';
import { adminAccessProblem, isLoopbackHost, secretsEqual } from '../src/proxy/ui/access.js';
import { CATALOGUE } from '../src/saml/findings.js';
import type { Attempt } from '../src/proxy/attempt.js';
import { setup } from './sso-stack.js';
import { pollUntil } from './wait.js';

const HOSTILE = '<script>alert(1)</script>"onmouseover=alert(2) x=\'';
const TOKEN = 'correct-horse-battery-staple-42';

async function waitAttempts(adminUrl: string, n: number, headers: Record<string, string> = {}): Promise<{ id: string; verdict: string; nameId: string | null; findings: { code: string }[] }[]> {
  type Row = { id: string; verdict: string; nameId: string | null; findings: { code: string }[] };
  return pollUntil(`${n} attempts`, async () => {
    const list = (await (await fetch(`${adminUrl}/api/attempts`, { headers })).json()) as Row[];
    return list.length >= n && list;
  }, { timeoutMs: 5_000 });
}

/** The raw HTML must never carry a hostile string as markup: no live script tag, no attribute break-out. */
function assertNoInjection(t: Test, html: string, label: string) {
  t.notOk(html.includes('<script>alert'), `${label}: no live <script>`);
  t.notOk(html.includes('"onmouseover='), `${label}: no attribute break-out`);
  t.notOk(/<[^>]*\sonmouseover=/i.test(html), `${label}: no event handler attribute`);
  t.notOk(/<script(?![^>]*src="\/static\/admin\.js")/i.test(html), `${label}: the only script is /static/admin.js`);
}

t.test('pages, filters, escaping, export and metrics after logins through the proxy', async (t) => {
  const { proxy } = await setup(t, 'observe');
  const admin = proxy.adminUrl!;
  t.equal((await login({ fleetUrl: proxy.url, user: 'alice@contoso.example' })).outcome, 'success');
  t.equal((await login({ fleetUrl: proxy.url, user: 'alice@contoso.example', fault: 'wrong-audience' })).outcome, 'fleet_status');
  const list = await waitAttempts(admin, 2);
  const bad = list.find((a) => a.findings.some((f) => f.code === 'SAML_AUDIENCE_MISMATCH'))!;
  const good = list.find((a) => a.verdict === 'accept')!;
  t.ok(bad && good, 'one accepted, one with SAML_AUDIENCE_MISMATCH');

  // the list page
  const res = await fetch(`${admin}/`);
  t.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy') ?? '';
  t.match(csp, /default-src 'none'/);
  t.match(csp, /script-src 'self'/);
  t.notMatch(csp, /unsafe-inline/);
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const html = await res.text();
  t.match(html, `data-attempt="${bad.id}"`);
  t.match(html, `data-attempt="${good.id}"`);
  t.match(html, 'data-code="SAML_AUDIENCE_MISMATCH"');
  t.match(html, 'data-verdict="reject"');
  t.match(html, 'data-fleet="success"');
  t.match(html, 'data-refresh=');
  t.notMatch(html, /\son[a-z]+=/i, 'no inline event handlers');

  // filters
  const rejects = await (await fetch(`${admin}/?verdict=reject`)).text();
  t.match(rejects, `data-attempt="${bad.id}"`);
  t.notMatch(rejects, `data-attempt="${good.id}"`);
  t.match(rejects, '<option value="reject" selected>');
  const byUser = await (await fetch(`${admin}/?user=nobody`)).text();
  t.match(byUser, 'id="no-attempts"');
  const alice = await (await fetch(`${admin}/?user=ALICE&verdict=accept`)).text();
  t.match(alice, `data-attempt="${good.id}"`);
  t.notMatch(alice, `data-attempt="${bad.id}"`);

  // the detail page: timeline, finding with expected/actual and remedy, marked XML, cert, check command
  const d = await fetch(`${admin}/attempts/${encodeURIComponent(bad.id)}`);
  t.equal(d.status, 200);
  const detail = await d.text();
  for (const step of ['authnrequest', 'idp', 'callback', 'fleet']) t.match(detail, `data-step="${step}"`);
  t.match(detail, 'li class="finding error" data-code="SAML_AUDIENCE_MISMATCH"');
  t.match(detail, 'class="expected"');
  t.match(detail, 'class="actual"');
  t.match(detail, CATALOGUE.SAML_AUDIENCE_MISMATCH.remedy.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;'), 'the remedy');
  t.match(detail, /class="line signed signed-start"/, 'the signed element is marked');
  t.match(detail, /data-codes="[^"]*SAML_AUDIENCE_MISMATCH/, 'the Audience element is highlighted');
  t.match(detail, /id="signing-thumbprint">[0-9A-F]{40}</, 'thumbprint as Entra shows it');
  const full = (await (await fetch(`${admin}/api/attempts/${encodeURIComponent(bad.id)}`)).json()) as Attempt;
  const cmd = /<pre class="cmd" id="check-command">([^<]*)<\/pre>/.exec(detail)?.[1] ?? '';
  t.match(cmd, 'samlscope check --metadata');
  t.match(cmd, `--entity-id https://fleet.contoso.example/saml`);
  t.match(cmd, `--acs-url ${proxy.acsUrl}`);
  t.match(cmd, `--now ${full.time}`);
  t.match(cmd, `--request-id ${full.session.authnRequest!.request.id}`);
  const xml = await fetch(`${admin}/attempts/${encodeURIComponent(bad.id)}/response.xml`);
  t.equal(xml.status, 200);
  t.equal(await xml.text(), full.report!.xml);
  t.equal((await fetch(`${admin}/attempts/nope`)).status, 404);
  t.equal((await fetch(`${admin}/api/attempts/nope`)).status, 404);

  // metadata and settings
  const md = await (await fetch(`${admin}/metadata`)).text();
  t.match(md, 'id="md-entity-id"');
  t.match(md, 'data-ok="true"');
  t.match(md, /data-days="\d+"/);
  const settings = await (await fetch(`${admin}/settings`)).text();
  t.match(settings, 'https://fleet.contoso.example/saml');
  t.match(settings, '<code>adminToken</code>');

  // export: masked by default, unmasked on loopback on request
  const ex = await fetch(`${admin}/attempts/${encodeURIComponent(good.id)}/export`);
  t.match(ex.headers.get('content-disposition') ?? '', /attachment; filename="samlscope-attempt-[A-Za-z0-9_-]+\.json"/);
  const exText = await ex.text();
  const bundle = JSON.parse(exText) as { samlscope: { masked: boolean }; attempt: Attempt };
  t.equal(bundle.samlscope.masked, true);
  t.notMatch(exText, 'alice@contoso.example', 'no email anywhere in the masked bundle');
  t.equal(bundle.attempt.nameId, 'a***@contoso.example');
  t.equal(bundle.attempt.client.ip, '***');
  t.match(bundle.attempt.report!.xml!, /<SignatureValue>\*\*\*<\/SignatureValue>/);
  t.match(bundle.attempt.report!.xml!, /<X509Certificate>\*\*\*<\/X509Certificate>/);
  t.notMatch(exText, /MII[A-Za-z0-9+/]{40}/, 'no certificate body');
  const fullGood = (await (await fetch(`${admin}/api/attempts/${encodeURIComponent(good.id)}`)).json()) as Attempt;
  const sigValue = /SignatureValue>([^<]+)</.exec(fullGood.report!.xml!)![1];
  t.notMatch(exText, sigValue.slice(0, 40), 'no signature value');
  const unmasked = JSON.parse(await (await fetch(`${admin}/attempts/${encodeURIComponent(good.id)}/export?unmasked=1`)).text()) as { samlscope: { masked: boolean }; attempt: Attempt };
  t.equal(unmasked.samlscope.masked, false);
  t.equal(unmasked.attempt.nameId, 'alice@contoso.example');

  // metrics: the series after the two logins
  const m = await fetch(`${admin}/metrics`);
  t.match(m.headers.get('content-type') ?? '', 'text/plain');
  const text = await m.text();
  t.match(text, 'samlscope_sso_attempts_total{verdict="accept",fleet_outcome="success",flow="sso"} 1');
  t.match(text, /samlscope_sso_attempts_total\{verdict="reject",fleet_outcome="error",flow="sso"\} 1/);
  t.match(text, 'samlscope_sso_findings_total{code="SAML_AUDIENCE_MISMATCH",severity="error"} 1');
  t.match(text, /samlscope_sso_analysis_seconds_count 2/);
  t.match(text, /samlscope_upstream_seconds_count\{route="sso_callback"\} 2/);
  t.match(text, /samlscope_http_responses_total\{route="sso",class="2xx"\} [1-9]/);
  t.match(text, /samlscope_metadata_fetch_ok\{source="url"\} 1/);
  t.match(text, /samlscope_idp_cert_expiry_days\{thumbprint="[0-9A-F]{40}",use="signing"\} \d+/);

  // hostile content straight into the store: NameID, XML text and attribute, finding message and evidence, id
  const hostile: Attempt = {
    ...full,
    id: `evil"><img src=x onerror=alert(3)>`,
    nameId: HOSTILE,
    findings: [{ ...full.findings[0], message: HOSTILE, evidence: { expected: HOSTILE, actual: `</pre>${HOSTILE}` } }],
    report: { ...full.report!, xml: `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="${HOSTILE.replace(/[<>"'&]/g, (c) => `&#${c.charCodeAt(0)};`)}"><x>${HOSTILE.replace(/</g, '&lt;').replace(/&(?!lt;)/g, '&amp;')}</x><!-- <script>alert(4)</script> --></samlp:Response>` },
  };
  await proxy.store.addAttempt(hostile);
  const hl = await (await fetch(`${admin}/`)).text();
  assertNoInjection(t, hl, 'list');
  t.match(hl, '&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=alert(2)');
  t.notMatch(hl, '<img src=x');
  const hd = await (await fetch(`${admin}/attempts/${encodeURIComponent(hostile.id)}`)).text();
  assertNoInjection(t, hd, 'detail');
  t.notMatch(hd, '<img src=x');
  t.notMatch(hd, '</pre><script');
  t.match(hd, '&lt;!-- &lt;script&gt;alert(4)&lt;/script&gt; --&gt;');
  const hfilter = await (await fetch(`${admin}/?user=${encodeURIComponent(HOSTILE)}`)).text();
  assertNoInjection(t, hfilter, 'filter echo');
  t.match(hfilter, 'data-attempt="evil&quot;&gt;&lt;img');
});

t.test('token access: 401 without, bearer, login cookie, open health and metrics', async (t) => {
  const { sim, idp } = await setup(t, 'observe');
  const proxy = await startProxy({ upstream: sim.url, metadata: { url: idp.metadataUrl }, entityId: 'https://fleet.contoso.example/saml', adminToken: TOKEN });
  t.teardown(() => proxy.close());
  const admin = proxy.adminUrl!;
  await proxy.store.addAttempt({
    id: 'a1', time: new Date().toISOString(), flow: 'sso', mode: 'observe', verdict: 'reject', findings: [], action: 'forwarded',
    fleet: { predicted: 'error', actual: 'error', answer: null }, nameId: 'bob@contoso.example',
    session: { cookie: false, known: false, authnRequest: null }, client: { ip: '127.0.0.1', userAgent: 'ua' },
    timings: { analyzeMs: 1, upstreamMs: 1, totalMs: 2 }, bodyBytes: 1, outcome: 'fleet_rejected', fleetStatus: 'error', fleetRead: { outcome: 'read', source: 'body' }, judgedSha256: null, report: null,
  });

  for (const path of ['/', '/attempts/a1', '/attempts/a1/export', '/metadata', '/settings', '/api/attempts', '/api/attempts/a1', '/attempts/a1/response.xml', '/%2F', '/healthz/../']) {
    const r = await fetch(admin + path);
    t.equal(r.status, 401, `${path}: 401 without the token`);
    const body = await r.text();
    t.notMatch(body, 'bob@contoso.example', `${path}: nothing from the attempt`);
    t.equal(r.headers.get('www-authenticate'), 'Bearer realm="samlscope-admin"');
  }
  const loginHtml = await (await fetch(admin + '/')).text();
  t.match(loginHtml, '<label for="token">');
  t.match(loginHtml, '<form method="post" action="/login">');
  t.equal((await fetch(admin + '/healthz')).status, 200, '/healthz stays open');
  t.equal((await fetch(admin + '/metrics')).status, 200, '/metrics stays open');
  t.equal((await fetch(admin + '/static/admin.js')).status, 200);

  t.equal((await fetch(admin + '/', { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
  t.equal((await fetch(admin + '/', { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401);
  const ok = await fetch(admin + '/', { headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(ok.status, 200, 'bearer token');
  t.match(await ok.text(), 'bob@contoso.example');
  t.equal((await fetch(admin + '/api/attempts', { headers: { authorization: `bearer ${TOKEN}` } })).status, 200);

  // the login form
  const bad = await fetch(admin + '/login', { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=nope' });
  t.equal(bad.status, 401);
  t.match(await bad.text(), 'id="login-failed"');
  t.equal(bad.headers.get('set-cookie'), null);
  const good = await fetch(admin + '/login', { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: TOKEN }).toString() });
  t.equal(good.status, 303);
  t.equal(good.headers.get('location'), '/');
  const cookie = good.headers.get('set-cookie') ?? '';
  t.match(cookie, /^samlscope_admin=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict$/);
  t.notMatch(cookie, TOKEN, 'the cookie does not carry the token');
  const jar = cookie.split(';', 1)[0];
  t.equal((await fetch(admin + '/attempts/a1', { headers: { cookie: jar } })).status, 200, 'cookie login');
  t.equal((await fetch(admin + '/', { headers: { cookie: jar.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) } })).status, 401, 'a changed cookie is refused');
  const ex = JSON.parse(await (await fetch(admin + '/attempts/a1/export?unmasked=1', { headers: { cookie: jar } })).text()) as { attempt: Attempt; samlscope: { masked: boolean } };
  t.equal(ex.samlscope.masked, false, 'unmasked with the token');
  t.equal(ex.attempt.nameId, 'bob@contoso.example');
  const settings = await (await fetch(admin + '/settings', { headers: { cookie: jar } })).text();
  t.notMatch(settings, TOKEN, 'the settings page masks the token');
  t.match(settings, '*** (set)');
});

t.test('a non-loopback admin listener without a token is a config problem; constant-time comparison', async (t) => {
  t.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('::1') && isLoopbackHost('localhost') && isLoopbackHost('127.1.2.3'));
  t.notOk(isLoopbackHost('0.0.0.0') || isLoopbackHost('::') || isLoopbackHost('10.0.0.1') || isLoopbackHost('127.0.0.1.evil'));
  t.equal(adminAccessProblem('127.0.0.1', undefined), null);
  t.match(adminAccessProblem('0.0.0.0', undefined), /^adminToken: required/);
  t.match(adminAccessProblem('0.0.0.0', 'short'), /^adminToken: at least 16/);
  t.equal(adminAccessProblem('0.0.0.0', TOKEN), null);
  const problems = checkProxyOptions({ upstream: 'http://127.0.0.1:1', metadata: { file: 'x' }, adminListen: { host: '0.0.0.0', port: 0 } });
  t.ok(problems.some((p) => p.startsWith('adminToken: required')), 'reported with the other option problems');
  t.same(checkProxyOptions({ upstream: 'http://127.0.0.1:1', metadata: { file: 'x' }, adminListen: false }), []);
  // startAdmin refuses before it listens on anything
  await t.rejects(startAdmin({ listen: { host: '0.0.0.0', port: 0 }, store: new MemoryStore(), metadata: null as never, mode: 'observe', upstream: 'http://x' }), /adminToken: required/);

  // a store that does not answer: 503, a plain page or JSON, no stack
  class DeadStore extends MemoryStore {
    override async listAttempts(): Promise<Attempt[]> { throw new StoreUnavailableError('redis: connection refused'); }
  }
  const dead = await startAdmin({ listen: { host: '127.0.0.1', port: 0 }, store: new DeadStore(), metadata: null as never, mode: 'observe', upstream: 'http://x' });
  t.teardown(() => dead.close());
  const page503 = await fetch(dead.url + '/');
  t.equal(page503.status, 503);
  t.notMatch(await page503.text(), /at .*\.ts:\d+/, 'no stack trace');
  t.match(await (await fetch(dead.url + '/api/attempts')).json(), { error: { code: 'STATE_UNAVAILABLE', status: 503 } });

  t.equal(secretsEqual(TOKEN, TOKEN), true);
  t.equal(secretsEqual('', TOKEN), false, 'different lengths compare without throwing');
  t.equal(secretsEqual(TOKEN + 'x', TOKEN), false);
  // the comparison is timingSafeEqual over SHA-256 digests, and the admin listener compares only through it
  const access = readFileSync('src/proxy/ui/access.ts', 'utf8');
  t.match(access, /timingSafeEqual\(a, b\)/);
  t.match(access, /createHash\('sha256'\)/);
  const admin = readFileSync('src/proxy/admin.ts', 'utf8');
  t.notMatch(admin, /(===?|!==?)\s*token\b|\btoken\s*(===?|!==?)\s*(?!undefined\b)\w/, 'no plain comparison with the token');
});

t.test('a pasted Entra error is explained and kept with the login; another site cannot post one', async (t) => {
  let skewMs = 0;
  const { proxy } = await setup(t, 'observe', { loginTimeoutMs: 60_000, now: () => new Date(Date.now() + skewMs) });
  const admin = proxy.adminUrl!;
  const init = await fetch(proxy.url + '/api/v1/fleet/sso', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(init.status, 200);
  // before the timeout: the login is in progress, listed apart from the attempts
  const waiting = await (await fetch(`${admin}/api/logins/in-progress`)).json() as { outcome: string; authnRequestId: string }[];
  t.match(waiting, [{ outcome: 'in_progress', authnRequestId: /^id-/ }]);
  t.match(await (await fetch(`${admin}/`)).text(), `data-authn-request="${waiting[0].authnRequestId}"`, 'the attempts page shows it as in progress');
  skewMs = 61_000;
  t.equal(await proxy.sweepUnanswered(), 1);
  t.same(await (await fetch(`${admin}/api/logins/in-progress`)).json(), [], 'no longer in progress');
  const [a] = await proxy.store.listAttempts(1);
  t.equal(a.outcome, 'no_idp_response');
  const page = await (await fetch(`${admin}/attempts/${a.id}`)).text();
  t.match(page, 'id="likely-causes"', 'the detail page ranks the likely causes');
  t.match(page, `action="/attempts/${a.id}/entra-error"`, 'and offers the paste form');
  const text = "Sorry, but we're having trouble signing you in. AADSTS50105: Your administrator has configured the application Fleet to block users unless they are specifically granted access. Request Id: 1 Correlation Id: 2";
  const cross = await fetch(`${admin}/attempts/${a.id}/entra-error`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, body: new URLSearchParams({ text }).toString(), redirect: 'manual' });
  t.equal(cross.status, 403, 'a form posted from another origin is refused');
  t.equal((await proxy.store.getAttempt(a.id))?.entraErrors, undefined, 'and changed nothing');
  const form = await fetch(`${admin}/attempts/${a.id}/entra-error`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: admin }, body: new URLSearchParams({ text }).toString(), redirect: 'manual' });
  t.equal(form.status, 303, 'the admin UI\'s own form: back to the attempt');
  const kept = await proxy.store.getAttempt(a.id);
  t.match(kept, { entraErrors: [{ code: '50105' }] });
  t.equal(kept?.findings[0].code, 'SAML_IDP_AADSTS_REPORTED');
  t.match(await (await fetch(`${admin}/attempts/${a.id}`)).text(), /<li data-aadsts="50105"><b>AADSTS50105<\/b>/, 'shown on the page');
  const api = await fetch(`${admin}/api/attempts/${a.id}/entra-error`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'AADSTS50105 again, and AADSTS53003' }) });
  t.match(await api.json(), { codes: [{ code: '50105' }, { code: '53003' }], attempt: { outcome: 'no_idp_response' } });
  t.same((await proxy.store.getAttempt(a.id))?.entraErrors?.map((e) => e.code), ['50105', '53003'], 'each code kept once');
});

t.test('the attempts list names each finding code once (SAML_TIME_ISSUE_INSTANT_STALE on Response and Assertion)', async (t) => {
  const { sim, idp } = await setup(t, 'observe');
  const proxy = await startProxy({ upstream: sim.url, metadata: { url: idp.metadataUrl }, entityId: 'fleet' });
  t.teardown(() => proxy.close());
  const { finding } = await import('../src/saml/findings.js');
  await proxy.store.addAttempt({
    id: 'stale', time: new Date().toISOString(), flow: 'sso', mode: 'observe', verdict: 'reject', action: 'forwarded',
    findings: [finding('SAML_TIME_ISSUE_INSTANT_STALE', 'Response', { element: 'Response' }), finding('SAML_TIME_ISSUE_INSTANT_STALE', 'Assertion', { element: 'Assertion' })],
    fleet: { predicted: 'error', actual: 'error', answer: null }, nameId: 'alice@contoso.example',
    session: { cookie: false, known: false, authnRequest: null }, client: { ip: '127.0.0.1', userAgent: null },
    timings: { analyzeMs: 1, upstreamMs: 1, totalMs: 2 }, bodyBytes: 1, outcome: 'fleet_rejected', fleetStatus: 'error', fleetRead: { outcome: 'read', source: 'body' }, judgedSha256: null, report: null,
  });
  const html = await (await fetch(proxy.adminUrl + '/')).text();
  t.equal(html.split('data-code="SAML_TIME_ISSUE_INSTANT_STALE"').length - 1, 1, 'once in the row');
});
