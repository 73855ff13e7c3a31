// The fixture catalogue: every valid and invalid response fixture, built from the test-only keys at FIXED_NOW.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { buildEntraErrorResponse, buildEntraMetadata, buildEntraResponse, signElement, type EntraResponseSpec, type SigningKey } from '../src/idp/response.js';

const root = join(import.meta.dirname, '..');
const key = (name: string): SigningKey => ({
  privateKeyPem: readFileSync(join(root, 'certs', `${name}.key.pem`), 'utf8'),
  certPem: readFileSync(join(root, 'certs', `${name}.cert.pem`), 'utf8'),
});

export const FIXED_NOW = new Date('2026-01-15T12:00:00.000Z');
export const TENANT = '6c3d8a2e-4b1f-4e2a-9d7c-1f0e5b3a2c4d';
export const ENTITY_ID = 'fleet';
export const ACS_URL = 'https://fleet.example.com/api/v1/fleet/sso/callback';
export const REQUEST_ID = 'id-4f1c2b8e9a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b';
export const KEYS = {
  signing: key('test-only-idp-signing'),
  rollover: key('test-only-idp-rollover'),
  expired: key('test-only-idp-expired'),
  attacker: key('test-only-attacker'),
};

/** Analysis options every fixture is judged with (metadata: fixtures/metadata/test-idp.xml). */
export const FIXTURE_PARAMS = { entityId: ENTITY_ID, acsUrl: ACS_URL, now: FIXED_NOW, requestId: REQUEST_ID } as const;

/** Metadata listing the signing cert and the expired cert (so "expired cert" fixtures are trusted but out of date). */
export function fixtureMetadata(): string {
  return buildEntraMetadata({
    tenantId: TENANT,
    baseUrl: 'https://login.microsoftonline.example',
    certsPem: [KEYS.signing.certPem, KEYS.expired.certPem],
    signingKey: KEYS.signing,
    id: '_0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b',
  });
}

