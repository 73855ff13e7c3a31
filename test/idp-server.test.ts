// The mock IdP over a real socket: metadata, login_hint and picker flows, Entra's AADSTS pages and error responses, IdP-initiated launch, faults.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import t from 'tap';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { parseConfig, type IdpConfig } from '../src/idp/config.js';
import { startMockIdp, type MockIdpHandle } from '../src/idp/server.js';

const root = join(import.meta.dirname, '..');
const certPem = readFileSync(join(root, 'certs', 'test-only-idp-signing.cert.pem'), 'utf8');
const parsed = parseConfig(readFileSync(join(root, 'fixtures', 'idp', 'fleet.json'), 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
const config: IdpConfig = parsed.config;
const ACS = 'http://127.0.0.1:8080/api/v1/fleet/sso/callback';
const DEFAULT_ACS = 'https://localhost:8080/api/v1/fleet/sso/callback';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

interface ReqOpts { id?: string; issuer?: string; acs?: string | null; extra?: string; attrs?: string; doctype?: boolean }
function authnRequest(o: ReqOpts = {}): string {
  const acs = o.acs === null ? '' : ` AssertionConsumerServiceURL="${o.acs ?? ACS}"`;
  return `${o.doctype ? '<!DOCTYPE x [<!ENTITY e "boom">]>' : ''}<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.id ?? 'id-0123456789abcdef0123456789abcdef01234567'}" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" ProviderName="Fleet" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"${acs}${o.attrs ?? ''}><saml:Issuer>${o.issuer ?? 'fleet'}</saml:Issuer><samlp:NameIDPolicy AllowCreate="true" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient"/>${o.extra ?? ''}</samlp:AuthnRequest>`;
}
const redirectValue = (xml: string) => encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'));

interface Posted { action: string; samlResponse: string | null; relayState: string | null }
function formOf(html: string): Posted {
  const action = /<form method="POST" name="hiddenform" action="([^"]*)"/.exec(html)?.[1] ?? '';
  const v = /name="SAMLResponse" value="([^"]*)"/.exec(html)?.[1];
  const r = /name="RelayState" value="([^"]*)"/.exec(html)?.[1];
  const unesc = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return { action: unesc(action), samlResponse: v ? Buffer.from(v, 'base64').toString('utf8') : null, relayState: r === undefined ? null : unesc(r) };
}

function signatures(xml: string): boolean[] {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return Array.from(doc.getElementsByTagNameNS(DSIG, 'Signature')).map((s) => {
    const v = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
    v.loadSignature(s as unknown as Node);
    try { return v.checkSignature(xml); } catch { return false; }
  });
}

let idp: MockIdpHandle;
t.before(async () => {
  idp = await startMockIdp({ config, now: () => new Date('2026-03-01T10:00:00.000Z') });
});
t.teardown(() => idp.close());

const get = async (path: string) => {
  const res = await fetch(path.startsWith('http') ? path : idp.url + path, { redirect: 'manual' });
  // decoded by hand: Response.text() drops a leading BOM
  return { status: res.status, body: new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer()), headers: res.headers };
};
const post = async (path: string, form: Record<string, string>) => {
  const res = await fetch(idp.url + path, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });
  return { status: res.status, body: await res.text() };
};

t.test('metadata: Entra layout, endpoints on this server, signed by the active cert', async (t) => {
  const r = await get(idp.metadataUrl + '?appid=3f5b8a52-2f7d-4d8e-9c1b-6a0e4b7c9d00');
  t.equal(r.status, 200);
  t.match(r.headers.get('content-type'), /application\/xml/);
  t.equal(r.body.charCodeAt(0), 0xfeff);
  t.match(r.body, `entityID="https://sts.windows.net/${config.tenantId}/"`);
  t.match(r.body, `<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${idp.loginUrl}" />`);
  t.same(signatures(r.body.replace(/^\uFEFF<\?xml[^>]*>/, '')), [true]);
  t.equal((r.body.match(/<KeyDescriptor use="signing">/g) ?? []).length, 3, 'one cert (no rollover published) in each descriptor');
  const other = await get(`/00000000-0000-0000-0000-000000000000/federationmetadata/2007-06/federationmetadata.xml`);
  t.equal(other.status, 400);
  t.match(other.body, 'AADSTS90002');
});

