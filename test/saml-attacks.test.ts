// The adversarial suite: each known attack on SAML SPs, by name, must be rejected with its finding code (hang-guarded).
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { analyzeResponse, parseMetadata, type AnalysisReport } from '../src/saml/index.js';
import { FIXTURE_PARAMS, KEYS, REQUEST_ID, editedThenSigned, validResponse } from '../scripts/fixture-cases.js';

const md = parseMetadata(readFileSync(new URL('../fixtures/metadata/test-idp.xml', import.meta.url), 'utf8'));
const run = (input: string | Buffer, extra: Record<string, unknown> = {}): Promise<AnalysisReport> => analyzeResponse(input, { metadata: md, ...FIXTURE_PARAMS, ...extra });
const codes = (r: AnalysisReport) => r.findings.map((f) => f.code);
const GUARD = { timeout: 10_000 };

const A_ID = '_1b2c3d4e-0000-4000-8000-000000000002';
const R_ID = '_1b2c3d4e-0000-4000-8000-000000000001';
const good = validResponse();
const goodResponseSigned = validResponse({ signing: 'response' });
const assertionOf = (xml: string) => xml.match(/<Assertion [\s\S]*<\/Assertion>/)![0];
const signatureOf = (xml: string) => xml.match(/<Signature [\s\S]*?<\/Signature>/)![0];
/** The original assertion turned evil: another user, another ID, no signature. */
const evilAssertion = assertionOf(good).replace(signatureOf(good), '').replace('>alice@contoso.example</NameID>', '>admin@contoso.example</NameID>').replace(`ID="${A_ID}"`, 'ID="_evil"');

async function rejects(tt: Test, input: string | Buffer, code: string, extra: Record<string, unknown> = {}): Promise<AnalysisReport> {
  const r = await run(input, extra);
  tt.equal(r.verdict, 'reject', 'rejected');
  tt.ok(codes(r).includes(code as never), `reports ${code} (got ${codes(r).join(', ')})`);
  tt.not(r.subject?.nameId, 'admin@contoso.example', 'never reports the forged identity');
  return r;
}

t.test('baseline: the untouched response is accepted (so each attack below fails for its own reason)', async (tt) => {
  const r = await run(good);
  tt.equal(r.verdict, 'accept');
  tt.equal(r.subject?.nameId, 'alice@contoso.example');
  tt.equal(r.signature?.signed, 'assertion');
});

// ---- XML Signature Wrapping (Somorovsky et al., "On Breaking SAML", XSW1-XSW8)
t.test('XSW1: signed Response moved inside the Signature of an evil unsigned Response', GUARD, async (tt) => {
  const sig = signatureOf(goodResponseSigned);
  const evil = goodResponseSigned.replace(`ID="${R_ID}"`, 'ID="_evilresponse"').replace(sig, sig.replace('</Signature>', goodResponseSigned + '</Signature>')).replace(assertionOf(goodResponseSigned), evilAssertion);
  const r = await rejects(tt, evil, 'SAML_XML_NESTED_ASSERTION');
  tt.ok(codes(r).some((c) => c === 'SAML_SIG_MALFORMED' || c === 'SAML_SIG_REFERENCE_INVALID'), 'the moved signature is refused');
});
t.test('XSW2: signed Response detached before the Signature of an evil Response', GUARD, async (tt) => {
  const sig = signatureOf(goodResponseSigned);
  const detached = goodResponseSigned.replace(sig, '');
  const evil = goodResponseSigned.replace(`ID="${R_ID}"`, 'ID="_evilresponse"').replace(assertionOf(goodResponseSigned), evilAssertion).replace(sig, detached + sig);
  const r = await rejects(tt, evil, 'SAML_SIG_REFERENCE_INVALID');
  tt.ok(codes(r).includes('SAML_XML_NESTED_ASSERTION'), 'the detached copy\'s assertion is found');
});
t.test('XSW3: evil Assertion inserted before the signed one', GUARD, async (tt) => {
  await rejects(tt, good.replace('<Assertion ', evilAssertion + '<Assertion '), 'SAML_XML_MULTIPLE_ASSERTIONS');
});
t.test('XSW4: signed Assertion wrapped inside an evil Assertion', GUARD, async (tt) => {
  const wrapped = evilAssertion.replace('</Assertion>', assertionOf(good) + '</Assertion>');
  await rejects(tt, good.replace(assertionOf(good), wrapped), 'SAML_XML_NESTED_ASSERTION');
});
t.test('XSW5: Signature moved into an evil Assertion, unsigned original copy appended', GUARD, async (tt) => {
  const sig = signatureOf(good);
  const evilSigned = evilAssertion.replace('</Issuer>', '</Issuer>' + sig);
  const copy = assertionOf(good).replace(sig, '');
  await rejects(tt, good.replace(assertionOf(good), evilSigned + copy), 'SAML_XML_MULTIPLE_ASSERTIONS');
});
t.test('XSW6: original Assertion moved inside the Signature of an evil Assertion', GUARD, async (tt) => {
  const sig = signatureOf(good);
  const evilSigned = evilAssertion.replace('</Issuer>', '</Issuer>' + sig.replace('</Signature>', assertionOf(good).replace(sig, '') + '</Signature>'));
  const r = await rejects(tt, good.replace(assertionOf(good), evilSigned), 'SAML_XML_NESTED_ASSERTION');
  tt.ok(codes(r).includes('SAML_SIG_REFERENCE_INVALID'), 'the moved signature no longer covers its parent');
});
t.test('XSW7: original Assertion hidden in an Extensions element of an evil Assertion', GUARD, async (tt) => {
  const evil = evilAssertion.replace('</Issuer>', `</Issuer><Extensions>${assertionOf(good)}</Extensions>`);
  await rejects(tt, good.replace(assertionOf(good), evil), 'SAML_XML_NESTED_ASSERTION');
});
t.test('XSW8: original Assertion hidden in a ds:Object inside the evil Assertion\'s Signature', GUARD, async (tt) => {
  const sig = signatureOf(good);
  const evilSigned = evilAssertion.replace('</Issuer>', '</Issuer>' + sig.replace('</Signature>', `<Object>${assertionOf(good).replace(sig, '')}</Object></Signature>`));
  await rejects(tt, good.replace(assertionOf(good), evilSigned), 'SAML_XML_NESTED_ASSERTION');
});