export function baseSpec(over: Partial<EntraResponseSpec> = {}): EntraResponseSpec {
  return {
    tenantId: TENANT,
    acsUrl: ACS_URL,
    audience: ENTITY_ID,
    inResponseTo: REQUEST_ID,
    now: new Date(FIXED_NOW.getTime() - 2000),
    nameId: 'alice@contoso.example',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    objectId: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
    displayName: 'Alice Example',
    attributes: [
      { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', values: ['Alice'] },
      { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', values: ['Example'] },
      { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', values: ['alice@contoso.example'] },
      { name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', values: ['alice@contoso.example'] },
    ],
    signing: 'assertion',
    algorithm: 'sha256',
    key: KEYS.signing,
    ids: { response: '_1b2c3d4e-0000-4000-8000-000000000001', assertion: '_1b2c3d4e-0000-4000-8000-000000000002' },
    authnInstant: new Date(FIXED_NOW.getTime() - 60_000),
    ...over,
  };
}

/** A valid signed response (assertion-signed, as Entra does by default). */
export function validResponse(over: Partial<EntraResponseSpec> = {}): string {
  return buildEntraResponse(baseSpec(over));
}

/** Builds unsigned, edits the XML text, then signs `sign` the Entra way: for defects the signature must cover. */
export function editedThenSigned(edit: (xml: string) => string, sign: 'Assertion' | 'Response' = 'Assertion', over: Partial<EntraResponseSpec> = {}, k: SigningKey = KEYS.signing): string {
  const unsigned = buildEntraResponse(baseSpec({ ...over, signing: 'none' }));
  return signElement(edit(unsigned), sign, k, 'sha256');
}

function swap(xml: string, from: string | RegExp, to: string): string {
  const out = xml.replace(from, to);
  if (out === xml) throw new Error(`fixture edit did not apply: ${String(from)}`);
  return out;
}

const A = '_1b2c3d4e-0000-4000-8000-000000000002';
const R = '_1b2c3d4e-0000-4000-8000-000000000001';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export interface FixtureCase {
  /** path under fixtures/responses/ */
  file: string;
  build: () => string;
  /** the finding code the fixture exists for; null for valid fixtures */
  code: string | null;
}

export const VALID_CASES: FixtureCase[] = [
  { file: 'valid/response.assertion-signed.xml', code: null, build: () => validResponse() },
  { file: 'valid/response.response-signed.xml', code: null, build: () => validResponse({ signing: 'response' }) },
  { file: 'valid/response.both-signed.xml', code: null, build: () => validResponse({ signing: 'both' }) },
  { file: 'valid/response.assertion-signed.sha1.xml', code: null, build: () => validResponse({ algorithm: 'sha1' }) },
  { file: 'valid/response.assertion-signed.b64', code: null, build: () => b64(validResponse()) },
  { file: 'valid/response.assertion-signed.form', code: null, build: () => 'SAMLResponse=' + encodeURIComponent(b64(validResponse())) + '&RelayState=%2Fdashboard' },
];

const deep = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);

export const INVALID_CASES: FixtureCase[] = [
  // DECODE
  { file: 'invalid/SAML_DECODE_EMPTY.form', code: 'SAML_DECODE_EMPTY', build: () => 'RelayState=%2F' },
  { file: 'invalid/SAML_DECODE_BASE64_INVALID.b64', code: 'SAML_DECODE_BASE64_INVALID', build: () => b64(validResponse()).slice(0, 200) + '*' + b64(validResponse()).slice(201) },
  { file: 'invalid/SAML_DECODE_DEFLATED_IN_POST.b64', code: 'SAML_DECODE_DEFLATED_IN_POST', build: () => deflateRawSync(Buffer.from(validResponse())).toString('base64') },
  { file: 'invalid/SAML_DECODE_NOT_XML.b64', code: 'SAML_DECODE_NOT_XML', build: () => b64('{"this":"is json, not SAML"}') },
  { file: 'invalid/SAML_DECODE_HAR_NO_CALLBACK.har', code: 'SAML_DECODE_HAR_NO_CALLBACK', build: () => JSON.stringify({ log: { version: '1.2', entries: [{ request: { method: 'GET', url: 'https://fleet.example.com/login', headers: [] }, response: { status: 200 } }] } }) },
  { file: 'invalid/SAML_DECODE_FORM_DUPLICATE_FIELD.form', code: 'SAML_DECODE_FORM_DUPLICATE_FIELD', build: () => `SAMLResponse=${encodeURIComponent(b64(validResponse()))}&SAMLResponse=${encodeURIComponent(b64(validResponse({ nameId: 'admin@contoso.example' })))}` },
  // XML
  { file: 'invalid/SAML_XML_MALFORMED.xml', code: 'SAML_XML_MALFORMED', build: () => validResponse().replace('</samlp:Response>', '') },
  { file: 'invalid/SAML_XML_DTD_FORBIDDEN.xml', code: 'SAML_XML_DTD_FORBIDDEN', build: () => '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + validResponse() },
  { file: 'invalid/SAML_XML_PI_FORBIDDEN.xml', code: 'SAML_XML_PI_FORBIDDEN', build: () => '<?xml-stylesheet href="x.xsl"?>' + validResponse() },
  { file: 'invalid/SAML_XML_TOO_DEEP.xml', code: 'SAML_XML_TOO_DEEP', build: () => swap(validResponse(), '</samlp:Response>', `<samlp:Extensions>${deep(120)}</samlp:Extensions></samlp:Response>`) },
  { file: 'invalid/SAML_XML_TOO_MANY_ELEMENTS.xml', code: 'SAML_XML_TOO_MANY_ELEMENTS', build: () => swap(validResponse(), '</samlp:Response>', `<samlp:Extensions>${'<x/>'.repeat(6000)}</samlp:Extensions></samlp:Response>`) },
  { file: 'invalid/SAML_XML_NOT_RESPONSE.xml', code: 'SAML_XML_NOT_RESPONSE', build: () => `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0" IssueInstant="2026-01-15T11:59:58.000Z"/>` },
  { file: 'invalid/SAML_XML_DUPLICATE_ID.xml', code: 'SAML_XML_DUPLICATE_ID', build: () => swap(validResponse(), '<samlp:Status>', `<samlp:Extensions><x ID="${A}"/></samlp:Extensions><samlp:Status>`) },
  { file: 'invalid/SAML_XML_NO_ASSERTION.xml', code: 'SAML_XML_NO_ASSERTION', build: () => validResponse().replace(/<Assertion [\s\S]*<\/Assertion>/, '') },
  { file: 'invalid/SAML_XML_MULTIPLE_ASSERTIONS.xml', code: 'SAML_XML_MULTIPLE_ASSERTIONS', build: () => { const v = validResponse(); const a2 = validResponse({ ids: { response: '_r2', assertion: '_a2' } }).match(/<Assertion [\s\S]*<\/Assertion>/)![0]; return swap(v, '</samlp:Response>', a2 + '</samlp:Response>'); } },
  { file: 'invalid/SAML_XML_NESTED_ASSERTION.xml', code: 'SAML_XML_NESTED_ASSERTION', build: () => { const v = validResponse(); const a2 = validResponse({ ids: { response: '_r2', assertion: '_a2' }, nameId: 'admin@contoso.example' }).match(/<Assertion [\s\S]*<\/Assertion>/)![0]; return swap(v, '<samlp:Status>', `<samlp:Extensions>${a2}</samlp:Extensions><samlp:Status>`); } },
  { file: 'invalid/SAML_XML_ENCRYPTED_ASSERTION.xml', code: 'SAML_XML_ENCRYPTED_ASSERTION', build: () => validResponse({ signing: 'none' }).replace(/<Assertion [\s\S]*<\/Assertion>/, '<EncryptedAssertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></EncryptedAssertion>') },
  { file: 'invalid/SAML_XML_COMMENT_IN_SIGNED_CONTENT.xml', code: 'SAML_XML_COMMENT_IN_SIGNED_CONTENT', build: () => editedThenSigned((x) => swap(x, /(<NameID[^>]*>)alice@contoso\.example\.evil</, '$1alice@contoso.example<!---->.evil<'), 'Assertion', { nameId: 'alice@contoso.example.evil' }) },
  { file: 'invalid/SAML_XML_DUPLICATE_ELEMENT.xml', code: 'SAML_XML_DUPLICATE_ELEMENT', build: () => editedThenSigned((x) => swap(x, /(<NameID[^>]*>alice@contoso\.example<\/NameID>)/, '$1<NameID>admin@contoso.example</NameID>')) },
  // Fleet quirks: well-formed, correctly signed, and still refused by Fleet's Go stack
  { file: 'invalid/SAML_FLEET_QUIRK_EMPTY_CDATA.xml', code: 'SAML_FLEET_QUIRK_EMPTY_CDATA', build: () => swap(validResponse(), '>Alice Example<', '>Alice<![CDATA[]]> Example<') },
  { file: 'invalid/SAML_FLEET_QUIRK_PREFIX_REBINDING.xml', code: 'SAML_FLEET_QUIRK_PREFIX_REBINDING', build: () => swap(validResponse(), '</samlp:Response>', '<samlp:Extensions><samlp:x xmlns:samlp="urn:example:other"/></samlp:Extensions></samlp:Response>') },
  { file: 'invalid/SAML_FLEET_QUIRK_EMPTY_DEFAULT_NAMESPACE.xml', code: 'SAML_FLEET_QUIRK_EMPTY_DEFAULT_NAMESPACE', build: () => editedThenSigned((x) => swap(x, '<samlp:Status>', '<samlp:Extensions><x xmlns=""/></samlp:Extensions><samlp:Status>'), 'Response') },
  { file: 'invalid/SAML_FLEET_QUIRK_CONFIRMATION_WITHOUT_DATA.xml', code: 'SAML_FLEET_QUIRK_CONFIRMATION_WITHOUT_DATA', build: () => editedThenSigned((x) => swap(x, /<SubjectConfirmationData[^>]*\/>/, '')) },
  // SIG
  { file: 'invalid/SAML_SIG_MISSING.xml', code: 'SAML_SIG_MISSING', build: () => validResponse({ signing: 'none' }) },
  { file: 'invalid/SAML_SIG_INVALID.xml', code: 'SAML_SIG_INVALID', build: () => { const good = validResponse(); const other = validResponse({ nameId: 'bob@contoso.example' }); const sv = (x: string) => x.match(/<SignatureValue>([^<]+)<\/SignatureValue>/)![1]; return good.replace(sv(good), sv(other)); } },
  { file: 'invalid/SAML_SIG_DIGEST_MISMATCH.xml', code: 'SAML_SIG_DIGEST_MISMATCH', build: () => swap(validResponse(), '>alice@contoso.example</NameID>', '>admin@contoso.example</NameID>') },
  { file: 'invalid/SAML_SIG_UNTRUSTED_KEY.xml', code: 'SAML_SIG_UNTRUSTED_KEY', build: () => validResponse({ key: KEYS.attacker }) },
  // a Response signature whose Reference points at the Assertion (signed by both, so the target exists)
  { file: 'invalid/SAML_SIG_REFERENCE_INVALID.xml', code: 'SAML_SIG_REFERENCE_INVALID', build: () => swap(validResponse({ signing: 'both' }), `<Reference URI="#${R}">`, `<Reference URI="#${A}">`) },
  { file: 'invalid/SAML_SIG_TRANSFORM_FORBIDDEN.xml', code: 'SAML_SIG_TRANSFORM_FORBIDDEN', build: () => swap(validResponse(), '<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>', '<Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"/></Transform>') },
  { file: 'invalid/SAML_SIG_ALGORITHM_FORBIDDEN.xml', code: 'SAML_SIG_ALGORITHM_FORBIDDEN', build: () => swap(validResponse(), 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#hmac-sha1') },
  { file: 'invalid/SAML_SIG_MALFORMED.xml', code: 'SAML_SIG_MALFORMED', build: () => { const v = validResponse(); const si = v.match(/<SignedInfo>[\s\S]*?<\/SignedInfo>/)![0]; return swap(v, '</X509Data></KeyInfo>', `</X509Data><KeyName>${si}</KeyName></KeyInfo>`); } },
  { file: 'invalid/SAML_SIG_MULTIPLE_SIGNATURES.xml', code: 'SAML_SIG_MULTIPLE_SIGNATURES', build: () => { const v = validResponse(); const sig = v.match(/<Signature [\s\S]*?<\/Signature>/)![0]; return swap(v, '<Subject>', sig + '<Subject>'); } },
  { file: 'invalid/SAML_SIG_CERT_EXPIRED.xml', code: 'SAML_SIG_CERT_EXPIRED', build: () => validResponse({ key: KEYS.expired }) },
  // STATUS
  { file: 'invalid/SAML_STATUS_NOT_SUCCESS.xml', code: 'SAML_STATUS_NOT_SUCCESS', build: () => buildEntraErrorResponse({ tenantId: TENANT, inResponseTo: REQUEST_ID, now: new Date(FIXED_NOW.getTime() - 2000), destination: ACS_URL, status: 'Requester', subStatus: 'RequestUnsupported', aadsts: 75006, text: 'An error occurred while processing a SAML2 Authentication request. AADSTS90011: Request parameter Subject is not supported.', id: R, traceId: '0e2a1f3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b' }) },
  { file: 'invalid/SAML_STATUS_MISSING.xml', code: 'SAML_STATUS_MISSING', build: () => editedThenSigned((x) => swap(x, /<samlp:Status>[\s\S]*?<\/samlp:Status>/, ''), 'Response') },
  // ISSUER
  { file: 'invalid/SAML_ISSUER_RESPONSE_MISMATCH.xml', code: 'SAML_ISSUER_RESPONSE_MISMATCH', build: () => swap(validResponse(), `<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/${TENANT}/</Issuer>`, '<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/00000000-0000-0000-0000-000000000000/</Issuer>') },
  { file: 'invalid/SAML_ISSUER_ASSERTION_MISMATCH.xml', code: 'SAML_ISSUER_ASSERTION_MISMATCH', build: () => validResponse({ assertionIssuer: `https://login.microsoftonline.com/${TENANT}/` }) },
  { file: 'invalid/SAML_ISSUER_ASSERTION_MISSING.xml', code: 'SAML_ISSUER_ASSERTION_MISSING', build: () => editedThenSigned((x) => swap(x, new RegExp(`(<Assertion [^>]*>)<Issuer>[^<]*</Issuer>`), '$1'), 'Response') },
  // AUDIENCE
  { file: 'invalid/SAML_AUDIENCE_MISMATCH.xml', code: 'SAML_AUDIENCE_MISMATCH', build: () => validResponse({ audience: 'https://fleet.example.com' + '/other' }) },
  { file: 'invalid/SAML_AUDIENCE_SPN_PREFIX.xml', code: 'SAML_AUDIENCE_SPN_PREFIX', build: () => validResponse({ audience: 'spn:fleet' }) },
  { file: 'invalid/SAML_AUDIENCE_MISSING.xml', code: 'SAML_AUDIENCE_MISSING', build: () => editedThenSigned((x) => swap(x, /<AudienceRestriction>[\s\S]*?<\/AudienceRestriction>/, '')) },
  { file: 'invalid/SAML_AUDIENCE_RESTRICTION_UNSATISFIED.xml', code: 'SAML_AUDIENCE_RESTRICTION_UNSATISFIED', build: () => editedThenSigned((x) => swap(x, '</AudienceRestriction>', '</AudienceRestriction><AudienceRestriction><Audience>https://other.example.com</Audience></AudienceRestriction>')) },
  // DEST
  { file: 'invalid/SAML_DEST_MISMATCH.xml', code: 'SAML_DEST_MISMATCH', build: () => validResponse({ destination: 'https://fleet.example.com:8080/api/v1/fleet/sso/callback' }) },
  { file: 'invalid/SAML_DEST_MISSING.xml', code: 'SAML_DEST_MISSING', build: () => editedThenSigned((x) => swap(x, / Destination="[^"]*"/, ''), 'Response') },
  { file: 'invalid/SAML_DEST_RECIPIENT_MISMATCH.xml', code: 'SAML_DEST_RECIPIENT_MISMATCH', build: () => validResponse({ recipient: 'http://127.0.0.1:8080/api/v1/fleet/sso/callback' }) },
  // TIME
  { file: 'invalid/SAML_TIME_ISSUE_INSTANT_STALE.xml', code: 'SAML_TIME_ISSUE_INSTANT_STALE', build: () => validResponse({ now: new Date(FIXED_NOW.getTime() - 120_000) }) },
  { file: 'invalid/SAML_TIME_NOT_YET_VALID.xml', code: 'SAML_TIME_NOT_YET_VALID', build: () => editedThenSigned((x) => swap(x, /NotBefore="[^"]*"/, 'NotBefore="2026-01-15T12:10:00.000Z"')) },
  { file: 'invalid/SAML_TIME_EXPIRED.xml', code: 'SAML_TIME_EXPIRED', build: () => editedThenSigned((x) => swap(x, /(<Conditions [^>]*)NotOnOrAfter="[^"]*"/, '$1NotOnOrAfter="2026-01-15T11:50:00.000Z"')) },
  { file: 'invalid/SAML_TIME_CONFIRMATION_EXPIRED.xml', code: 'SAML_TIME_CONFIRMATION_EXPIRED', build: () => editedThenSigned((x) => swap(x, /(<SubjectConfirmationData [^>]*)NotOnOrAfter="[^"]*"/, '$1NotOnOrAfter="2026-01-15T11:50:00.000Z"')) },
  { file: 'invalid/SAML_TIME_INVALID.xml', code: 'SAML_TIME_INVALID', build: () => editedThenSigned((x) => swap(x, /(<Conditions [^>]*)NotOnOrAfter="[^"]*"/, '$1NotOnOrAfter="tomorrow"')) },
  // IRT
  { file: 'invalid/SAML_IRT_MISMATCH.xml', code: 'SAML_IRT_MISMATCH', build: () => swap(validResponse(), ` InResponseTo="${REQUEST_ID}" xmlns:samlp`, ' InResponseTo="id-0000000000000000000000000000000000000000" xmlns:samlp') },
  { file: 'invalid/SAML_IRT_CONFIRMATION_MISMATCH.xml', code: 'SAML_IRT_CONFIRMATION_MISMATCH', build: () => editedThenSigned((x) => swap(x, new RegExp(`(<SubjectConfirmationData [^>]*InResponseTo=")${REQUEST_ID}"`), '$1id-1111111111111111111111111111111111111111"')) },
  { file: 'invalid/SAML_IRT_UNSOLICITED.xml', code: 'SAML_IRT_UNSOLICITED', build: () => validResponse({ inResponseTo: undefined }) },
  // NAMEID
  { file: 'invalid/SAML_NAMEID_MISSING.xml', code: 'SAML_NAMEID_MISSING', build: () => validResponse({ nameId: null }) },
  { file: 'invalid/SAML_NAMEID_NO_BEARER_CONFIRMATION.xml', code: 'SAML_NAMEID_NO_BEARER_CONFIRMATION', build: () => editedThenSigned((x) => swap(x, 'urn:oasis:names:tc:SAML:2.0:cm:bearer', 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key')) },
];