t.test('Redirect binding with login_hint: signed response posted to the ACS with RelayState', async (t) => {
  const r = await get(`${idp.loginUrl}?SAMLRequest=${redirectValue(authnRequest())}&RelayState=${encodeURIComponent('/dash"><x>')}&login_hint=alice@contoso.example`);
  t.equal(r.status, 200);
  t.match(r.body, 'MOCK');
  t.equal(r.headers.get('x-samlscope-mock'), 'entra-id');
  const f = formOf(r.body);
  t.equal(f.action, ACS);
  t.equal(f.relayState, '/dash"><x>', 'RelayState round-trips');
  t.notMatch(r.body, '"><x>', 'RelayState is escaped in the page');
  const xml = f.samlResponse!;
  t.match(xml, 'InResponseTo="id-0123456789abcdef0123456789abcdef01234567"');
  t.match(xml, `Destination="${ACS}"`);
  t.match(xml, `Recipient="${ACS}"`);
  t.match(xml, '<Audience>fleet</Audience>', 'the Identifier the request named, as it is (no spn: for a plain word)');
  t.match(xml, '<NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@contoso.example</NameID>', 'configured Email address format wins over transient');
  t.match(xml, '<Attribute Name="FLEET_JIT_USER_ROLE_GLOBAL"><AttributeValue>admin</AttributeValue></Attribute>');
  t.match(xml, 'IssueInstant="2026-03-01T10:00:00.000Z"', 'the injected clock');
  t.same(signatures(xml), [true]);
});

t.test('Audience: spn: + the Issuer only when the request names the app by its appId GUID, or with the older-tenant quirk', async (t) => {
  const appId = config.apps[0].appId;
  const audienceOf = async (handle: MockIdpHandle, issuer: string) =>
    /<Audience>([^<]*)<\/Audience>/.exec(formOf((await get(`${handle.loginUrl}?SAMLRequest=${redirectValue(authnRequest({ issuer }))}&login_hint=alice@contoso.example`)).body).samlResponse ?? '')?.[1];
  t.equal(await audienceOf(idp, appId), `spn:${appId}`, 'Issuer = appId GUID');
  t.equal(await audienceOf(idp, 'fleet'), 'fleet');
  const older = await startMockIdp({ config: { ...config, legacySpnAudience: true }, port: 0 });
  t.teardown(() => older.close());
  t.equal(await audienceOf(older, 'fleet'), 'spn:fleet', 'legacySpnAudience: a non-URI Identifier gets spn:');
  const uriConfig: IdpConfig = { ...config, legacySpnAudience: true, apps: [{ ...config.apps[0], identifiers: ['fleet', 'https://fleet.example.com/saml'] }] };
  const olderUri = await startMockIdp({ config: uriConfig, port: 0 });
  t.teardown(() => olderUri.close());
  t.equal(await audienceOf(olderUri, 'https://fleet.example.com/saml'), 'https://fleet.example.com/saml', 'a URI stays as it is');
});

t.test('POST binding and the default reply URL when the request names no ACS', async (t) => {
  const r = await post(`/${config.tenantId}/saml2`, { SAMLRequest: Buffer.from(authnRequest({ acs: null })).toString('base64'), login_hint: 'carol@contoso.example' });
  t.equal(r.status, 200);
  const f = formOf(r.body);
  t.equal(f.action, DEFAULT_ACS);
  t.equal(f.relayState, null);
  t.match(f.samlResponse!, 'carol@contoso.example');
  t.same(signatures(f.samlResponse!), [true]);
});

