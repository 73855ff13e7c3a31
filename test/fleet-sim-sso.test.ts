// fleet-sim's SSO routes on a real socket: initiate (cookie, AuthnRequest), callback outcomes and the reason behind each, config auth.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { request } from 'undici';
import { startFleetSim, SSO_COOKIE, type FleetSimHandle } from '../src/fleet-sim/server.js';
import { buildEntraMetadata, buildEntraResponse, NAMEID_FORMAT } from '../src/idp/response.js';

const key = { privateKeyPem: readFileSync('certs/test-only-idp-signing.key.pem', 'utf8'), certPem: readFileSync('certs/test-only-idp-signing.cert.pem', 'utf8') };
const attacker = { privateKeyPem: readFileSync('certs/test-only-attacker.key.pem', 'utf8'), certPem: readFileSync('certs/test-only-attacker.cert.pem', 'utf8') };
const TENANT = '11111111-2222-3333-4444-555555555555';
const IDP = 'http://127.0.0.1:9/idp';
const metadataXml = buildEntraMetadata({ tenantId: TENANT, baseUrl: IDP, certsPem: [key.certPem], signingKey: key });
const users = [
  { email: 'alice@contoso.example', ssoEnabled: true },
  { email: 'dave@contoso.example', ssoEnabled: false },
];

async function initiate(sim: FleetSimHandle, path = '/api/v1/fleet/sso', relay = '/dashboard') {
  const res = await request(sim.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ relay_url: relay }) });
  const body = (await res.body.json()) as { url: string };
  const setCookie = String(res.headers['set-cookie'] ?? '');
  const sessionId = /__Host-FLEETSSOSESSIONID=([^;]+)/.exec(setCookie)?.[1] ?? '';
  const u = new URL(body.url);
  const xml = inflateRawSync(Buffer.from(u.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  const requestId = /ID="([^"]+)"/.exec(xml)?.[1] ?? '';
  return { status: res.statusCode, url: u, setCookie, sessionId, xml, requestId };
}

function respond(sim: FleetSimHandle, over: Partial<Parameters<typeof buildEntraResponse>[0]> = {}, nameId = 'alice@contoso.example') {
  return Buffer.from(buildEntraResponse({
    tenantId: TENANT, acsUrl: sim.acsUrl(), audience: 'fleet', now: new Date(), nameId, nameIdFormat: NAMEID_FORMAT.emailAddress,
    attributes: [], signing: 'assertion', algorithm: 'sha256', key, ...over,
  })).toString('base64');
}

async function callback(sim: FleetSimHandle, samlResponse: string | null, sessionId?: string, path = '/api/v1/fleet/sso/callback') {
  const res = await request(sim.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(sessionId ? { cookie: `${SSO_COOKIE}=${sessionId}` } : {}) },
    body: samlResponse === null ? 'RelayState=x' : new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
  });
  const text = await res.body.text();
  const status = /login\?status=([a-z_]+)/.exec(text)?.[1] ?? null;
  const token = /(?:__Host-)?token=([A-Za-z0-9_-]+);/.exec(text)?.[1] ?? null;
  return { code: res.statusCode, text, status, token, headers: res.headers, last: sim.events[sim.events.length - 1] };
}

