// The proxy's pure parts: path classification, client address, Fleet's answer, the store, metadata refresh, EDGE docs, the command's checks.
import t from 'tap';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { makeSsoClassifier, routingKey, isAgentPath } from '../src/proxy/paths.js';
import { forwardedFor, parseTrustedProxies } from '../src/proxy/client-ip.js';
import { explainOutcome, readFleetAnswer } from '../src/proxy/fleet-outcome.js';
import { MemoryStore } from '../src/proxy/store.js';
import { openMetadataSource } from '../src/proxy/metadata-source.js';
import { EDGE_CODES, EDGE_ERRORS, classifyUpstreamError, renderEdge } from '../src/proxy/edge-errors.js';
import { relayedHeaders } from '../src/proxy/forward.js';
import { cookieValue, maskNameId } from '../src/proxy/sso.js';
import { proxyCommand } from '../src/commands/proxy.js';
import { parseCommandArgs, UsageError, type CommandIo } from '../src/commands/options.js';
import { parseMetadata } from '../src/saml/index.js';
import type { Attempt } from '../src/proxy/attempt.js';
import { CERTS } from './proxy-helpers.js';

t.test('SSO classification: POST only, every spelling, with and without url_prefix', async (t) => {
  const c = makeSsoClassifier('/fleet/');
  t.match(c('POST', '/fleet/api/v1/fleet/sso/callback?x=1'), { kind: 'callback', flow: 'sso' });
  t.match(c('POST', '/api/v1/fleet/mdm/sso'), { kind: 'initiate', flow: 'mdm' });
  t.match(c('POST', '/fleet//api/v1/fleet/x/..%2Fsso%5Ccallback/'), { kind: 'callback' });
  t.equal(c('GET', '/api/v1/fleet/sso'), null, 'GET settings are not an SSO request');
  t.equal(c('POST', '/api/fleet/conditional_access/idp/sso'), null);
  t.equal(c('POST', '/api/v1/fleet/sso/callbackx'), null);
  t.equal(c('POST', '/api/v1/fleet/sso/%252e%252e/callback'), null, 'decoded once, like Go');
  // Fleet's /api/_version_/ routes: v1, 2022-04 and latest reach the same handler
  t.match(c('POST', '/fleet/api/latest/fleet/mdm/sso/callback'), { kind: 'callback', flow: 'mdm', path: '/api/v1/fleet/mdm/sso/callback' });
  t.match(c('POST', '/api/2022-04/fleet/mdm/sso'), { kind: 'initiate', flow: 'mdm' });
  t.match(c('POST', '/api/latest/fleet/sso/callback'), { kind: 'callback', flow: 'sso' });
  t.equal(c('POST', '/api/v2/fleet/sso/callback'), null, 'not a version Fleet answers on');
  t.equal(routingKey('/A/%E2%9C%93/./b/../c'), '/a/✓/c');
  t.ok(isAgentPath('/api/osquery/distributed/read'));
  t.ok(isAgentPath('/fleet/api/fleet/orbit/config'));
  t.notOk(isAgentPath('/api/v1/fleet/hosts'));
});

t.test('client address: peer always, forwarded chain only from trusted proxies', async (t) => {
  const bad = parseTrustedProxies(['10.0.0.0/8', 'nonsense', '1.2.3.4/33', '::1']);
  t.equal(bad.problems.length, 2);
  const { trusted } = bad;
  t.same(forwardedFor('::ffff:192.0.2.1', '6.6.6.6', trusted), { xff: '192.0.2.1', clientIp: '192.0.2.1', peerTrusted: false });
  t.same(forwardedFor('10.1.2.3', '198.51.100.7, 10.9.9.9', trusted), { xff: '198.51.100.7, 10.9.9.9, 10.1.2.3', clientIp: '198.51.100.7', peerTrusted: true });
  t.same(forwardedFor('::1', undefined, trusted), { xff: '::1', clientIp: '::1', peerTrusted: true });
});

