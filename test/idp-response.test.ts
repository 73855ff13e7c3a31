// Fidelity of the mock's responses and metadata to real Entra documents (element order, prefixes, attributes, claims, times) and signature validity.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import {
  buildEntraErrorResponse, buildEntraMetadata, buildEntraResponse, audienceFor, CLAIM, NAMEID_FORMAT, pairwiseNameId,
  type EntraResponseSpec,
} from '../src/idp/response.js';
import { corpusPath, corpusSkip } from './corpus.js';

const root = join(import.meta.dirname, '..');
const samples = corpusPath('samples/entra');
const pair = (n: string) => ({
  privateKeyPem: readFileSync(join(root, 'certs', `${n}.key.pem`), 'utf8'),
  certPem: readFileSync(join(root, 'certs', `${n}.cert.pem`), 'utf8'),
});
const key = pair('test-only-idp-signing');
const rollover = pair('test-only-idp-rollover');
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** Every tag in document order as `</>name attr1 attr2 ...` (values dropped): the layout without the data. */
function skeleton(xml: string): string[] {
  const out: string[] = [];
  const re = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+="[^"]*")*)\s*(\/?)>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const attrs = [...m[3].matchAll(/([\w.:-]+)="/g)].map((a) => a[1]);
    out.push(`${m[1]}${m[2]}${attrs.length ? ' ' + attrs.join(' ') : ''}${m[4]}`);
  }
  return out;
}

function attrsOf(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name} Name="([^"]+)"`, 'g'))].map((m) => m[1]);
}

function verifyAll(xml: string, certPem: string): boolean[] {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return Array.from(doc.getElementsByTagNameNS(DSIG, 'Signature')).map((s) => {
    const v = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
    v.loadSignature(s as unknown as Node);
    try {
      return v.checkSignature(xml);
    } catch {
      return false;
    }
  });
}

// The tercen sample's parameters: the mock must produce the same layout from them.
const tercen = corpusSkip ? '' : readFileSync(join(samples, 'entra-response-2022-tercen.xml'), 'utf8').trim();
const tercenSpec: EntraResponseSpec = {
  tenantId: '5b5c94c6-14cf-42da-85bc-4e08722b253b',
  acsUrl: 'https://devpg.tercen.com/_service/sso/auth/saml',
  audience: 'https://devpg.tercen.com/_service/sso/auth/saml',
  inResponseTo: 'id6491e192-e2d9-4970-ab03-e38ffda6e033',
  now: new Date('2022-02-23T17:49:18.872Z'),
  nameId: 'test@alexandremaurelgmail.onmicrosoft.com',
  nameIdFormat: NAMEID_FORMAT.emailAddress,
  objectId: '814bd554-6a00-405c-91d5-4132d39ba4fb',
  displayName: 'test',
  attributes: [{ name: CLAIM.name, values: ['test@alexandremaurelgmail.onmicrosoft.com'] }],
  signing: 'assertion',
  algorithm: 'sha256',
  key,
  ids: { response: '_26f81b2a-e699-4f99-be44-e2814d1bef52', assertion: '_8c68ecbc-f68b-4f9b-bf66-e6afe9c0b001' },
  authnInstant: new Date('2022-02-23T10:17:10.452Z'),
};

t.test('layout equals the real Entra response (tercen): element order, prefixes, namespaces, attribute order', { skip: corpusSkip }, async (t) => {
  const mock = buildEntraResponse(tercenSpec);
  t.same(skeleton(mock), skeleton(tercen));
  t.same(attrsOf(mock, 'Attribute'), attrsOf(tercen, 'Attribute'), 'claim URIs in Entra order');
  t.notOk(mock.startsWith('<?xml'), 'no XML declaration');
  t.notMatch(mock, />\s+</, 'no whitespace between elements');
  t.notMatch(mock, /\n/, 'one line');
  t.notMatch(mock, /ds:/, 'no ds: prefix');
  t.notMatch(mock, /NameFormat|xsi:type|Consent=/, 'attributes carry only Name; no Consent');
  // every value the tercen sample holds except the signature bytes and its KeyInfo cert
  const strip = (s: string) => s.replace(/<DigestValue>[^<]*</g, '<DigestValue><').replace(/<SignatureValue>[^<]*</g, '<SignatureValue><')
    .replace(/<X509Certificate>[^<]*</g, '<X509Certificate><').replace(/(NotBefore|NotOnOrAfter)="[^"]*"/g, '$1=""');
  t.equal(strip(mock), strip(tercen), 'byte-equal apart from signature, cert and validity window');
});