t.test('initiate: Fleet-shaped AuthnRequest and session cookie', async (t) => {
  const logs: object[] = [];
  const logger = { info: (o: object) => { logs.push(o); }, warn: (o: object) => { logs.push(o); } };
  const sim = await startFleetSim({ metadataXml, users, serverUrl: 'https://fleet.example:8080', logger });
  t.teardown(() => sim.close());
  const i = await initiate(sim);
  t.match(logs, [{ event: 'fleet-sim.initiate', outcome: 'ok', requestId: i.requestId }]);
  t.notOk('time' in logs[0], 'the logger stamps its own time');
  t.notMatch(JSON.stringify(logs), /SAMLRequest|AuthnRequest xmlns/, 'no raw SAML in logs');
  t.equal(i.status, 200);
  t.equal(i.url.origin + i.url.pathname, `${IDP}/${TENANT}/saml2`);
  t.match(i.setCookie, /^__Host-FLEETSSOSESSIONID=[A-Za-z0-9_-]+; Path=\/; Max-Age=900; Secure; HttpOnly$/);
  t.notMatch(i.setCookie, /SameSite/i);
  t.match(i.requestId, /^id-[0-9a-f]{40}$/);
  t.match(i.xml, /ProviderName="Fleet"/);
  t.match(i.xml, /ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"/);
  t.match(i.xml, /AssertionConsumerServiceURL="https:\/\/fleet\.example:8080\/api\/v1\/fleet\/sso\/callback"/);
  t.match(i.xml, new RegExp(`Destination="${IDP}/${TENANT}/saml2"`));
  t.match(i.xml, /<saml:Issuer[^>]*>fleet<\/saml:Issuer>/);
  t.match(i.xml, /<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" AllowCreate="true"\/>/);
  t.equal(i.url.searchParams.get('RelayState'), null);
  t.equal(sim.sessionCount(), 1);
  const settings = await (await request(sim.url + '/api/v1/fleet/sso')).body.json();
  t.same(settings, { settings: { idp_name: 'Microsoft Entra ID', idp_image_url: '', sso_enabled: true } });
});

t.test('callback outcomes', async (t) => {
  const sim = await startFleetSim({ metadataXml, users });
  t.teardown(() => sim.close());

  t.test('success: token cookie page, redirect to relay, SSO cookie deleted', async (t) => {
    const i = await initiate(sim);
    const r = await callback(sim, respond(sim, { inResponseTo: i.requestId }), i.sessionId);
    t.equal(r.code, 200);
    t.equal(r.status, null);
    t.ok(r.token);
    t.match(r.text, /document\.cookie = "token=/, 'plain http → cookie "token"');
    t.match(r.text, /window\.location\.href = "\/dashboard"/);
    t.match(String(r.headers['set-cookie']), /__Host-FLEETSSOSESSIONID=; Path=\/; Max-Age=0/);
    t.equal(sim.tokens.get(r.token ?? ''), 'alice@contoso.example');
    t.match(r.last, { kind: 'callback', outcome: 'success', nameId: 'alice@contoso.example', sessionFound: true });
    const home = await (await request(sim.url + '/', { headers: { cookie: `token=${r.token}` } })).body.text();
    t.match(home, /data-email="alice@contoso.example"/);
  });

  t.test('single use: the same session twice → error', async (t) => {
    const i = await initiate(sim);
    const resp = respond(sim, { inResponseTo: i.requestId });
    t.equal((await callback(sim, resp, i.sessionId)).status, null);
    const r = await callback(sim, resp, i.sessionId);
    t.equal(r.status, 'error');
    t.match(r.last, { outcome: 'error', reason: 'session_not_found' });
  });

  const cases: Array<[string, (s: FleetSimHandle, irt: string) => string, string, string]> = [
    ['unknown user → account_invalid', (s, irt) => respond(s, { inResponseTo: irt }, 'carol@contoso.example'), 'account_invalid', 'account_invalid'],
    ['user without SSO → account_disabled', (s, irt) => respond(s, { inResponseTo: irt }, 'dave@contoso.example'), 'account_disabled', 'account_disabled'],
    ['wrong audience → error', (s, irt) => respond(s, { inResponseTo: irt, audience: 'spn:other' }), 'error', 'audience'],
    ['IssueInstant 120 s old → error', (s, irt) => respond(s, { inResponseTo: irt, now: new Date(Date.now() - 120_000) }), 'error', 'issue_instant'],
    ['wrong Destination → error', (s, irt) => respond(s, { inResponseTo: irt, destination: 'https://elsewhere.example/acs' }), 'error', 'destination'],
    ['wrong Recipient → error', (s, irt) => respond(s, { inResponseTo: irt, recipient: 'https://elsewhere.example/acs' }), 'error', 'recipient'],
    ['wrong Issuer → error', (s, irt) => respond(s, { inResponseTo: irt, issuer: 'https://sts.windows.net/other/' }), 'error', 'issuer'],
    ['key not in metadata → error', (s, irt) => respond(s, { inResponseTo: irt, key: attacker }), 'error', 'signature'],
    ['unsigned → error', (s, irt) => respond(s, { inResponseTo: irt, signing: 'none' }), 'error', 'signature'],
    ['other request ID → error', (s) => respond(s, { inResponseTo: 'id-' + '0'.repeat(40) }), 'error', 'in_response_to'],
  ];
  for (const [name, make, status, reason] of cases) {
    t.test(name, async (t) => {
      const i = await initiate(sim);
      const r = await callback(sim, make(sim, i.requestId), i.sessionId);
      t.equal(r.code, 200);
      t.equal(r.status, status);
      t.equal(r.token, null);
      t.match(r.last, { outcome: status, reason });
    });
  }

  t.test('SSO switched off after initiate → org_disabled', async (t) => {
    const i = await initiate(sim);
    sim.configure({ enableSso: false });
    t.teardown(() => sim.configure({ enableSso: true }));
    const r = await callback(sim, respond(sim, { inResponseTo: i.requestId }), i.sessionId);
    t.equal(r.status, 'org_disabled');
    const again = await request(sim.url + '/api/v1/fleet/sso', { method: 'POST' });
    t.equal(again.statusCode, 422);
    await again.body.dump();
  });

  t.test('missing or non-base64 SAMLResponse → HTTP 400 JSON', async (t) => {
    const missing = await callback(sim, null);
    t.equal(missing.code, 400);
    t.match(JSON.parse(missing.text), { errors: [{ name: 'base' }] });
    const bad = await callback(sim, 'not base64 at all!');
    t.equal(bad.code, 400);
    t.match(bad.last, { outcome: 'bad_request', reason: 'base64' });
    t.match(missing.last, { outcome: 'bad_request', reason: 'missing' });
    // read through src/fleet's model of Go: base64 with a space in it is Fleet's 400 (Go's StdEncoding refuses it)
    const spaced = await callback(sim, respond(sim).replace(/^(.{8})/, '$1 '));
    t.match({ code: spaced.code, last: spaced.last }, { code: 400, last: { reason: 'base64' } });
  });

  t.test('unsolicited: refused by default, accepted with allowIdpInitiated', async (t) => {
    const r = await callback(sim, respond(sim));
    t.equal(r.status, 'error');
    t.match(r.last, { reason: 'idp_initiated_disabled', sessionFound: false });
    sim.configure({ allowIdpInitiated: true });
    t.teardown(() => sim.configure({ allowIdpInitiated: false }));
    const ok = await callback(sim, respond(sim));
    t.equal(ok.status, null);
    t.ok(ok.token);
    t.match(ok.text, /window\.location\.href = "\/"/);
  });

  t.test('MDM callback redirects to /mdm/sso/callback', async (t) => {
    const i = await initiate(sim, '/api/v1/fleet/mdm/sso');
    t.match(i.xml, /AssertionConsumerServiceURL="[^"]*\/api\/v1\/fleet\/mdm\/sso\/callback"/);
    const acs = sim.url + '/api/v1/fleet/mdm/sso/callback';
    const ok = await callback(sim, respond(sim, { inResponseTo: i.requestId, acsUrl: acs }), i.sessionId, '/api/v1/fleet/mdm/sso/callback');
    t.equal(ok.code, 303);
    t.match(String(ok.headers.location), /^\/mdm\/sso\/callback\?enrollment_reference=[0-9a-f]+$/);
    const bad = await callback(sim, respond(sim, { acsUrl: acs }), undefined, '/api/v1/fleet/mdm/sso/callback');
    t.equal(bad.headers.location, '/mdm/sso/callback?error=true');
  });
});

t.test('TLS server_url → __Host-token; url prefix and metadata_url honoured', async (t) => {
  const { createServer } = await import('node:http');
  const mdServer = createServer((_req, res) => { res.setHeader('content-type', 'application/xml'); res.end(metadataXml); });
  await new Promise<void>((r) => mdServer.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => mdServer.close(() => r())));
  const addr = mdServer.address() as { port: number };
  // Fleet ≥ 4.89.0 (PR #48181): server_url holds the subpath and the ACS URL is server_url + path
  const sim = await startFleetSim({ metadataUrl: `http://127.0.0.1:${addr.port}/md.xml`, users, urlPrefix: '/fleet', serverUrl: 'https://fleet.example/fleet' });
  t.teardown(() => sim.close());
  t.equal(sim.acsUrl(), 'https://fleet.example/fleet/api/v1/fleet/sso/callback');
  // before 4.89.0 url_prefix was joined in again: the same settings doubled the subpath (fleetdm/fleet #46641)
  const older = await startFleetSim({ metadataXml, urlPrefix: '/fleet', serverUrl: 'https://fleet.example/fleet', fleetVersion: '4.88.2' });
  t.teardown(() => older.close());
  t.equal(older.acsUrl(), 'https://fleet.example/fleet/fleet/api/v1/fleet/sso/callback');
  const i = await initiate(sim, '/fleet/api/v1/fleet/sso', '/fleet/hosts');
  t.equal(i.status, 200);
  const r = await callback(sim, respond(sim, { inResponseTo: i.requestId }), i.sessionId, '/fleet/api/v1/fleet/sso/callback');
  t.match(r.text, /document\.cookie = "__Host-token=[^"]*; secure"/);
  t.match(r.text, /"\/fleet\/hosts"/);
  const bad = await callback(sim, respond(sim), undefined, '/fleet/api/v1/fleet/sso/callback');
  t.match(bad.text, /"\/fleet\/login\?status=error"/);
  sim.configure({ metadataUrl: 'http://127.0.0.1:1/none' });
  const failed = await request(sim.url + '/fleet/api/v1/fleet/sso', { method: 'POST' });
  t.equal(failed.statusCode, 500);
  await failed.body.dump();
  t.match(sim.events[sim.events.length - 1], { kind: 'initiate', outcome: 'failed', reason: 'metadata_unavailable' });
});

t.test('listens with TLS when given a key and cert', async (t) => {
  const tls = { key: readFileSync('certs/test-only-tls-localhost.key.pem'), cert: readFileSync('certs/test-only-tls-localhost.cert.pem') };
  const sim = await startFleetSim({ metadataXml, tls });
  t.teardown(() => sim.close());
  t.match(sim.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.equal(sim.serverUrl(), sim.url);
  const { Agent } = await import('undici');
  const dispatcher = new Agent({ connect: { ca: tls.cert, servername: 'localhost' } });
  t.teardown(() => dispatcher.close());
  const res = await request(sim.url + '/api/v1/fleet/sso', { dispatcher });
  t.match(await res.body.json(), { settings: { sso_enabled: true } });
});

t.test('GET /api/v1/fleet/config needs the API token', async (t) => {
  const sim = await startFleetSim({ metadataXml, apiToken: 'sekret', serverUrl: 'https://fleet.example', allowIdpInitiated: true });
  t.teardown(() => sim.close());
  const none = await request(sim.url + '/api/v1/fleet/config');
  t.equal(none.statusCode, 401);
  await none.body.dump();
  const wrong = await request(sim.url + '/api/v1/fleet/config', { headers: { authorization: 'Bearer nope' } });
  t.equal(wrong.statusCode, 401);
  await wrong.body.dump();
  const ok = await request(sim.url + '/api/v1/fleet/config', { headers: { authorization: 'Bearer sekret' } });
  t.equal(ok.statusCode, 200);
  t.match(await ok.body.json(), {
    server_settings: { server_url: 'https://fleet.example' },
    sso_settings: { enable_sso: true, entity_id: 'fleet', metadata: metadataXml, metadata_url: '', enable_sso_idp_login: true, enable_jit_provisioning: false, sso_server_url: '' },
  });
});
