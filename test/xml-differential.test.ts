// samlscope's prediction of Fleet (report.fleet) against Fleet's own Go SAML stack (test/go/crewjamread) on XML-layer mutations of signed responses.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseSpec } from '../scripts/fixture-cases.js';
import { validateFleetResponse } from '../src/fleet-sim/validate.js';
import { parseSimMetadata } from '../src/fleet-sim/metadata.js';
import { buildEntraResponse } from '../src/idp/response.js';
import { fixtureMetadata } from '../scripts/fixture-cases.js';
import { analyze, analyzeResponse, type AnalysisReport, type FindingCode } from '../src/saml/index.js';
import { startGoOracle, type GoVerdict } from './go-oracle.js';
import { LS, NEL, OPTS, SEED, disagreement, goCase, prefixAssertion, randomCase, root, spliceSign, type Case } from './xml-mutations.js';

const RANDOM_CASES = 500;

const oracle = startGoOracle();
t.teardown(() => oracle.close());

/** Runs cases through both and returns [report, go verdict] pairs. */
async function judge(cases: Case[]): Promise<Array<[Case, AnalysisReport, GoVerdict]>> {
  const goes = await oracle.judge(cases.map((c) => goCase(c.id, c.xml)));
  return cases.map((c, i) => [c, analyze(c.xml, OPTS), goes[i]]);
}

async function one(xml: string): Promise<{ r: AnalysisReport; go: GoVerdict }> {
  const [[, r, go]] = await judge([{ id: 'one', xml, steps: [] }]);
  return { r, go };
}

const errorCodes = (r: AnalysisReport): FindingCode[] => r.findings.filter((f) => f.severity === 'error').map((f) => f.code);
const signedAssertion = (over: Parameters<typeof baseSpec>[0] = {}, edit: (x: string) => string = (x) => x) => spliceSign(edit(buildEntraResponse(baseSpec({ ...over, signing: 'none' }))), 'Assertion');