// ---- hiding places for a second assertion
t.test('assertion hidden in Advice', GUARD, async (tt) => {
  const evil = evilAssertion.replace('<AttributeStatement>', `<Advice>${assertionOf(good)}</Advice><AttributeStatement>`);
  await rejects(tt, good.replace(assertionOf(good), evil), 'SAML_XML_NESTED_ASSERTION');
});
t.test('assertion hidden in Response Extensions', GUARD, async (tt) => {
  await rejects(tt, good.replace('<samlp:Status>', `<samlp:Extensions>${evilAssertion}</samlp:Extensions><samlp:Status>`), 'SAML_XML_NESTED_ASSERTION');
});
t.test('assertion hidden in SubjectConfirmationData', GUARD, async (tt) => {
  const evil = assertionOf(good).replace(/(<SubjectConfirmationData [^>]*)\/>/, `$1>${evilAssertion}</SubjectConfirmationData>`);
  await rejects(tt, good.replace(assertionOf(good), evil), 'SAML_XML_NESTED_ASSERTION');
});
t.test('duplicate IDs: a decoy element carries the signed Assertion\'s ID', GUARD, async (tt) => {
  await rejects(tt, good.replace('<samlp:Status>', `<samlp:Extensions><Decoy ID="${A_ID}"/></samlp:Extensions><samlp:Status>`), 'SAML_XML_DUPLICATE_ID');
});
t.test('two signed assertions', GUARD, async (tt) => {
  const second = assertionOf(validResponse({ ids: { response: '_r2', assertion: '_a2' }, nameId: 'admin@contoso.example' }));
  await rejects(tt, good.replace('</samlp:Response>', second + '</samlp:Response>'), 'SAML_XML_MULTIPLE_ASSERTIONS');
});

// ---- comment injection (CVE-2018-7340 class)
t.test('comment injection in NameID: reported as the full signed value and rejected', GUARD, async (tt) => {
  const xml = editedThenSigned((x) => x.replace(/(<NameID[^>]*>)alice@contoso\.example\.evil</, '$1alice@contoso.example<!---->.evil<'), 'Assertion', { nameId: 'alice@contoso.example.evil' });
  const r = await rejects(tt, xml, 'SAML_XML_COMMENT_IN_SIGNED_CONTENT');
  tt.equal(r.subject?.nameId, 'alice@contoso.example.evil', 'identity is the whole signed value, not the text before the comment');
});