t.test('without login_hint: the account picker, then a pick signs in', async (t) => {
  const r = await get(`${idp.loginUrl}?SAMLRequest=${redirectValue(authnRequest())}&RelayState=r1`);
  t.equal(r.status, 200);
  t.notMatch(r.body, 'name="SAMLResponse"');
  for (const u of config.users) t.match(r.body, `value="${u.upn}"`);
  const ctx = /name="ctx" value="([^"]+)"/.exec(r.body)![1];
  const picked = await post(`/${config.tenantId}/saml2/pick`, { ctx, login_hint: 'alice@contoso.example' });
  const f = formOf(picked.body);
  t.equal(f.relayState, 'r1');
  t.same(signatures(f.samlResponse!), [true]);
  const again = await post(`/${config.tenantId}/saml2/pick`, { ctx, login_hint: 'alice@contoso.example' });
  t.equal(again.status, 400, 'a picker handle is single use');
  t.notMatch(again.body, 'name="SAMLResponse"');
});

const pageCases: Array<[string, () => string, number]> = [
  ['unknown Issuer → 700016', () => `?SAMLRequest=${redirectValue(authnRequest({ issuer: 'https://not-fleet' }))}&login_hint=alice@contoso.example`, 700016],
  ['ACS not a reply URL → 50011', () => `?SAMLRequest=${redirectValue(authnRequest({ acs: 'https://evil.example/acs' }))}&login_hint=alice@contoso.example`, 50011],
  ['no SAMLRequest → 750054', () => '?login_hint=alice@contoso.example', 750054],
  ['undecodable → 75005', () => '?SAMLRequest=bm90IGRlZmxhdGU%3D&login_hint=alice@contoso.example', 75005],
  ['DOCTYPE refused → 75005', () => `?SAMLRequest=${redirectValue(authnRequest({ doctype: true }))}&login_hint=alice@contoso.example`, 75005],
  ['ID starting with a digit → 7500529', () => `?SAMLRequest=${redirectValue(authnRequest({ id: '1abc' }))}&login_hint=alice@contoso.example`, 7500529],
  ['binding other than POST → 75003', () => `?SAMLRequest=${redirectValue(authnRequest().replace('bindings:HTTP-POST', 'bindings:HTTP-Artifact'))}&login_hint=alice@contoso.example`, 75003],
  ['user not assigned → 50105', () => `?SAMLRequest=${redirectValue(authnRequest())}&login_hint=bob@contoso.example`, 50105],
  ['unknown user → 50034', () => `?SAMLRequest=${redirectValue(authnRequest())}&login_hint=mallory@contoso.example`, 50034],
];

t.test('Entra error pages: code, Request Id, Correlation Id, Timestamp, MOCK, and never a SAMLResponse', async (t) => {
  for (const [name, qs, code] of pageCases) {
    const r = await get(idp.loginUrl + qs());
    t.equal(r.status, 400, name);
    t.match(r.body, `<span id="error-code">AADSTS${code}</span>`, name);
    t.match(r.body, /id="request-id">[0-9a-f-]{36}</, name);
    t.match(r.body, /id="correlation-id">[0-9a-f-]{36}</, name);
    t.match(r.body, /id="timestamp">\d{4}-\d\d-\d\dT/, name);
    t.match(r.body, 'MOCK', name);
    t.notMatch(r.body, 'name="SAMLResponse"', `${name}: nothing is posted to the SP`);
  }
});

const responseCases: Array<[string, ReqOpts, string, string, number]> = [
  ['Subject in the request', { extra: '<saml:Subject><saml:NameID>alice@contoso.example</saml:NameID></saml:Subject>' }, 'Requester', 'RequestUnsupported', 75006],
  ['Scoping with IDPList', { extra: '<samlp:Scoping><samlp:IDPList><samlp:IDPEntry ProviderID="x"/></samlp:IDPList></samlp:Scoping>' }, 'Requester', 'RequestUnsupported', 75006],
  ['unsupported NameIDPolicy format', { extra: '' }, 'Requester', 'InvalidNameIDPolicy', 75006],
  ['IsPassive without a session', { attrs: ' IsPassive="true"' }, 'Responder', 'NoPassive', 50058],
];

