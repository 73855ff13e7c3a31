// The `samlscope check` / `decode` contract through the real binary: exit codes, --json shape, stdin, env options, peer vectors.
import t from 'tap';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ACS_URL, ENTITY_ID, FIXED_NOW, REQUEST_ID, validResponse } from '../scripts/fixture-cases.js';
import { childEnv } from './child-env.js';
import { corpusPath, corpusSkip } from './corpus.js';

const BIN = fileURLToPath(new URL('../bin/samlscope.js', import.meta.url));
const FX = (p: string) => fileURLToPath(new URL('../fixtures/' + p, import.meta.url));
const VECTORS = corpusPath('vectors/peer-libraries/');

function run(args: string[], opts: { stdin?: Buffer | string; env?: Record<string, string> } = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: childEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => resolve({ code, out, err }));
    p.stdin.end(opts.stdin ?? '');
  });
}
const base = ['check', '--metadata', FX('metadata/test-idp.xml'), '--entity-id', ENTITY_ID, '--acs-url', ACS_URL, '--now', FIXED_NOW.toISOString(), '--request-id', REQUEST_ID];

t.test('accept: exit 0, and --json has the contract shape', async (tt) => {
  const r = await run([...base, '--json', FX('responses/valid/response.assertion-signed.xml')]);
  tt.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  tt.equal(j.verdict, 'accept');
  tt.same(j.subject, { nameId: 'alice@contoso.example', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' });
  tt.same(Object.keys(j.signature).sort(), ['algorithm', 'certSha256', 'signed']);
  tt.equal(j.signature.signed, 'assertion');
  tt.match(j.signature.certSha256, /^[0-9a-f]{64}$/);
  for (const f of j.findings) tt.same(Object.keys(f).filter((k) => k !== 'evidence').sort(), ['code', 'message', 'remedy', 'severity', 'title']);
});

t.test('reject: exit 1 with the code; readable form names verdict, code and remedy', async (tt) => {
  const r = await run([...base, '--json', FX('responses/invalid/SAML_AUDIENCE_MISMATCH.xml')]);
  tt.equal(r.code, 1);
  const j = JSON.parse(r.out);
  tt.equal(j.verdict, 'reject');
  tt.ok(j.findings.some((f: { code: string; severity: string }) => f.code === 'SAML_AUDIENCE_MISMATCH' && f.severity === 'error'));
  const text = await run([...base, FX('responses/invalid/SAML_AUDIENCE_MISMATCH.xml')]);
  tt.equal(text.code, 1);
  tt.match(text.out, /^REJECT/);
  tt.match(text.out, /SAML_AUDIENCE_MISMATCH/);
  tt.ok(text.out.split('\n').length < 40, 'fits one screen');
});

t.test('unknown signing key: the response\'s cert and every metadata cert, SHA-1 as Entra shows it, in text and --json', async (tt) => {
  const thumb = (pem: string) => new X509Certificate(readFileSync(fileURLToPath(new URL('../certs/' + pem, import.meta.url)))).fingerprint.replace(/:/g, '');
  const text = await run([...base, FX('responses/invalid/SAML_SIG_UNTRUSTED_KEY.xml')]);
  tt.equal(text.code, 1);
  tt.match(text.out, new RegExp(`response \\(Assertion Signature\\)\\s+SHA-1 ${thumb('test-only-attacker.cert.pem')}`));
  tt.match(text.out, new RegExp(`metadata \\(use signing\\)\\s+SHA-1 ${thumb('test-only-idp-signing.cert.pem')}`));
  const j = JSON.parse((await run([...base, '--json', FX('responses/invalid/SAML_SIG_UNTRUSTED_KEY.xml')])).out);
  tt.match(j.certificates.response, [{ origin: 'response', thumbprintSha1: thumb('test-only-attacker.cert.pem'), matches: false, sha256: /^[0-9a-f]{64}$/, notAfter: /Z$/ }]);
  tt.ok(j.certificates.metadata.some((c: { thumbprintSha1: string; matches: boolean }) => c.thumbprintSha1 === thumb('test-only-idp-signing.cert.pem') && !c.matches));
  const ok = JSON.parse((await run([...base, '--json', FX('responses/valid/response.assertion-signed.xml')])).out);
  tt.match(ok.certificates.response, [{ matches: true }], 'a good response\'s cert matches one in the metadata');
});

t.test('input from stdin (form body), options from SAMLSCOPE_* environment', async (tt) => {
  const form = readFileSync(FX('responses/valid/response.assertion-signed.form'));
  const r = await run(['check', '--json', '-'], { stdin: form, env: { SAMLSCOPE_METADATA: FX('metadata/test-idp.xml'), SAMLSCOPE_ENTITY_ID: ENTITY_ID, SAMLSCOPE_ACS_URL: ACS_URL, SAMLSCOPE_NOW: FIXED_NOW.toISOString(), SAMLSCOPE_REQUEST_ID: REQUEST_ID } });
  tt.equal(r.code, 0, r.err);
  tt.equal(JSON.parse(r.out).verdict, 'accept');
  const bad = await run([...base, '--json', '-'], { stdin: 'not*base64' });
  tt.equal(bad.code, 1);
  tt.equal(JSON.parse(bad.out).findings[0].code, 'SAML_DECODE_BASE64_INVALID');
});

t.test('decode --json: the summary as fields; metadata is recognised as metadata', async (tt) => {
  const r = await run(['decode', '--json', '--now', FIXED_NOW.toISOString(), FX('responses/valid/response.assertion-signed.b64')]);
  tt.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  tt.equal(j.kind, 'SAMLResponse (base64)');
  tt.equal(typeof j.summary, 'object');
  tt.notOk(Array.isArray(j.summary), 'fields, not text lines');
  tt.match(j.summary, { message: 'Response', issuer: /^https:\/\/sts\.windows\.net\//, signed: ['Assertion'], idpInitiated: false });
  tt.match(j.summary.assertions[0], { nameId: { value: 'alice@contoso.example' }, notOnOrAfter: { value: /Z$/, relative: 'in 60 min' }, audiences: [ENTITY_ID] });
  tt.match(j.summary.keyInfoCerts[0], { thumbprintSha1: /^[0-9A-F]{40}$/, sha256: /^[0-9a-f]{64}$/ });
  const md = await run(['decode', '--json', FX('metadata/test-idp.xml')]);
  tt.equal(md.code, 0, md.err);
  const m = JSON.parse(md.out);
  tt.equal(m.kind, 'IdP metadata (xml)');
  tt.match(m.summary, { message: 'EntityDescriptor', entityId: /^https:\/\/sts\.windows\.net\//, idpSsoDescriptor: true });
  tt.ok(m.summary.singleSignOnServices.some((x: { binding: string }) => x.binding.endsWith('HTTP-Redirect')));
  tt.match(m.summary.signingCerts[0], { thumbprintSha1: /^[0-9A-F]{40}$/ });
  const text = await run(['decode', FX('metadata/test-idp.xml')]);
  tt.match(text.out, /^IdP metadata \(xml\)/);
  tt.notMatch(text.out, 'SAMLResponse');
});

t.test('exit 2: every option problem at once; unreadable metadata', async (tt) => {
  const r = await run(['check', '--acs-url', 'nope', '--now', 'yesterday', '--clock-skew', '-5']);
  tt.equal(r.code, 2);
  for (const opt of ['--metadata', '--entity-id', '--acs-url', '--now', '--clock-skew']) tt.match(r.err, opt, `names ${opt}`);
  const m = await run(['check', '--metadata', '/nonexistent/metadata.xml', '--entity-id', 'fleet', '--acs-url', ACS_URL, FX('responses/valid/response.assertion-signed.xml')]);
  tt.equal(m.code, 2);
  const notMd = await run(['check', '--metadata', FX('responses/valid/response.assertion-signed.xml'), '--entity-id', 'fleet', '--acs-url', ACS_URL, FX('responses/valid/response.assertion-signed.xml')]);
  tt.equal(notMd.code, 2);
  tt.equal((await run(['nonsense'])).code, 2);
  const help = await run(['check', '--help']);
  tt.equal(help.code, 0);
  tt.match(help.out, /SAMLSCOPE_ENTITY_ID/);
});

t.test('decode: summary and pretty XML of a response and of a Redirect AuthnRequest URL', async (tt) => {
  const r = await run(['decode', '--now', FIXED_NOW.toISOString(), FX('responses/valid/response.assertion-signed.b64')]);
  tt.equal(r.code, 0, r.err);
  tt.match(r.out, /NameID:\s+alice@contoso\.example/);
  tt.match(r.out, /Signed:\s+Assertion/);
  tt.match(r.out, /KeyInfo cert:.*thumbprint [0-9A-F]{40}/);
  tt.match(r.out, /NotOnOrAfter:.*\(in 60 min\)/);
  const { deflateRawSync } = await import('node:zlib');
  const req = '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="id-abc" Version="2.0" IssueInstant="2026-01-15T12:00:00Z"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">fleet</saml:Issuer></samlp:AuthnRequest>';
  const url = 'https://login.microsoftonline.com/t/saml2?SAMLRequest=' + encodeURIComponent(deflateRawSync(Buffer.from(req)).toString('base64'));
  const d = await run(['decode', '-'], { stdin: url });
  tt.equal(d.code, 0, d.err);
  tt.match(d.out, /SAMLRequest \(redirect binding\)/);
  tt.match(d.out, /Issuer:\s+fleet/);
  const reqJson = JSON.parse((await run(['decode', '--json', '-'], { stdin: url })).out);
  tt.equal(reqJson.kind, 'SAMLRequest (redirect binding)');
  tt.match(reqJson.summary, { message: 'AuthnRequest', id: 'id-abc', issuer: 'fleet' });
  const rawReq = JSON.parse((await run(['decode', '--json', '-'], { stdin: req })).out);
  tt.equal(rawReq.kind, 'SAMLRequest (xml)', 'a raw AuthnRequest is named as one');
  const bad = await run(['decode', '-'], { stdin: '<!DOCTYPE x><x/>' });
  tt.equal(bad.code, 1);
  tt.match(bad.out, /SAML_XML_DTD_FORBIDDEN/);
});

t.test('peer vectors through the real binary with shared/vectors/replay.mjs (crewjam subset: Fleet\'s own library)', { timeout: 120_000, skip: corpusSkip }, async (tt) => {
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, [VECTORS + 'replay.mjs', '--bin', BIN, '--only', '^cj-', '--jobs', '2'], { env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('close', (code) => resolve({ code, out }));
  });
  tt.equal(r.code, 0, r.out.split('\n').filter((l) => /FAIL|wrong/.test(l)).join('\n'));
  tt.match(r.out, /peer vectors: 17\/17 verdicts right/);
});

t.test('Audience = server_url is one of the three Fleet accepts: --server-url, by default --acs-url without the callback path', async (tt) => {
  const xml = validResponse({ audience: 'https://fleet.example.com' });
  const implied = await run([...base, '--json', '-'], { stdin: xml });
  tt.equal(implied.code, 0, implied.out);
  const other = await run([...base, '--server-url', 'https://other.example.com', '--json', '-'], { stdin: xml });
  tt.equal(other.code, 1);
  tt.ok(JSON.parse(other.out).findings.some((f: { code: string }) => f.code === 'SAML_AUDIENCE_MISMATCH'));
  const acs = await run([...base, '--server-url', 'https://other.example.com', '--json', '-'], { stdin: validResponse({ audience: ACS_URL }) });
  tt.equal(acs.code, 0, 'the ACS URL itself stays accepted');
  const bad = await run([...base, '--fleet-version', 'four', '-'], { stdin: xml });
  tt.equal(bad.code, 2, 'a --fleet-version that is no release is a usage error');
  tt.match(bad.err, /--fleet-version/);
});

t.test('explain: an Entra error text → meaning and remedy; exit 0 known, 1 unknown code, 2 no code', async (tt) => {
  const known = await run(['explain', '--json', "Sorry, but we're having trouble signing you in. AADSTS50105: Your administrator has configured..."]);
  tt.equal(known.code, 0);
  tt.match(JSON.parse(known.out), { codes: [{ code: '50105', meaning: /not assigned/, remedy: /Users and groups/ }] });
  tt.equal((await run(['explain', 'AADSTS99999999'])).code, 1);
  tt.equal((await run(['explain', 'nothing here'])).code, 2);
  const stdin = await run(['explain', '-'], { stdin: 'AADSTS700016: Application with identifier fleet was not found' });
  tt.equal(stdin.code, 0);
  tt.match(stdin.out, /AADSTS700016/);
});