function xmlsecVerifies(xml: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'samlscope-xmlsec-'));
  try {
    const f = join(dir, 'r.xml');
    writeFileSync(f, xml);
    execFileSync('/usr/bin/xmlsec1', ['--verify', '--pubkey-cert-pem', join(root, 'certs', 'test-only-idp-signing.cert.pem'), '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion', f], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- named regressions, one per class

t.test('xml differential: U+2028 in NameID signs in (samlscope, Go and xmlsec1 agree)', async (tt) => {
  const xml = signedAssertion({ nameId: `ali${LS}ce@contoso.example`, displayName: `Alice${LS}Example` });
  const { r, go } = await one(xml);
  tt.equal(go.ok, true, 'Go verifies it');
  tt.ok(xmlsecVerifies(xml), 'xmlsec1 verifies it');
  tt.notOk(errorCodes(r).includes('SAML_SIG_DIGEST_MISMATCH'), 'no digest mismatch');
  tt.equal(r.fleet.verdict, 'accept');
  tt.equal(r.fleet.nameId, `ali${LS}ce@contoso.example`, 'Fleet signs in the name as written');
  tt.equal(go.nameId, r.fleet.nameId);
  tt.equal(r.subject?.nameId, `ali${LS}ce@contoso.example`, 'samlscope reads the same NameID');
  const whole = await analyzeResponse(xml, OPTS);
  tt.equal(whole.verdict, 'accept', 'node-saml\'s second opinion agrees (it is given the XML 1.0 view too)');
});

t.test('xml differential: fleet-sim, the Fleet stand-in, accepts a correctly signed U+2028 name as Fleet does', async (tt) => {
  // node-saml inside fleet-sim reads the wall clock for Conditions, so this response is issued now
  const now = new Date();
  const xml = signedAssertion({ nameId: `ali${LS}ce@contoso.example`, now, authnInstant: now });
  const r = await validateFleetResponse({
    samlResponseB64: Buffer.from(xml).toString('base64'), metadata: parseSimMetadata(fixtureMetadata()), entityId: OPTS.entityId, acsUrl: OPTS.acsUrl,
    audiences: [OPTS.entityId], requestId: OPTS.requestId, allowIdpInitiated: false, now,
  });
  // (the name it reads back comes from node-saml's re-serialised assertion, where xmldom has made U+2028 a LF)
  tt.equal(r.ok, true, JSON.stringify(r).slice(0, 200));
});

t.test('xml differential: U+2028 in the displayname is accepted by samlscope', async (tt) => {
  const xml = signedAssertion({ displayName: `Alice${LS}Example` });
  const { r, go } = await one(xml);
  tt.equal(go.ok, true);
  tt.ok(xmlsecVerifies(xml), 'xmlsec1 verifies it');
  tt.equal(r.verdict, 'accept', 'samlscope accepts');
  tt.same(r.assertion?.attributes['http://schemas.microsoft.com/identity/claims/displayname'], [`Alice${LS}Example`]);
});

t.test('xml differential: the mock IdP signs U+0085 and U+2028 as they are (xmlsec1 verifies)', async (tt) => {
  const xml = buildEntraResponse(baseSpec({ displayName: `A${NEL}B${LS}C` }));
  tt.ok(xml.includes(`A${NEL}B${LS}C`), 'the characters survive signing');
  tt.ok(xmlsecVerifies(xml));
  const { r, go } = await one(xml);
  tt.equal(go.ok, true);
  tt.equal(r.verdict, 'accept');
});

t.test('xml differential: a signature over LF does not cover U+2028 (Go, xmlsec1 and samlscope refuse)', async (tt) => {
  const xml = signedAssertion({ displayName: 'Alice\nExample' }).replace('Alice\nExample', `Alice${LS}Example`);
  const { r, go } = await one(xml);
  tt.equal(go.ok, false);
  tt.notOk(xmlsecVerifies(xml));
  tt.equal(r.fleet.verdict, 'reject');
  tt.ok(errorCodes(r).includes('SAML_SIG_DIGEST_MISMATCH'));
});

t.test('xml differential: duplicate NameID: Fleet reads the last', async (tt) => {
  const xml = signedAssertion({}, (x) => x.replace(/(<NameID[^>]*>[^<]*<\/NameID>)/, '$1<NameID>mallory@evil.example</NameID>'));
  const { r, go } = await one(xml);
  tt.equal(go.nameId, 'mallory@evil.example');
  tt.equal(r.fleet.verdict, 'accept');
  tt.equal(r.fleet.nameId, 'mallory@evil.example', 'the prediction names the user Fleet signs in');
  tt.equal(r.verdict, 'reject', 'samlscope refuses the ambiguity');
  tt.ok(errorCodes(r).includes('SAML_XML_DUPLICATE_ELEMENT'));
});

t.test('xml differential: duplicate Subject: Fleet reads the last NameID', async (tt) => {
  const xml = signedAssertion({}, (x) => x.replace(/(<Subject>[\s\S]*?<\/Subject>)/, (s) => s + s.replace('alice@contoso.example', 'mallory@evil.example')));
  const { r, go } = await one(xml);
  tt.equal(go.nameId, 'mallory@evil.example');
  tt.equal(r.fleet.nameId, 'mallory@evil.example');
  tt.ok(errorCodes(r).includes('SAML_XML_DUPLICATE_ELEMENT'));
});

t.test('xml differential: duplicate Assertion Issuer: Fleet compares the last one', async (tt) => {
  const xml = signedAssertion({}, (x) => x.replace(/(<Assertion[^>]*><Issuer>[^<]*<\/Issuer>)/, '$1<Issuer>https://evil.example/</Issuer>'));
  const { r, go } = await one(xml);
  tt.equal(go.ok, false);
  tt.equal(r.fleet.verdict, 'reject');
  tt.ok(errorCodes(r).includes('SAML_ISSUER_ASSERTION_MISMATCH'), 'the reason Fleet refuses is a finding');
});

t.test('xml differential: whitespace around the Issuer: Fleet compares exactly', async (tt) => {
  const xml = signedAssertion({}, (x) => x.replace(/(<Assertion[^>]*><Issuer>)/, '$1 '));
  const { r, go } = await one(xml);
  tt.equal(go.ok, false);
  tt.equal(r.verdict, 'reject');
  tt.ok(errorCodes(r).includes('SAML_ISSUER_ASSERTION_MISMATCH'));
});

t.test('xml differential: version="1.1" and XML-1.0-illegal characters are not XML to Fleet', async (tt) => {
  const good = signedAssertion();
  for (const xml of ['<?xml version="1.1"?>' + good, good.replace('Alice Example', 'Alice\u0001'), good.replace('Alice Example', 'Alice&#1;'), good.replace('Alice Example', 'Alice&#xFFFE;'), good.replace('SessionIndex="', 'SessionIndex="&#x1F;')]) {
    const { r, go } = await one(xml);
    tt.equal(go.ok, false);
    tt.equal(r.fleet.verdict, 'reject');
    tt.ok(errorCodes(r).includes('SAML_XML_MALFORMED'));
  }
});

t.test('xml differential: the encoding label: Fleet reads the bytes as UTF-8 whatever it says', async (tt) => {
  for (const enc of ['UTF-8', 'us-ascii', 'utf8', 'iso-8859-1']) {
    const { r, go } = await one(`<?xml version="1.0" encoding="${enc}"?>` + signedAssertion());
    tt.equal(go.ok, true, `Go reads ${enc}`);
    tt.equal(r.fleet.verdict, 'accept', enc);
    tt.equal(r.verdict === 'reject', enc === 'iso-8859-1', `samlscope refuses only a label that does not match the bytes (${enc})`);
  }
});

t.test('xml differential: empty CDATA: Fleet refuses (SAML_FLEET_QUIRK_EMPTY_CDATA)', async (tt) => {
  const xml = signedAssertion({}, (x) => x.replace('Alice Example', 'Alice<![CDATA[]]> Example'));
  const { r, go } = await one(xml);
  tt.equal(go.ok, false);
  tt.equal(go.stage, 'roundtrip');
  tt.equal(r.fleet.verdict, 'reject');
  tt.ok(errorCodes(r).includes('SAML_FLEET_QUIRK_EMPTY_CDATA'));
});

t.test('xml differential: a prefix bound to two namespaces: Fleet refuses (SAML_FLEET_QUIRK_PREFIX_REBINDING)', async (tt) => {
  // the binding crewjam keeps is the one of the last element in breadth-first order: here the deepest
  const xml = signedAssertion({}, (x) => (prefixAssertion(x, 'saml') ?? x).replace(/(<\/saml:AttributeValue>)/, '<saml:x xmlns:saml="urn:other"/>$1'));
  const { r, go } = await one(xml);
  tt.equal(go.ok, false);
  tt.equal(r.fleet.verdict, 'reject');
  tt.ok(errorCodes(r).includes('SAML_FLEET_QUIRK_PREFIX_REBINDING'));
  const plain = signedAssertion({}, (x) => prefixAssertion(x, 'saml') ?? x);
  const ok = await one(plain);
  tt.equal(ok.go.ok, true, 'a consistently prefixed assertion is fine');
  tt.equal(ok.r.verdict, 'accept');
});

t.test('xml differential: SubjectConfirmation without SubjectConfirmationData: crewjam panics, Fleet refuses', async (tt) => {
  const xml = signedAssertion({}, (x) => x.replace(/<SubjectConfirmationData[^>]*\/>/, ''));
  const { r, go } = await one(xml);
  tt.equal(go.panic, true);
  tt.equal(r.fleet.verdict, 'reject');
  tt.ok(errorCodes(r).includes('SAML_FLEET_QUIRK_CONFIRMATION_WITHOUT_DATA'));
});

t.test('xml differential: comments and PIs in signed text: Fleet accepts, samlscope refuses', async (tt) => {
  // signed over "alice@contoso.example.evil"; the comment added afterwards leaves the digest as it was
  const withComment = signedAssertion({ nameId: 'alice@contoso.example.evil' }).replace('>alice@contoso.example.evil<', '>alice@contoso.example<!---->.evil<');
  const c = await one(withComment);
  tt.equal(c.go.ok, true);
  tt.equal(c.go.nameId, 'alice@contoso.example.evil');
  tt.equal(c.r.fleet.nameId, 'alice@contoso.example.evil');
  tt.equal(c.r.verdict, 'reject');
  tt.ok(errorCodes(c.r).includes('SAML_XML_COMMENT_IN_SIGNED_CONTENT'));
  const withPi = signedAssertion({}, (x) => x.replace('<Subject>', '<?x y?><Subject>'));
  const p = await one(withPi);
  tt.equal(p.go.ok, true);
  tt.equal(p.r.fleet.verdict, 'accept');
  tt.equal(p.r.verdict, 'reject');
  tt.ok(errorCodes(p.r).includes('SAML_XML_PI_FORBIDDEN'));
});

t.test('xml differential: a DOCTYPE that nothing uses: Fleet reads past it, samlscope refuses', async (tt) => {
  for (const doctype of ['<!DOCTYPE Response>', '<!DOCTYPE x [<!ENTITY a "]>">]>']) {
    const { r, go } = await one(doctype + signedAssertion());
    tt.equal(go.ok, true, doctype);
    tt.equal(r.fleet.verdict, 'accept', doctype);
    tt.equal(r.verdict, 'reject');
    tt.ok(errorCodes(r).includes('SAML_XML_DTD_FORBIDDEN'));
  }
  const used = await one('<!DOCTYPE x [<!ENTITY e "alice">]>' + signedAssertion().replace('>alice@', '>&e;@'));
  tt.equal(used.go.ok, false, 'Go refuses an entity it does not define');
  tt.equal(used.r.fleet.verdict, 'reject');
});

t.test('xml differential: &#13; is signed as CR, and Fleet reads it back as LF', async (tt) => {
  const xml = signedAssertion({}, (x) => x.replace('>alice@contoso.example<', '>&#13;alice@contoso.example<'));
  const { r, go } = await one(xml);
  tt.equal(go.ok, true);
  tt.equal(go.nameId, '\nalice@contoso.example');
  tt.equal(r.fleet.nameId, '\nalice@contoso.example');
});

t.test('xml differential: xmlns="" in a signed Response: xmlsec1 verifies, Fleet refuses (SAML_FLEET_QUIRK_EMPTY_DEFAULT_NAMESPACE)', async (tt) => {
  const xml = spliceSign(buildEntraResponse(baseSpec({ signing: 'none' })).replace('<samlp:Status>', '<samlp:Extensions><x xmlns=""/></samlp:Extensions><samlp:Status>'), 'Response');
  const { r, go } = await one(xml);
  tt.equal(go.ok, false);
  tt.equal(r.fleet.verdict, 'reject');
  tt.ok(errorCodes(r).includes('SAML_FLEET_QUIRK_EMPTY_DEFAULT_NAMESPACE'));
});

t.test('xml differential: every fixture response is predicted as Go judges it', async (tt) => {
  const dir = join(root, 'fixtures', 'responses');
  const files = ['valid', 'invalid'].flatMap((d) => readdirSync(join(dir, d)).filter((f) => f.endsWith('.xml')).map((f) => join(d, f)));
  const results = await judge(files.map((f) => ({ id: f, xml: readFileSync(join(dir, f), 'utf8'), steps: [] })));
  const bad = results.map(([c, r, go]) => [c.id, disagreement(r, go)]).filter(([, d]) => d !== null);
  tt.same(bad, [], `${files.length} fixtures agree`);
});

t.test(`xml differential: ${RANDOM_CASES} seeded mutations of signed responses (seed ${SEED.toString(16)})`, async (tt) => {
  const started = process.hrtime.bigint();
  const cases = Array.from({ length: RANDOM_CASES }, (_, i) => randomCase(i));
  const results = await judge(cases);
  const bad = results.map(([c, r, go]) => ({ id: c.id, steps: c.steps, why: disagreement(r, go) })).filter((d) => d.why !== null);
  const accepted = results.filter(([, , go]) => go.ok).length;
  tt.comment(`${cases.length} cases, Go accepted ${accepted}, ${bad.length} disagreements, ${Number(process.hrtime.bigint() - started) / 1e6 | 0} ms`);
  tt.same(bad.slice(0, 10), [], 'samlscope predicts Fleet on every case');
  tt.ok(accepted > RANDOM_CASES / 5 && accepted < RANDOM_CASES, 'the campaign exercises both outcomes');
});