t.test('Fleet\'s answer: token page, /login?status=..., MDM redirects, 4xx', async (t) => {
  t.equal(readFleetAnswer('sso', 200, {}, '<script>document.cookie = "__Host-token=abcdefgh12345678; path=/"; window.location.href = "/";</script>').actual, 'success');
  t.equal(readFleetAnswer('sso', 200, {}, '<script>localStorage.setItem("FLEET::auth_token", "x")</script>').actual, 'success');
  t.equal(readFleetAnswer('sso', 200, {}, '<script>window.location.href = "/fleet/login?status=account_disabled";</script>').actual, 'account_disabled');
  t.equal(readFleetAnswer('sso', 303, { location: '/login?status=org_disabled' }, '').actual, 'org_disabled');
  t.equal(readFleetAnswer('mdm', 303, { location: '/mdm/sso/callback?error=true' }, '').actual, 'error');
  t.equal(readFleetAnswer('mdm', 303, { location: '/mdm/sso/callback?enrollment_reference=x' }, '').actual, 'success');
  t.equal(readFleetAnswer('sso', 400, {}, '{"message":"Bad request"}').actual, 'bad_request');
  t.equal(readFleetAnswer('sso', 200, {}, 'hello').actual, 'unknown');
  t.equal(readFleetAnswer('sso', 200, { 'set-cookie': ['token=abc; Path=/'] }, '').actual, 'success');
  const ev = { nameId: 'a@b.c', entityId: 'fleet', acsUrl: 'https://f/api/v1/fleet/sso/callback', sessionKnown: true, idpInitiated: false, allowIdpInitiated: false };
  t.same(explainOutcome('success', 'error', ev).map((f) => f.code), ['SAML_FLEET_ERROR_UNEXPLAINED']);
  t.same(explainOutcome('error', 'error', ev).map((f) => f.code), []);
  t.same(explainOutcome('success', 'success', ev).map((f) => f.code), []);
  t.same(explainOutcome('error', 'success', ev).map((f) => f.code), ['SAML_FLEET_OUTCOME_UNEXPECTED']);
  t.same(explainOutcome('success', 'account_invalid', ev).map((f) => f.code), ['SAML_FLEET_ACCOUNT_INVALID']);
  t.same(explainOutcome('error', 'account_disabled', ev).map((f) => f.code), ['SAML_FLEET_ACCOUNT_DISABLED', 'SAML_FLEET_OUTCOME_UNEXPECTED']);
  t.same(explainOutcome('success', 'org_disabled', ev).map((f) => f.code), ['SAML_FLEET_ORG_DISABLED']);
});

t.test('memory store: single-use sessions with TTL, replay set-if-absent until expiry, bounded history', async (t) => {
  let now = 1_000_000;
  const s = new MemoryStore({ attempts: 3, assertions: 2, authnRequests: 2 }, () => now);
  const rec = { request: { id: 'id-1' }, findings: [], flow: 'sso', relayState: null, recordedAt: '', initiateRequestId: 'r' } as never;
  await s.recordAuthnRequest('s1', rec, 1000);
  t.ok(await s.takeAuthnRequest('s1'));
  t.equal(await s.takeAuthnRequest('s1'), null, 'single use');
  await s.recordAuthnRequest('s2', rec, 1000);
  now += 1001;
  t.equal(await s.takeAuthnRequest('s2'), null, 'expired');
  await s.recordAuthnRequest('a', rec, 1000); await s.recordAuthnRequest('b', rec, 1000); await s.recordAuthnRequest('c', rec, 1000);
  t.equal(s.sizes().authnRequests, 2, 'bounded');
  t.equal(await s.seenAssertion('x', new Date(now + 500)), false);
  t.equal(await s.seenAssertion('x', new Date(now + 500)), true, 'replay');
  now += 501;
  t.equal(await s.seenAssertion('x', new Date(now + 500)), false, 'expired entries do not count');
  await s.seenAssertion('y', new Date(now + 500)); await s.seenAssertion('z', new Date(now + 500));
  t.equal(s.sizes().assertions, 2);
  for (const id of ['1', '2', '3', '4']) await s.addAttempt({ id, session: { cookie: false, known: false, authnRequest: null }, report: null } as unknown as Attempt);
  t.same((await s.listAttempts()).map((a) => a.id), ['4', '3', '2'], 'newest first, oldest evicted');
  t.same((await s.listAttempts(1)).map((a) => a.id), ['4']);
  t.equal(await s.getAttempt('1'), null);
});

