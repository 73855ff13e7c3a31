// The analysis engine on fixtures, real Entra documents, every input form, metadata, AuthnRequests and the peer vectors.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import {
  analyze, analyzeResponse, authnRequestFromUrl, decodeAuthnRequest, lintAuthnRequest, metadataFindings, parseMetadata, pemToBase64,
  CATALOGUE, FINDING_CODES, MetadataError, type AnalyzeOptions,
} from '../src/saml/index.js';
import { decodeBase64Strict, scanFormFields } from '../src/saml/decode.js';
import { FIXTURE_PARAMS, INVALID_CASES, KEYS, VALID_CASES, fixtureMetadata, validResponse } from '../scripts/fixture-cases.js';
import { corpusPath, corpusSkip } from './corpus.js';

const fx = (p: string) => new URL('../fixtures/' + p, import.meta.url);
const md = parseMetadata(readFileSync(fx('metadata/test-idp.xml'), 'utf8'));
const opts = (extra: Partial<AnalyzeOptions> = {}): AnalyzeOptions => ({ metadata: md, ...FIXTURE_PARAMS, ...extra });
const SAMPLES = corpusPath('samples/entra/');
const sample = (f: string) => readFileSync(SAMPLES + f);

t.test('fixtures: each valid fixture is accepted and each invalid one reports the code it is named after', async (tt) => {
  for (const f of readdirSync(fx('responses/valid'))) {
    const r = await analyzeResponse(readFileSync(fx('responses/valid/' + f)), opts());
    tt.equal(r.verdict, 'accept', `valid/${f} accepted (${r.findings.map((x) => x.code).join(',')})`);
    tt.equal(r.subject?.nameId, 'alice@contoso.example', `valid/${f} names alice`);
  }
  const files = readdirSync(fx('responses/invalid'));
  for (const f of files) {
    const code = f.split('.')[0];
    tt.ok(code in CATALOGUE, `${f} is named after a catalogue code`);
    const r = await analyzeResponse(readFileSync(fx('responses/invalid/' + f)), opts());
    tt.equal(r.verdict, 'reject', `invalid/${f} rejected`);
    tt.ok(r.findings.some((x) => x.code === code), `invalid/${f} reports ${code} (got ${r.findings.map((x) => x.code).join(',')})`);
  }
  // every error-severity code that `check` can reach from one message has a fixture (the rest are tested elsewhere)
  const elsewhere = new Set([
    'SAML_DECODE_TOO_LARGE', 'SAML_DECODE_INFLATE_FAILED', 'SAML_SIG_CERT_NOT_YET_VALID', 'SAML_META_NO_SIGNING_CERT', 'SAML_META_NO_REDIRECT_SSO',
    'SAML_REPLAY_DETECTED', 'SAML_FLEET_SECOND_OPINION_REJECTS', 'SAML_FLEET_AUTHN_ISSUER_MISMATCH', 'SAML_FLEET_AUTHN_ACS_MISMATCH',
    'SAML_FLEET_ACCOUNT_INVALID', 'SAML_FLEET_ACCOUNT_DISABLED', 'SAML_FLEET_ORG_DISABLED', 'SAML_FLEET_ERROR_UNEXPLAINED',
    // preflight's findings about Fleet's settings and the metadata, not about a message
    'SAML_META_UNREACHABLE', 'SAML_META_UNPARSEABLE', 'SAML_META_NO_VALID_CERT', 'SAML_FLEET_ENTITY_ID_MISSING',
    'SAML_FLEET_SERVER_URL_MISSING', 'SAML_FLEET_METADATA_MISSING', 'SAML_FLEET_LOGIN_FAILED',
    // how Fleet reads the callback request (the proxy, src/fleet/callback-request.ts), and logins seen by the proxy
    'SAML_FLEET_FORM_REFUSED', 'SAML_FLEET_BODY_TOO_LARGE', 'SAML_IDP_NO_RESPONSE', 'SAML_IDP_AADSTS_REPORTED',
    // Entra's side read from Graph (test/preflight-entra.test.ts, test/proxy-entra.test.ts)
    'SAML_ENTRA_APP_NOT_FOUND', 'SAML_ENTRA_IDENTIFIER_MISMATCH', 'SAML_ENTRA_REPLY_URL_MISSING', 'SAML_ENTRA_SSO_MODE_NOT_SAML',
    'SAML_ENTRA_CERT_NOT_IN_METADATA', 'SAML_ENTRA_CERT_EXPIRED', 'SAML_ENTRA_USER_NOT_FOUND', 'SAML_ENTRA_USER_DISABLED',
    'SAML_ENTRA_USER_NOT_ASSIGNED', 'SAML_ENTRA_SIGNIN_FAILED',
  ]);
  const named = new Set(files.map((f) => f.split('.')[0]));
  for (const code of FINDING_CODES.filter((c) => CATALOGUE[c].severity === 'error' && !elsewhere.has(c))) tt.ok(named.has(code), `fixture for ${code}`);
  // and each code without a fixture is asserted by name in some other test file
  const testDir = new URL('./', import.meta.url);
  const own = readFileSync(new URL(import.meta.url), 'utf8');
  const withoutThisList = own.slice(0, own.indexOf('const elsewhere')) + own.slice(own.indexOf('// and each code without a fixture'));
  const others = readdirSync(testDir).filter((f) => f.endsWith('.ts') && f !== 'saml-engine.test.ts').map((f) => readFileSync(new URL(f, testDir), 'utf8')).join('\n') + withoutThisList;
  for (const code of elsewhere) tt.ok(others.includes(`'${code}'`) || others.includes(`"${code}"`) || others.includes(code + ':'), `${code} is asserted in another test`);
});