t.test('times: 3 fractional digits, T0−5 min / T0+60 min, SessionIndex = Assertion ID, IDs are _ + lower-case GUID', async (t) => {
  const mock = buildEntraResponse({ ...tercenSpec, ids: undefined });
  const times = [...mock.matchAll(/(IssueInstant|NotBefore|NotOnOrAfter|AuthnInstant)="([^"]+)"/g)].map((m) => m[2]);
  t.ok(times.length >= 6);
  for (const x of times) t.match(x, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const nb = Date.parse(/NotBefore="([^"]+)"/.exec(mock)![1]);
  const noa = Date.parse(/Conditions NotBefore="[^"]+" NotOnOrAfter="([^"]+)"/.exec(mock)![1]);
  const scd = Date.parse(/SubjectConfirmationData[^>]*NotOnOrAfter="([^"]+)"/.exec(mock)![1]);
  t.equal(noa - nb, 65 * 60_000, 'window is 65 minutes');
  t.equal(scd, noa, 'SubjectConfirmationData NotOnOrAfter = T0 + 60 min');
  const ids = [...mock.matchAll(/ ID="([^"]+)"/g)].map((m) => m[1]);
  t.equal(ids.length, 2);
  t.not(ids[0], ids[1]);
  for (const id of ids) t.match(id, /^_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.equal(/SessionIndex="([^"]+)"/.exec(mock)![1], ids[1]);
});

t.test('the assertion signature verifies with the signing cert and not with another', async (t) => {
  const mock = buildEntraResponse(tercenSpec);
  t.same(verifyAll(mock, key.certPem), [true]);
  t.same(verifyAll(mock, rollover.certPem), [false]);
});