// ---- signatures and keys
t.test('unsigned response', GUARD, async (tt) => { await rejects(tt, validResponse({ signing: 'none' }), 'SAML_SIG_MISSING'); });
t.test('signature removed from a signed response', GUARD, async (tt) => { await rejects(tt, good.replace(signatureOf(good), ''), 'SAML_SIG_MISSING'); });
t.test('CVE-2024-32962: attacker key with its own cert in KeyInfo', GUARD, async (tt) => {
  await rejects(tt, validResponse({ key: KEYS.attacker, nameId: 'admin@contoso.example' }), 'SAML_SIG_UNTRUSTED_KEY');
});
t.test('attacker key with the IdP\'s cert in KeyInfo', GUARD, async (tt) => {
  const forged = validResponse({ key: { privateKeyPem: KEYS.attacker.privateKeyPem, certPem: KEYS.signing.certPem }, nameId: 'admin@contoso.example' });
  await rejects(tt, forged, 'SAML_SIG_INVALID');
});
t.test('cert cloned from the IdP\'s (same subject) with another key', GUARD, async (tt) => {
  const r = await rejects(tt, validResponse({ key: KEYS.attacker }), 'SAML_SIG_UNTRUSTED_KEY');
  tt.ok(r.findings.find((f) => f.code === 'SAML_SIG_UNTRUSTED_KEY')?.evidence?.keyInfoCertSha256, 'names the foreign cert');
});
t.test('content tampered after signing', GUARD, async (tt) => {
  await rejects(tt, good.replace('>alice@contoso.example</NameID>', '>admin@contoso.example</NameID>'), 'SAML_SIG_DIGEST_MISMATCH');
});
t.test('stale SignatureValue over a recomputed digest', GUARD, async (tt) => {
  // tamper, let an attacker key compute a correct digest, then put the IdP's old SignatureValue and cert back
  const tampered = validResponse({ key: KEYS.attacker, nameId: 'admin@contoso.example' });
  const sv = (x: string) => x.match(/<SignatureValue>([^<]+)<\/SignatureValue>/)![1];
  const cert = (x: string) => x.match(/<X509Certificate>([^<]+)<\/X509Certificate>/)![1];
  const forged = tampered.replace(sv(tampered), sv(good)).replace(cert(tampered), cert(good));
  await rejects(tt, forged, 'SAML_SIG_INVALID');
});
t.test('CVE-2025-29774: a second SignedInfo hidden in KeyInfo', GUARD, async (tt) => {
  const si = good.match(/<SignedInfo>[\s\S]*?<\/SignedInfo>/)![0];
  await rejects(tt, good.replace('</X509Data></KeyInfo>', `</X509Data><KeyName>${si}</KeyName></KeyInfo>`), 'SAML_SIG_MALFORMED');
});
t.test('CVE-2025-29775: a comment inside DigestValue', GUARD, async (tt) => {
  await rejects(tt, good.replace(/<DigestValue>([^<]{4})/, '<DigestValue>$1<!-- x -->'), 'SAML_SIG_MALFORMED');
});
t.test('HMAC algorithm confusion (public key as shared secret)', GUARD, async (tt) => {
  await rejects(tt, good.replace('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#hmac-sha1'), 'SAML_SIG_ALGORITHM_FORBIDDEN');
});
t.test('XSLT transform in the Reference', GUARD, async (tt) => {
  const xslt = '<Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="/"><xsl:value-of select="document(\'http://127.0.0.1:1/x\')"/></xsl:template></xsl:stylesheet></Transform>';
  await rejects(tt, good.replace('<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>', xslt), 'SAML_SIG_TRANSFORM_FORBIDDEN');
});
t.test('signature referencing the Assertion while sitting in the Response (wrong parent)', GUARD, async (tt) => {
  const both = validResponse({ signing: 'both' });
  await rejects(tt, both.replace(`<Reference URI="#${R_ID}">`, `<Reference URI="#${A_ID}">`), 'SAML_SIG_REFERENCE_INVALID');
});
t.test('expired signing cert still trusted by metadata (Entra keeps using it)', GUARD, async (tt) => {
  await rejects(tt, validResponse({ key: KEYS.expired }), 'SAML_SIG_CERT_EXPIRED');
});
t.test('signing cert not yet valid at the clock', GUARD, async (tt) => {
  const early = new Date('2024-12-31T23:00:00.000Z');
  const xml = validResponse({ now: new Date(early.getTime() - 1000) });
  await rejects(tt, xml, 'SAML_SIG_CERT_NOT_YET_VALID', { now: early });
});
t.test('rollover: signed by a cert the metadata copy does not hold yet', GUARD, async (tt) => {
  await rejects(tt, validResponse({ key: KEYS.rollover }), 'SAML_SIG_UNTRUSTED_KEY');
});

