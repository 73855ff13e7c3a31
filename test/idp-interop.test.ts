// Real SAML peers accept the mock's responses (node-saml as Fleet, samlify, xmlsec1, pysaml2) and their AuthnRequests are answered.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { SAML } from '@node-saml/node-saml';
import samlify from 'samlify';
import { parseConfig, type IdpConfig } from '../src/idp/config.js';
import { startMockIdp, type MockIdpHandle } from '../src/idp/server.js';
import { checkCommand } from '../src/commands/check.js';
import { parseCommandArgs, type CommandIo } from '../src/commands/options.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const parsed = parseConfig(readFileSync(join(root, 'fixtures', 'idp', 'fleet.json'), 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
// A URI Identifier next to the fixture's plain "fleet" (the seed guide's value, tested on its own below).
const ENTITY_ID = 'https://fleet.contoso.example/saml';
const ACS = 'https://localhost:8080/api/v1/fleet/sso/callback';
const config: IdpConfig = { ...parsed.config, apps: parsed.config.apps.map((a) => ({ ...a, identifiers: [...a.identifiers, ENTITY_ID] })) };
const certPem = readFileSync(join(root, 'certs', 'test-only-idp-signing.cert.pem'), 'utf8');
const certB64 = certPem.replace(/-----[A-Z ]+-----|\s/g, '');

let idp: MockIdpHandle;
let metadata: string;
const dir = mkdtempSync(join(tmpdir(), 'samlscope-idp-interop-'));
t.before(async () => {
  idp = await startMockIdp({ config });
  metadata = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await (await fetch(idp.metadataUrl)).arrayBuffer());
  writeFileSync(join(dir, 'metadata.xml'), metadata);
});
t.teardown(async () => {
  await idp.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Follows an IdP URL headlessly with login_hint; returns the posted form fields. */
async function signIn(url: string, extra = '&login_hint=alice%40contoso.example'): Promise<{ action: string; SAMLResponse: string; RelayState?: string }> {
  const html = await (await fetch(url + extra)).text();
  const action = /name="hiddenform" action="([^"]*)"/.exec(html)?.[1];
  const value = /name="SAMLResponse" value="([^"]*)"/.exec(html)?.[1];
  if (!action || !value) throw new Error('no form in: ' + html.slice(0, 300));
  const relay = /name="RelayState" value="([^"]*)"/.exec(html)?.[1];
  return { action: action.replace(/&amp;/g, '&'), SAMLResponse: value, ...(relay !== undefined ? { RelayState: relay } : {}) };
}

async function fleetLikeNodeSaml(entityId = ENTITY_ID) {
  // Fleet ≥ 4.71's rules as node-saml expresses them: assertion-only signing accepted, audience = entity_id, skew 180 s.
  return new SAML({
    entryPoint: idp.loginUrl, issuer: entityId, callbackUrl: ACS, audience: entityId, idpCert: certB64, idpIssuer: idp.entityId,
    wantAuthnResponseSigned: false, wantAssertionsSigned: true, acceptedClockSkewMs: 180_000, validateInResponseTo: 'always' as never,
    disableRequestedAuthnContext: true,
  });
}

t.test('node-saml configured like Fleet: its AuthnRequest is answered and the response accepted', async (t) => {
  const sp = await fleetLikeNodeSaml();
  const url = await sp.getAuthorizeUrlAsync('/dashboard', undefined, {});
  t.ok(url.startsWith(idp.loginUrl + '?SAMLRequest='));
  const form = await signIn(url);
  t.equal(form.action, ACS);
  t.equal(form.RelayState, '/dashboard');
  const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.SAMLResponse });
  t.equal(profile?.nameID, 'alice@contoso.example');
  t.equal(profile?.issuer, idp.entityId);
  t.equal(profile?.['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'], 'alice@contoso.example');
  // and it rejects a tampered one
  const tampered = await signIn(await sp.getAuthorizeUrlAsync('', undefined, {}), '&login_hint=alice%40contoso.example&fault=tampered');
  await t.rejects(sp.validatePostResponseAsync({ SAMLResponse: tampered.SAMLResponse }));
});

/** Runs `samlscope check --json` on a base64 SAMLResponse; the exit code and the parsed report. */
async function samlscopeCheck(b64: string, args: string[]): Promise<{ code: number; report: { verdict: string; findings: Array<{ code: string; severity: string }> } }> {
  const file = join(dir, `check-${Math.random().toString(36).slice(2)}.b64`);
  writeFileSync(file, b64);
  let out = '';
  const argv = ['--metadata', join(dir, 'metadata.xml'), '--acs-url', ACS, '--json', ...args, file];
  const io: CommandIo = { argv, env: {}, stdout: (x) => { out += x; }, stderr: () => undefined, readStdin: async () => Buffer.alloc(0), stopSignal: new Promise(() => undefined) };
  const code = await checkCommand.run(parseCommandArgs(checkCommand, argv, {}), io);
  return { code, report: JSON.parse(out) };
}