t.test('signing options: response, both, none; SHA-1 algorithm URIs', async (t) => {
  const resp = buildEntraResponse({ ...tercenSpec, signing: 'response' });
  t.match(resp, /^<samlp:Response [^>]*><Issuer [^>]*>[^<]*<\/Issuer><Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">/, 'Signature right after Response/Issuer');
  t.match(resp, /<Reference URI="#_26f81b2a-e699-4f99-be44-e2814d1bef52">/);
  t.same(verifyAll(resp, key.certPem), [true]);
  const both = buildEntraResponse({ ...tercenSpec, signing: 'both' });
  t.same(verifyAll(both, key.certPem), [true, true]);
  const none = buildEntraResponse({ ...tercenSpec, signing: 'none' });
  t.notMatch(none, /Signature/);
  const sha1 = buildEntraResponse({ ...tercenSpec, algorithm: 'sha1' });
  t.match(sha1, /SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#rsa-sha1"/);
  t.match(sha1, /DigestMethod Algorithm="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#sha1"/);
  t.same(verifyAll(sha1, key.certPem), [true]);
});

t.test('IdP-initiated: no InResponseTo anywhere; empty claims omitted; spn: audience for an appId or with the older-tenant quirk', async (t) => {
  const mock = buildEntraResponse({ ...tercenSpec, inResponseTo: undefined, attributes: [{ name: CLAIM.surname, values: [''] }, { name: CLAIM.email, values: ['a@b.c'] }] });
  t.notMatch(mock, /InResponseTo/);
  t.notOk(attrsOf(mock, 'Attribute').includes(CLAIM.surname));
  t.equal(attrsOf(mock, 'Attribute').at(-1), CLAIM.email);
  t.equal(audienceFor('fleet'), 'fleet');
  t.equal(audienceFor('fleet', { legacySpnAudience: true }), 'spn:fleet');
  t.equal(audienceFor('3f5b8a52-2f7d-4d8e-9c1b-6a0e4b7c9d00', { namedByAppId: true }), 'spn:3f5b8a52-2f7d-4d8e-9c1b-6a0e4b7c9d00');
  t.equal(audienceFor('https://fleet.example.com', { legacySpnAudience: true }), 'https://fleet.example.com');
  t.equal(audienceFor('urn:fleet', { legacySpnAudience: true }), 'urn:fleet');
  const pw = pairwiseNameId('814bd554-6a00-405c-91d5-4132d39ba4fb', 'fleet');
  t.match(pw, /^[A-Za-z0-9_-]{43}$/);
  t.equal(pw, pairwiseNameId('814bd554-6a00-405c-91d5-4132d39ba4fb', 'fleet'), 'stable per user and app');
});

t.test('error response: unsigned, nested status, AADSTS message with Trace ID and Timestamp', async (t) => {
  const xml = buildEntraErrorResponse({
    tenantId: 'x', now: new Date('2013-03-18T08:49:24.123Z'), status: 'Requester', subStatus: 'RequestUnsupported', aadsts: 75006,
    text: 'An error occurred.', traceId: '11111111-1111-1111-1111-111111111111', destination: 'https://sp/acs', inResponseTo: 'id-1',
  });
  t.same(skeleton(xml), [
    'samlp:Response ID Version IssueInstant Destination InResponseTo xmlns:samlp', 'Issuer xmlns', '/Issuer', 'samlp:Status',
    'samlp:StatusCode Value', 'samlp:StatusCode Value/', '/samlp:StatusCode', 'samlp:StatusMessage', '/samlp:StatusMessage', '/samlp:Status', '/samlp:Response',
  ]);
  t.match(xml, 'Value="urn:oasis:names:tc:SAML:2.0:status:Requester"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported"/>');
  t.match(xml, '<samlp:StatusMessage>AADSTS75006: An error occurred.\nTrace ID: 11111111-1111-1111-1111-111111111111\nTimestamp: 2013-03-18 08:49:24Z</samlp:StatusMessage>');
  t.notMatch(xml, /Signature|Assertion/);
});

t.test('metadata layout equals real app metadata during a rollover (ggtristams), BOM, one line, signed', { skip: corpusSkip }, async (t) => {
  const real = readFileSync(join(samples, 'entra-metadata-app-2024-ggtristams.xml'), 'utf8');
  const md = buildEntraMetadata({ tenantId: '81c1df79-e153-4f9d-a101-8dcf04af6c2c', baseUrl: 'https://login.microsoftonline.com', certsPem: [key.certPem, rollover.certPem], signingKey: key });
  t.equal(md.charCodeAt(0), 0xfeff, 'UTF-8 BOM');
  t.ok(md.startsWith('\uFEFF<?xml version="1.0" encoding="utf-8"?><EntityDescriptor '));
  t.notMatch(md, /\n/);
  t.same(skeleton(md), skeleton(real));
  const strip = (s: string) => s.replace(/ID="[^"]*"/, '').replace(/URI="#[^"]*"/, 'URI=""').replace(/<(ds:)?(DigestValue|SignatureValue|X509Certificate)>[^<]*</g, '<$1$2><');
  t.equal(strip(md), strip(real), 'byte-equal apart from ID, signature and certs');
  const body = md.replace(/^\uFEFF<\?xml[^>]*>/, '');
  t.same(verifyAll(body, key.certPem), [true]);
  t.equal((md.match(/<KeyDescriptor use="signing">/g) ?? []).length, 6, 'two certs in each of the three descriptors');
});