t.test('metadata from a URL: cached, refreshed after a signature failure, last good copy kept', async (t) => {
  const pem = readFileSync(new URL('test-only-idp-signing.cert.pem', CERTS), 'utf8').replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  const doc = (entity: string) => `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entity}"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${pem}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://l/saml2"/></IDPSSODescriptor></EntityDescriptor>`;
  let answer: () => [number, string] = () => [200, doc('https://one/')];
  let hits = 0;
  const srv = http.createServer((_q, r) => { hits++; const [s, b] = answer(); r.writeHead(s); r.end(b); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => srv.close(r)));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/md`;
  const errors: string[] = [];
  const src = await openMetadataSource({ url }, { parse: parseMetadata, minForcedIntervalMs: 0, onRefreshError: (e) => errors.push(e.message) });
  t.teardown(() => src.close());
  t.equal(src.current().entityId, 'https://one/');
  t.equal(hits, 1, 'fetched once, then cached');
  answer = () => [200, doc('https://two/')];
  t.equal(await src.refreshAfterSignatureFailure(), true, 'changed');
  t.equal(src.current().entityId, 'https://two/');
  answer = () => [500, 'down'];
  t.equal(await src.refreshAfterSignatureFailure(), false);
  t.equal(src.current().entityId, 'https://two/', 'last good copy kept');
  t.match(src.status(), { source: 'url', lastError: /HTTP 500/, refreshes: 1 });
  t.equal(errors.length, 1, 'reported');
  await t.rejects(openMetadataSource({ url: url + '?x' }, { parse: parseMetadata }), /cannot load/);
  await t.rejects(openMetadataSource({ file: '/nonexistent.xml' }, { parse: parseMetadata }), /cannot read/);
});

t.test('EDGE catalogue: docs/proxy.md lists every code with its status; transport errors map to codes', async (t) => {
  const doc = readFileSync('docs/proxy.md', 'utf8');
  const rows = [...doc.matchAll(/^\| `(EDGE_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  t.same(rows, EDGE_CODES.map((c) => [c, EDGE_ERRORS[c].status]));
  t.equal(classifyUpstreamError({ code: 'UND_ERR_SOCKET', cause: { code: 'ECONNRESET' } }), 'EDGE_UPSTREAM_RESET');
  t.equal(classifyUpstreamError({ name: 'InternalServerError', cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' } }), 'EDGE_UPSTREAM_TLS');
  t.equal(classifyUpstreamError({ cause: { code: 'ECONNREFUSED' } }), 'EDGE_UPSTREAM_UNREACHABLE');
  t.equal(classifyUpstreamError({ code: 'UND_ERR_HEADERS_TIMEOUT' }), 'EDGE_UPSTREAM_TIMEOUT');
});

t.test('cookies and NameID masking', async (t) => {
  t.equal(cookieValue('a=1; __Host-FLEETSSOSESSIONID=abc; b=2', '__Host-FLEETSSOSESSIONID'), 'abc');
  t.equal(cookieValue(undefined, 'x'), null);
  t.equal(maskNameId('alice@contoso.example'), 'a***@contoso.example');
  t.equal(maskNameId('ab'), '***');
});

t.test('samlscope proxy: every option problem at once', async (t) => {
  const io: CommandIo = { argv: [], env: {}, stdout: () => undefined, stderr: () => undefined, readStdin: async () => Buffer.alloc(0), stopSignal: Promise.resolve() };
  const argv = ['--upstream', 'http://127.0.0.1:1/sub', '--mode', 'spy', '--tls-cert', 'x.pem', '--upstream-ca', '/nonexistent', '--upstream-insecure', '--trusted-proxies', '10.0.0.0/99', '--listen', 'nope'];
  const err = await proxyCommand.run(parseCommandArgs(proxyCommand, argv, {}), io).then(() => null, (e: unknown) => e);
  t.type(err, UsageError);
  const problems = (err as UsageError).problems.join('\n');
  for (const o of ['--metadata', '--public-url', '--mode', '--tls-cert', '--upstream-ca', '--upstream-insecure', '--trusted-proxies', '--listen', '--upstream']) {
    t.match(problems, o, `names ${o}`);
  }
});

t.test('the value Fleet reads is the one judged: no body/query confusion, keys unescaped as Go does', async (t) => {
  const { readCallbackRequest } = await import('../src/fleet/callback-request.js');
  const form = 'application/x-www-form-urlencoded';
  const read = (body: string, target = '/api/v1/fleet/sso/callback', contentType: string | undefined = form) =>
    readCallbackRequest({ method: 'POST', target, contentType, body: Buffer.from(body, 'latin1'), bodyOverCap: false });
  t.match(read('RelayState=%2F&SAMLResponse=AAA%2B&SAMLResponse=BBBB'), { outcome: 'read', samlResponse: 'AAA+', source: 'body', relayState: '/' }, 'first value, unescaped');
  t.match(read('SAMLRespons%65=AAAA'), { outcome: 'read', samlResponse: 'AAAA' }, 'escaped key matches (Go unescapes keys)');
  t.match(read('SAMLRespons%65=FORGED', '/cb?SAMLResponse=GOOD'), { outcome: 'refused', reason: 'base64' }, 'the body\'s field wins over the query\'s');
  t.match(read('RelayState=%2F', '/cb?SAMLResponse=QUFB&RelayState=r'), { outcome: 'read', samlResponse: 'QUFB', source: 'query' }, 'no field in the body: the query\'s');
  t.match(read('SAMLResponse=QUFB', '/cb', 'text/plain'), { outcome: 'refused', reason: 'missing' }, 'a non-form body is not read by Fleet');
});

t.test('decideCallback: enforce blocks what samlscope rejects and fails closed without its state; observe forwards everything', async (t) => {
  const { decideCallback } = await import('../src/proxy/callback-decision.js');
  type J = Parameters<typeof decideCallback>[0];
  const base: J = { mode: 'enforce', verdict: 'accept', bodyOverCap: false, analysisUnavailable: false, judged: true, stateDown: false, errorCodes: [] };
  const rows: [Partial<J>, string][] = [
    [{}, 'forward'],
    [{ verdict: 'reject', errorCodes: ['SAML_SIG_INVALID'] }, 'EDGE_SSO_REJECTED'],
    [{ verdict: 'reject', bodyOverCap: true }, 'EDGE_BODY_TOO_LARGE'],
    [{ verdict: 'reject', analysisUnavailable: true }, 'EDGE_ANALYSIS_UNAVAILABLE'],
    [{ verdict: 'reject', judged: false }, 'EDGE_INTERNAL'],
    [{ stateDown: true }, 'EDGE_STATE_UNAVAILABLE'],
    [{ verdict: 'reject', stateDown: true, errorCodes: ['SAML_REPLAY_STATE_UNAVAILABLE'] }, 'EDGE_SSO_REJECTED'],
    [{ mode: 'observe', verdict: 'reject', bodyOverCap: true, stateDown: true }, 'forward'],
  ];
  for (const [over, want] of rows) {
    const d = decideCallback({ ...base, ...over });
    t.equal(d.action === 'forward' ? 'forward' : d.edge, want, JSON.stringify(over));
  }
  const blocked = decideCallback({ ...base, verdict: 'reject', errorCodes: ['SAML_SIG_INVALID', 'SAML_AUDIENCE_MISMATCH'] });
  t.match(blocked, { action: 'block', findings: ['SAML_SIG_INVALID', 'SAML_AUDIENCE_MISMATCH'] }, 'the block page names the error codes');
});

t.test('renderEdge: each code once, and a link back to Fleet\'s login under url_prefix', async (t) => {
  const page = renderEdge('EDGE_SSO_REJECTED', 'req-1', 'text/html', { findings: ['SAML_TIME_ISSUE_INSTANT_STALE', 'SAML_TIME_ISSUE_INSTANT_STALE', 'SAML_TIME_EXPIRED'], loginUrl: '/fleet/login' });
  t.equal(page.body.match(/SAML_TIME_ISSUE_INSTANT_STALE/g)?.length, 1);
  t.match(page.body, '<a id="back-to-login" href="/fleet/login">');
  const json = JSON.parse(renderEdge('EDGE_SSO_REJECTED', 'req-1', 'application/json', { findings: ['A', 'A', 'B'] }).body) as { error: { findings: string[] } };
  t.same(json.error.findings, ['A', 'B']);
});

t.test('explainOutcome: Fleet signing in a request samlscope predicted it refuses before SAML is a finding', async (t) => {
  const { explainOutcome } = await import('../src/proxy/fleet-outcome.js');
  const ev = { nameId: 'a@b.c', entityId: 'fleet', acsUrl: 'https://f/api/v1/fleet/sso/callback', sessionKnown: true, idpInitiated: false, allowIdpInitiated: false };
  t.same(explainOutcome('bad_request', 'success', ev).map((f) => f.code), ['SAML_FLEET_OUTCOME_UNEXPECTED']);
  t.same(explainOutcome('bad_request', 'bad_request', ev).map((f) => f.code), [], 'predicted and seen: nothing to explain');
});

t.test('pass-through response headers: Fleet\'s raw list kept (spelling, order, repeats, bytes as latin1), hop-by-hop ones dropped', async (t) => {
  const raw = ['X-Fleet-Thing', 'a', 'Connection', 'keep-alive', 'Set-Cookie', 'one=1', 'Keep-Alive', 'timeout=5', 'set-cookie', 'two=2',
    'Transfer-Encoding', 'chunked', 'PROXY-CONNECTION', 'x', 'X-Latin1', '\u00e9t\u00e9'].map((s) => Buffer.from(s, 'latin1'));
  t.same(relayedHeaders(raw), ['X-Fleet-Thing', 'a', 'Set-Cookie', 'one=1', 'set-cookie', 'two=2', 'X-Latin1', '\u00e9t\u00e9']);
  t.same(relayedHeaders([]), []);
});