t.test('the seed guide\'s Identifier "fleet": Issuer fleet → Audience fleet, accepted by node-saml and samlscope check with entity ID fleet', async (t) => {
  const sp = await fleetLikeNodeSaml('fleet');
  const url = await sp.getAuthorizeUrlAsync('', undefined, {});
  const requestId = /ID="([^"]+)"/.exec((await import('node:zlib')).inflateRawSync(Buffer.from(decodeURIComponent(new URL(url).searchParams.get('SAMLRequest')!), 'base64')).toString())![1];
  const form = await signIn(url);
  t.match(Buffer.from(form.SAMLResponse, 'base64').toString('utf8'), '<Audience>fleet</Audience>');
  const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.SAMLResponse });
  t.equal(profile?.nameID, 'alice@contoso.example');
  const checked = await samlscopeCheck(form.SAMLResponse, ['--entity-id', 'fleet', '--request-id', requestId]);
  t.equal(checked.code, 0, JSON.stringify(checked.report.findings));
  t.equal(checked.report.verdict, 'accept');
  t.notOk(checked.report.findings.some((f) => f.code.startsWith('SAML_AUDIENCE_')));
  // the spn-audience fault sends "spn:" + the Identifier the request named, which both refuse
  const spn = await signIn(await sp.getAuthorizeUrlAsync('', undefined, {}), '&login_hint=alice%40contoso.example&fault=spn-audience');
  t.match(Buffer.from(spn.SAMLResponse, 'base64').toString('utf8'), '<Audience>spn:fleet</Audience>');
  await t.rejects(sp.validatePostResponseAsync({ SAMLResponse: spn.SAMLResponse }));
  const spnChecked = await samlscopeCheck(spn.SAMLResponse, ['--entity-id', 'fleet', '--allow-idp-initiated']);
  t.equal(spnChecked.code, 1);
  t.ok(spnChecked.report.findings.some((f) => f.code === 'SAML_AUDIENCE_SPN_PREFIX'));
});

t.test('samlify SP: its AuthnRequest (Redirect binding) is answered and the response accepted', async (t) => {
  samlify.setSchemaValidator({ validate: async () => 'skipped: schema validation is not what this test checks' });
  const idpS = samlify.IdentityProvider({ metadata: metadata.replace(/^\uFEFF/, '') });
  const sp = samlify.ServiceProvider({
    entityID: ENTITY_ID, wantAssertionsSigned: true,
    assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: ACS }],
  });
  const { context } = sp.createLoginRequest(idpS, 'redirect');
  t.ok(context.startsWith(idp.loginUrl + '?SAMLRequest='));
  const form = await signIn(context);
  t.equal(form.action, ACS);
  const result = await sp.parseLoginResponse(idpS, 'post', { body: { SAMLResponse: form.SAMLResponse } } as never);
  t.equal(result.extract.nameID, 'alice@contoso.example');
  t.same(result.extract.audience, ENTITY_ID);
});

t.test('xmlsec1 --verify accepts the signatures (assertion, response, both) and refuses a tampered one', async (t) => {
  const verify = async (xml: string, idAttr: string) => {
    const f = join(dir, `r-${Math.random().toString(36).slice(2)}.xml`);
    writeFileSync(f, xml);
    try {
      await run('/usr/bin/xmlsec1', ['--verify', '--pubkey-cert-pem', join(root, 'certs', 'test-only-idp-signing.cert.pem'), '--id-attr:ID', idAttr, f]);
      return true;
    } catch {
      return false;
    }
  };
  const sp = await fleetLikeNodeSaml();
  const b64 = async (fault = '') => Buffer.from((await signIn(await sp.getAuthorizeUrlAsync('', undefined, {}), `&login_hint=alice%40contoso.example${fault}`)).SAMLResponse, 'base64').toString('utf8');
  t.ok(await verify(await b64(), 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion'), 'assertion signature');
  t.ok(await verify(await b64('&fault=response-only-signing'), 'urn:oasis:names:tc:SAML:2.0:protocol:Response'), 'response signature');
  t.notOk(await verify(await b64('&fault=tampered'), 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion'), 'tampered fails');
  const mdFile = join(dir, 'md-verify.xml');
  writeFileSync(mdFile, metadata.replace(/^\uFEFF/, ''));
  await t.resolves(run('/usr/bin/xmlsec1', ['--verify', '--pubkey-cert-pem', join(root, 'certs', 'test-only-idp-signing.cert.pem'), '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor', mdFile]), 'metadata signature');
});

t.test('pysaml2 as an SP accepts SP-initiated and IdP-initiated responses, refuses a tampered one', async (t) => {
  const py = async (b64: string, requestId: string) => {
    const child = execFile('/usr/bin/python3', [join(root, 'test', 'interop', 'pysaml2_sp.py'), join(dir, 'metadata.xml'), ENTITY_ID, ACS, requestId]);
    child.stdin!.end(b64);
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    await new Promise((resolve) => child.on('close', resolve));
    return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { ok: boolean; name_id?: string; error?: string; attributes?: string[] };
  };
  const sp = await fleetLikeNodeSaml();
  const url = await sp.getAuthorizeUrlAsync('', undefined, {});
  const requestId = /ID="([^"]+)"/.exec((await import('node:zlib')).inflateRawSync(Buffer.from(decodeURIComponent(new URL(url).searchParams.get('SAMLRequest')!), 'base64')).toString())![1];
  const ok = await py((await signIn(url)).SAMLResponse, requestId);
  t.equal(ok.ok, true, ok.error ?? 'accepted');
  t.equal(ok.name_id, 'alice@contoso.example');
  const launched = await signIn(`${idp.tenantUrl}/launch?app=${encodeURIComponent(ENTITY_ID)}`);
  const unsolicited = await py(launched.SAMLResponse, '-');
  t.equal(unsolicited.ok, true, unsolicited.error ?? 'accepted');
  const bad = await py((await signIn(url, '&login_hint=alice%40contoso.example&fault=tampered')).SAMLResponse, requestId);
  t.equal(bad.ok, false);
});