t.test('request errors Entra answers with an unsigned error response (nested status, AADSTS message)', async (t) => {
  for (const [name, o, top, sub, code] of responseCases) {
    let xmlReq = authnRequest(o);
    if (name.startsWith('unsupported NameIDPolicy')) xmlReq = xmlReq.replace('nameid-format:transient', 'nameid-format:X509SubjectName');
    const r = await get(`${idp.loginUrl}?SAMLRequest=${redirectValue(xmlReq)}&login_hint=alice@contoso.example`);
    t.equal(r.status, 200, name);
    const f = formOf(r.body);
    t.equal(f.action, ACS, name);
    const xml = f.samlResponse!;
    t.match(xml, `<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:${top}"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:${sub}"/>`, name);
    t.match(xml, new RegExp(`<samlp:StatusMessage>AADSTS${code}: [^<]*\nTrace ID: [0-9a-f-]{36}\nTimestamp: `), name);
    t.notMatch(xml, /Signature|Assertion/, `${name}: unsigned, no assertion`);
  }
});

t.test('IdP-initiated launch: unsolicited response to the default reply URL, no InResponseTo', async (t) => {
  const r = await get(`/${config.tenantId}/launch?app=fleet&login_hint=alice@contoso.example`);
  t.equal(r.status, 200);
  const f = formOf(r.body);
  t.equal(f.action, DEFAULT_ACS);
  t.notMatch(f.samlResponse!, 'InResponseTo');
  t.same(signatures(f.samlResponse!), [true]);
  const denied = await get(`/${config.tenantId}/launch?app=fleet&login_hint=bob@contoso.example`);
  t.match(denied.body, 'AADSTS50105');
  t.notMatch(denied.body, 'name="SAMLResponse"');
  const unknown = await get(`/${config.tenantId}/launch?app=nope&login_hint=alice@contoso.example`);
  t.match(unknown.body, 'AADSTS700016');
  const picker = await get(`/${config.tenantId}/launch?app=fleet`);
  t.match(picker.body, 'name="ctx"');
});

t.test('faults per login: unsigned, status-denied (unsigned error response), unknown fault refused', async (t) => {
  const base = `${idp.loginUrl}?SAMLRequest=${redirectValue(authnRequest())}&login_hint=alice@contoso.example`;
  const unsigned = formOf((await get(base + '&fault=unsigned')).body).samlResponse!;
  t.notMatch(unsigned, 'Signature');
  t.match(unsigned, '<Assertion ');
  const denied = formOf((await get(base + '&fault=status-denied')).body).samlResponse!;
  t.match(denied, 'AADSTS50105');
  t.notMatch(denied, /Signature|Assertion/);
  const tampered = formOf((await get(base + '&fault=tampered')).body).samlResponse!;
  t.match(tampered, '>admin@contoso.example</NameID>');
  t.same(signatures(tampered), [false]);
  const bad = await get(base + '&fault=<script>');
  t.equal(bad.status, 400);
  t.notMatch(bad.body, '<script>alert');
  t.notMatch(bad.body, 'fault "<script>"', 'the fault name is escaped');
  t.notMatch(bad.body, 'name="SAMLResponse"');
});

t.test('binds loopback only unless allowRemote; extra reply URLs are accepted', async (t) => {
  await t.rejects(startMockIdp({ config, host: '0.0.0.0' }), /allowRemote/);
  const other = await startMockIdp({ config, extraReplyUrls: ['http://127.0.0.1:1/acs'] });
  t.teardown(() => other.close());
  const r = await get(`${other.loginUrl}?SAMLRequest=${redirectValue(authnRequest({ acs: 'http://127.0.0.1:1/acs' }))}&login_hint=alice@contoso.example`);
  t.equal(formOf(r.body).action, 'http://127.0.0.1:1/acs');
  const idx = await get(other.url + '/');
  t.match(idx.body, 'MOCK');
  t.match(idx.body, other.metadataUrl);
});

t.test('addReplyUrls: a reply URL learnt after start is accepted from then on (AADSTS50011 before)', async (t) => {
  const late = 'https://127.0.0.1:18443/api/v1/fleet/sso/callback';
  const qs = `?SAMLRequest=${redirectValue(authnRequest({ acs: late }))}&login_hint=alice@contoso.example`;
  const before = await get(idp.loginUrl + qs);
  t.match(before.body, '<span id="error-code">AADSTS50011</span>');
  idp.addReplyUrls([late]);
  const after = await get(idp.loginUrl + qs);
  t.equal(after.status, 200);
  t.equal(formOf(after.body).action, late);
});