t.test('fixtures on disk are exactly what scripts/make-fixtures.ts produces (deterministic)', async (tt) => {
  tt.equal(readFileSync(fx('metadata/test-idp.xml'), 'utf8'), fixtureMetadata());
  for (const c of [...VALID_CASES, ...INVALID_CASES]) tt.equal(readFileSync(fx('responses/' + c.file), 'utf8'), c.build(), c.file);
});

t.test('real Entra: the tercen response is accepted at a pinned clock with its entity ID and ACS URL', { skip: corpusSkip }, async (tt) => {
  const m = parseMetadata(sample('tercen-synthetic-metadata.xml').toString());
  const acs = 'https://devpg.tercen.com/_service/sso/auth/saml';
  const r = await analyzeResponse(sample('entra-response-2022-tercen.xml'), { metadata: m, entityId: acs, acsUrl: acs, now: new Date('2022-02-23T17:49:19.872Z'), requestId: 'id6491e192-e2d9-4970-ab03-e38ffda6e033' });
  tt.equal(r.verdict, 'accept');
  tt.equal(r.signature?.signed, 'assertion');
  tt.equal(r.signature?.algorithm, 'rsa-sha256');
  tt.equal(r.subject?.format, 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
  // 90 s later Fleet refuses it
  const late = analyze(sample('entra-response-2022-tercen.xml'), { metadata: m, entityId: acs, acsUrl: acs, now: new Date('2022-02-23T17:50:49.873Z'), requestId: 'id6491e192-e2d9-4970-ab03-e38ffda6e033' });
  tt.ok(late.findings.some((f) => f.code === 'SAML_TIME_ISSUE_INSTANT_STALE'));
});

t.test('real Entra: the wireapp response is accepted and its persistent NameID explained', { skip: corpusSkip }, async (tt) => {
  const m = parseMetadata(sample('entra-metadata-2018-tenant-wireapp.xml').toString());
  tt.equal(m.certs.length, 2);
  const acs = 'https://zb2.zerobuzz.net:60443/authresp';
  const p = { metadata: m, entityId: acs, acsUrl: acs, now: new Date('2018-04-14T09:58:59.457Z'), requestId: 'idcf2299ac551b42f1aa9b88804ed308c2' };
  const r = await analyzeResponse(sample('entra-response-2018-wireapp.xml'), p);
  tt.equal(r.verdict, 'accept');
  tt.ok(r.findings.some((f) => f.code === 'SAML_NAMEID_PERSISTENT' && f.severity === 'warning'));
  const bad = await analyzeResponse(sample('entra-response-2018-wireapp-badsig.xml'), p);
  tt.equal(bad.verdict, 'reject');
  tt.ok(bad.findings.some((f) => f.code === 'SAML_SIG_DIGEST_MISMATCH'));
  // the wrong entity ID: Entra's Identifier ≠ Fleet's entity_id
  const wrong = await analyzeResponse(sample('entra-response-2018-wireapp.xml'), { ...p, entityId: 'fleet', acsUrl: 'https://fleet.example.com/api/v1/fleet/sso/callback' });
  tt.same(['SAML_AUDIENCE_MISMATCH', 'SAML_DEST_MISMATCH', 'SAML_DEST_RECIPIENT_MISMATCH'].filter((c) => wrong.findings.some((f) => f.code === c)).length, 3);
});

t.test('real Entra: the pretty-printed response fails as changed after signing; the re-signed one is not trusted', { skip: corpusSkip }, async (tt) => {
  const m = parseMetadata(sample('masontorres-synthetic-metadata.xml').toString());
  const r = analyze(sample('entra-response-2021-masontorres-prettified.xml'), { metadata: m, entityId: 'x', acsUrl: 'https://aadsaml.coprtech4.com', now: new Date('2021-03-11T21:22:34Z'), allowIdpInitiated: true });
  tt.ok(r.findings.some((f) => f.code === 'SAML_SIG_DIGEST_MISMATCH'));
  tt.ok(r.findings.some((f) => f.code === 'SAML_AUDIENCE_SPN_PREFIX'));
  tt.ok(r.findings.some((f) => f.code === 'SAML_IRT_IDP_INITIATED'));
  const resigned = analyze(sample('entra-response-2021-perl-netsaml2-issue49-resigned.xml'), { metadata: m, entityId: 'x', acsUrl: 'x', now: new Date('2021-11-25T14:17:27Z') });
  tt.ok(resigned.findings.some((f) => f.code === 'SAML_SIG_UNTRUSTED_KEY'));
});

t.test('metadata: every real Entra metadata file parses (BOM, one line, RoleDescriptors skipped)', { skip: corpusSkip }, async (tt) => {
  for (const f of readdirSync(SAMPLES).filter((n) => n.includes('metadata'))) {
    const m = parseMetadata(sample(f).toString());
    tt.ok(m.certs.length >= 1, `${f}: ${m.certs.length} signing certs`);
    tt.match(m.entityId, /^https:\/\/sts\.windows\.net\/|^https:\/\//, `${f}: entityID`);
    tt.ok(m.certs.every((c) => /^[0-9A-F]{40}$/.test(c.thumbprintSha1) && /^[0-9a-f]{64}$/.test(c.sha256)), `${f}: thumbprints`);
  }
  const app = parseMetadata(sample('entra-metadata-app-2024-ggtristams.xml').toString());
  tt.equal(app.certs.length, 2, 'rollover: two app certs');
  tt.ok(app.hadBom, 'UTF-8 BOM noticed and skipped');
  tt.ok(app.certs.every((c) => c.subject.includes('Microsoft Azure Federated SSO Certificate')));
  tt.match(app.redirectSsoUrl, /\/saml2$/);
});

t.test('metadata: non-metadata and DTDs refused, a missing Redirect SSO and expiring certs reported', async (tt) => {
  tt.throws(() => parseMetadata('<x/>'), MetadataError);
  tt.throws(() => parseMetadata('<!DOCTYPE x><x/>'), MetadataError);
  tt.throws(() => parseMetadata('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:SPSSODescriptor/></md:EntityDescriptor>'), MetadataError);
  const noRedirect = parseMetadata(fixtureMetadata().replace(/<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"[^>]*\/>/, ''));
  tt.ok(metadataFindings(noRedirect, new Date('2026-01-15T00:00:00Z')).some((f) => f.code === 'SAML_META_NO_REDIRECT_SSO'));
  const soon = metadataFindings(md, new Date('2034-12-20T00:00:00Z')).map((f) => f.code);
  tt.ok(soon.includes('SAML_META_CERT_EXPIRING') && soon.includes('SAML_META_CERT_EXPIRED'));
});

t.test('inputs: base64, form body, HAR, raw XML all reach the same verdict; HAR without callback is named', async (tt) => {
  const xml = validResponse();
  const b64 = Buffer.from(xml).toString('base64');
  const wrapped = b64.replace(/(.{76})/g, '$1\r\n');
  const har = JSON.stringify({ log: { entries: [
    { request: { method: 'POST', url: 'https://fleet.example.com/api/v1/fleet/sso', postData: { text: '{}' } } },
    { request: { method: 'POST', url: 'https://fleet.example.com/api/v1/fleet/sso/callback', postData: { mimeType: 'application/x-www-form-urlencoded', params: [{ name: 'SAMLResponse', value: encodeURIComponent(b64) }, { name: 'RelayState', value: '/hosts' }] } } },
  ] } });
  for (const [kind, input] of [['xml', xml], ['base64', b64], ['base64', wrapped], ['form', `SAMLResponse=${encodeURIComponent(b64)}&RelayState=%2Fq`], ['har', har]] as const) {
    const r = await analyzeResponse(input, opts());
    tt.equal(r.verdict, 'accept', `${kind} accepted`);
    tt.equal(r.inputKind, kind);
  }
  tt.equal((await analyzeResponse(har, opts())).relayState, '/hosts');
  tt.equal(analyze('', opts()).findings[0].code, 'SAML_DECODE_EMPTY');
  tt.equal(analyze('{"log":{"entries":[]}}', opts()).findings[0].code, 'SAML_DECODE_HAR_NO_CALLBACK');
  tt.equal(analyze('{not json', opts()).findings[0].code, 'SAML_DECODE_NOT_XML');
  tt.equal(analyze(Buffer.from([0x3c, 0xff, 0xfe, 0x3e]), opts()).findings[0].code, 'SAML_XML_MALFORMED');
});

t.test('inputs: the linear form scan and the base64 fast path give exactly what URLSearchParams and the strict decoder give', async (tt) => {
  // reference: the slow forms the fast paths replace (base64 as Go's StdEncoding reads it: CR and LF skipped, no other whitespace)
  const slowB64 = (v: string) => {
    const c = v.replace(/[\r\n]+/g, '');
    if (/[\t ]/.test(c)) return null;
    return c.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(c) ? null : Buffer.from(c, 'base64');
  };
  const pieces = ['SAMLResponse', 'RelayState', 'SAML%52esponse', 'SAMLResponse+', 'Relay%53tate', '=', '&', '&&', '?', '%', '%2', '%2B', '%2b', '%3D',
    '%2F', '%zz', '%C3%A9', '%C3', '%FF', '+', ' ', 'é', '\uD83D\uDE00', '\uD800', 'abc', 'QUJD', '==', 'x=y', '\r\n', '%E2%82%AC'];
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  let fast = 0;
  for (let i = 0; i < 4000; i++) {
    let body = '';
    for (let k = rnd(10); k >= 0; k--) body += pieces[rnd(pieces.length)];
    const ref = new URLSearchParams(body);
    const got = scanFormFields(body);
    if (got) {
      fast++;
      if (JSON.stringify(got) !== JSON.stringify({ values: ref.getAll('SAMLResponse'), relay: ref.get('RelayState') })) tt.fail(`form scan differs on ${JSON.stringify(body)}`);
    }
    const b64 = body.replace(/[^A-Za-z0-9+/=\r\n ]/g, '');
    const a = decodeBase64Strict(b64);
    const b = slowB64(b64);
    if ((a === null) !== (b === null) || (a && b && !a.equals(b))) tt.fail(`base64 differs on ${JSON.stringify(b64)}`);
  }
  tt.ok(fast > 2000, `most generated bodies take the fast path (${fast}/4000), so the comparison means something`);
  tt.equal(scanFormFields('SAMLResponse=%zz'), null, 'a malformed escape is left to URLSearchParams');
  tt.equal(scanFormFields('SAMLResponse=\uD800'), null, 'a lone surrogate is left to URLSearchParams');
  tt.same(scanFormFields('?SAMLResponse=a%2Bb+c&SAMLResponse=&RelayState=1&RelayState=2'), { values: ['a+b c', ''], relay: '1' });
  // the slow path still judges what the fast one declines
  tt.equal(analyze('SAMLResponse=%zz&SAMLResponse=x', opts()).findings[0].code, 'SAML_DECODE_FORM_DUPLICATE_FIELD');
});

t.test('AuthnRequest: Fleet-shaped Redirect request decoded and linted; hostile ones refused', async (tt) => {
  const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id-0123456789abcdef0123456789abcdef01234567" Version="2.0" ProviderName="Fleet" IssueInstant="2026-01-15T12:00:00Z" Destination="https://login.microsoftonline.example/${'6c3d8a2e-4b1f-4e2a-9d7c-1f0e5b3a2c4d'}/saml2" AssertionConsumerServiceURL="https://fleet.example.com/api/v1/fleet/sso/callback" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>fleet</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" AllowCreate="true"/></samlp:AuthnRequest>`;
  const value = deflateRawSync(Buffer.from(xml)).toString('base64');
  const url = `${md.redirectSsoUrl}?SAMLRequest=${encodeURIComponent(value)}`;
  const { request, findings } = authnRequestFromUrl(url);
  tt.same(findings, []);
  tt.equal(request?.id, 'id-0123456789abcdef0123456789abcdef01234567');
  tt.equal(request?.issuer, 'fleet');
  tt.equal(request?.providerName, 'Fleet');
  tt.same(lintAuthnRequest(request!, { entityId: 'fleet', acsUrl: FIXTURE_PARAMS.acsUrl, metadata: md }), []);
  const lint = lintAuthnRequest(request!, { entityId: 'https://fleet.example.com', acsUrl: 'https://other.example.com/api/v1/fleet/sso/callback', metadata: md }).map((f) => f.code);
  tt.same(lint, ['SAML_FLEET_AUTHN_ISSUER_MISMATCH', 'SAML_FLEET_AUTHN_ACS_MISMATCH']);
  const bomb = deflateRawSync(Buffer.alloc(10 * 1024 * 1024, 0x20)).toString('base64');
  tt.equal(decodeAuthnRequest(bomb, 'redirect').findings[0].code, 'SAML_DECODE_TOO_LARGE', 'DEFLATE bomb bounded');
  tt.equal(decodeAuthnRequest('not*base64', 'redirect').findings[0].code, 'SAML_DECODE_BASE64_INVALID');
  tt.equal(decodeAuthnRequest(Buffer.from('hello').toString('base64'), 'redirect').findings[0].code, 'SAML_DECODE_INFLATE_FAILED');
  tt.equal(decodeAuthnRequest(Buffer.from('<!DOCTYPE x><x/>').toString('base64'), 'post').findings[0].code, 'SAML_XML_DTD_FORBIDDEN');
});

t.test('options: IdP-initiated allowed, skew configurable, extra audiences (server_url) accepted', async (tt) => {
  const unsolicited = validResponse({ inResponseTo: undefined });
  tt.equal(analyze(unsolicited, opts({ requestId: undefined })).verdict, 'reject');
  const allowed = await analyzeResponse(unsolicited, opts({ requestId: undefined, allowIdpInitiated: true }));
  tt.equal(allowed.verdict, 'accept');
  tt.ok(allowed.findings.some((f) => f.code === 'SAML_IRT_IDP_INITIATED'));
  const noRid = analyze(validResponse(), opts({ requestId: undefined }));
  tt.equal(noRid.verdict, 'accept');
  tt.ok(noRid.findings.some((f) => f.code === 'SAML_IRT_NOT_MATCHED'));
  const serverUrlAudience = validResponse({ audience: 'https://fleet.example.com' });
  tt.equal(analyze(serverUrlAudience, opts()).verdict, 'reject');
  tt.equal((await analyzeResponse(serverUrlAudience, opts({ extraAudiences: ['https://fleet.example.com'] }))).verdict, 'accept');
  // Conditions window: NotOnOrAfter = T0+60 min; 61 min later is inside the 180 s skew only for Conditions, not IssueInstant
  const later = analyze(validResponse(), opts({ now: new Date(FIXTURE_PARAMS.now.getTime() + 62 * 60_000), maxIssueInstantAgeSeconds: 1e9 }));
  tt.notOk(later.findings.some((f) => f.code === 'SAML_TIME_EXPIRED'), 'within skew');
  const tight = analyze(validResponse(), opts({ now: new Date(FIXTURE_PARAMS.now.getTime() + 62 * 60_000), maxIssueInstantAgeSeconds: 1e9, clockSkewSeconds: 0 }));
  tt.ok(tight.findings.some((f) => f.code === 'SAML_TIME_EXPIRED'), 'skew 0 expires it');
});

t.test('second opinion: node-saml configured as Fleet agrees on accepted responses', async (tt) => {
  const { nodeSamlOpinion } = await import('../src/saml/second-opinion.js');
  tt.same(await nodeSamlOpinion(validResponse(), opts(), 'fleet'), { accepted: true, reason: null });
  // the stricter side wins: an engine accept that node-saml refuses becomes a reject with the disagreement named
  const { withSecondOpinion } = await import('../src/saml/second-opinion.js');
  const accepted = analyze(validResponse(), opts());
  tt.equal(accepted.verdict, 'accept');
  const otherKeys = parseMetadata(fixtureMetadata().replace(/<X509Certificate>[^<]+<\/X509Certificate>/g, `<X509Certificate>${pemToBase64(KEYS.attacker.certPem)}</X509Certificate>`));
  const overruled = await withSecondOpinion(accepted, opts({ metadata: otherKeys }));
  tt.equal(overruled.verdict, 'reject');
  tt.equal(overruled.findings[0].code, 'SAML_FLEET_SECOND_OPINION_REJECTS');
  tt.match(overruled.findings[0].evidence?.nodeSaml, /signature/i, 'node-saml\'s reason kept as evidence');
  const other = await nodeSamlOpinion(validResponse(), opts(), 'https://not-fleet.example.com');
  tt.equal(other.accepted, false, 'node-saml rejects another audience');
  tt.ok(other.reason);
});

t.test('peer vectors (shared/vectors): every verdict right, in process', { skip: corpusSkip }, async (tt) => {
  const base = pathToFileURL(corpusPath('vectors/peer-libraries/'));
  const manifest = JSON.parse(readFileSync(new URL('manifest.json', base), 'utf8')) as Array<{ id: string; file: string; metadata: string; entityId: string; acsUrl: string; now: string; requestId: string | null; allowIdpInitiated: boolean; expect: string }>;
  tt.ok(manifest.length >= 73);
  let right = 0;
  for (const v of manifest) {
    const m = parseMetadata(readFileSync(new URL(v.metadata, base), 'utf8'));
    const r = await analyzeResponse(readFileSync(new URL(v.file, base)), { metadata: m, entityId: v.entityId, acsUrl: v.acsUrl, now: new Date(v.now), requestId: v.requestId ?? undefined, allowIdpInitiated: v.allowIdpInitiated });
    if (r.verdict === v.expect) right++; else tt.fail(`${v.id}: expected ${v.expect}, got ${r.verdict} (${r.findings.map((f) => f.code).join(',')})`);
  }
  tt.equal(right, manifest.length, `peer vectors: ${right}/${manifest.length} verdicts right`);
});