// ---- XML parser attacks
t.test('XXE: external entity', GUARD, async (tt) => {
  await rejects(tt, `<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + good.replace('>alice@contoso.example</NameID>', '>&xxe;</NameID>'), 'SAML_XML_DTD_FORBIDDEN');
});
t.test('billion laughs', GUARD, async (tt) => {
  const lol = '<!DOCTYPE lolz [<!ENTITY lol "lol">' + Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') + ']><lolz>&lol9;</lolz>';
  await rejects(tt, lol, 'SAML_XML_DTD_FORBIDDEN');
});
t.test('DOCTYPE parser differentials (CVE-2025-25291/25292 style)', GUARD, async (tt) => {
  const variants = [
    `<!doctype Response>` + good,
    `<!--x--><!DOCTYPE x [<!ATTLIST Assertion ID ID #IMPLIED>]>` + good,
    `<!DOCTYPE x [<!ENTITY a "]>">]>` + good,
    good.replace('<samlp:Status>', '<samlp:Status><!ENTITY a "b">'),
    `<?xml version="1.0"?>\n<!DOCTYPE x SYSTEM "http://127.0.0.1:1/x.dtd">` + good,
  ];
  for (const v of variants) await rejects(tt, v, 'SAML_XML_DTD_FORBIDDEN');
  await rejects(tt, good.replace('alice@contoso.example</NameID>', 'alice&undefined;</NameID>'), 'SAML_XML_DTD_FORBIDDEN');
});
t.test('deep nesting', GUARD, async (tt) => {
  await rejects(tt, good.replace('<samlp:Status>', `<samlp:Extensions>${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</samlp:Extensions><samlp:Status>`), 'SAML_XML_TOO_DEEP');
});
t.test('5 MB body', GUARD, async (tt) => {
  const big = Buffer.from(good.replace('<samlp:Status>', `<samlp:Extensions>${'x'.repeat(5 * 1024 * 1024)}</samlp:Extensions><samlp:Status>`)).toString('base64');
  await rejects(tt, big, 'SAML_DECODE_TOO_LARGE');
  await rejects(tt, 'SAMLResponse=' + encodeURIComponent(big), 'SAML_DECODE_TOO_LARGE');
});
t.test('invalid base64', GUARD, async (tt) => { await rejects(tt, 'PHNhbWxwOlJlc3BvbnNl=', 'SAML_DECODE_BASE64_INVALID'); await rejects(tt, 'PHNhbWxw=OlJl', 'SAML_DECODE_BASE64_INVALID'); });
t.test('base64 with junk characters', GUARD, async (tt) => {
  const b = Buffer.from(good).toString('base64');
  await rejects(tt, b.slice(0, 100) + '!' + b.slice(100), 'SAML_DECODE_BASE64_INVALID');
  await rejects(tt, b.replace(/\+/g, '-').replace(/\//g, '_'), 'SAML_DECODE_BASE64_INVALID');
});
t.test('non-XML', GUARD, async (tt) => { await rejects(tt, Buffer.from('%PDF-1.7 not saml').toString('base64'), 'SAML_DECODE_NOT_XML'); });
t.test('a deflated body in a POST', GUARD, async (tt) => { await rejects(tt, deflateRawSync(Buffer.from(good)).toString('base64'), 'SAML_DECODE_DEFLATED_IN_POST'); });
t.test('an encrypted assertion', GUARD, async (tt) => {
  await rejects(tt, readFileSync(new URL('../fixtures/responses/invalid/SAML_XML_ENCRYPTED_ASSERTION.xml', import.meta.url)), 'SAML_XML_ENCRYPTED_ASSERTION');
});
t.test('an error status with a valid signed assertion', GUARD, async (tt) => {
  const r = await rejects(tt, good.replace('urn:oasis:names:tc:SAML:2.0:status:Success', 'urn:oasis:names:tc:SAML:2.0:status:Responder'), 'SAML_STATUS_NOT_SUCCESS');
  tt.equal(r.signature?.signed, 'assertion', 'the assertion itself verified');
});
t.test('a second SAMLResponse field in the form body', GUARD, async (tt) => {
  const b = Buffer.from(good).toString('base64');
  await rejects(tt, `SAMLResponse=${encodeURIComponent(b)}&SAMLResponse=${encodeURIComponent(Buffer.from(validResponse({ nameId: 'admin@contoso.example' })).toString('base64'))}`, 'SAML_DECODE_FORM_DUPLICATE_FIELD');
});
t.test('UTF-16 charset trick in the XML declaration', GUARD, async (tt) => {
  await rejects(tt, '<?xml version="1.0" encoding="UTF-16"?>' + good, 'SAML_XML_MALFORMED');
});
t.test('replay of a used response is not check\'s job: the same bytes get the same verdict twice', GUARD, async (tt) => {
  const a = await run(good);
  const b = await run(good);
  tt.equal(a.verdict, 'accept');
  tt.same(codes(a), codes(b));
});
t.test('InResponseTo of another login (Response and SubjectConfirmationData)', GUARD, async (tt) => {
  await rejects(tt, good, 'SAML_IRT_MISMATCH', { requestId: 'id-' + 'f'.repeat(40) });
  await rejects(tt, good, 'SAML_IRT_CONFIRMATION_MISMATCH', { requestId: 'id-' + 'f'.repeat(40) });
  tt.equal((await run(good, { requestId: REQUEST_ID })).verdict, 'accept');
});
