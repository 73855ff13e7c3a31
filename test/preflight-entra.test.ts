// preflight with Graph: against the demo (bob not assigned, carol no Fleet user, alice fine) through the real command, and mock apps whose Identifier or Reply URL lack Fleet's.
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo } from '../src/demo/demo.js';
import { startFleetSim } from '../src/fleet-sim/server.js';
import { parseConfig, type IdpConfig } from '../src/idp/config.js';
import { startMockIdp } from '../src/idp/server.js';
import { preflightCommand } from '../src/commands/preflight.js';
import { parseCommandArgs, type CommandIo } from '../src/commands/options.js';
import { preflight, PreflightError } from '../src/preflight/preflight.js';
import { entraAppFindings, entraUserFindings } from '../src/preflight/entra-checks.js';
import type { GraphServicePrincipal } from '../src/entra/reads.js';

const parsed = parseConfig(readFileSync('fixtures/idp/fleet.json', 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('; '));
const base: IdpConfig = parsed.config;
const TLS_CA = readFileSync('certs/test-only-tls-localhost.cert.pem', 'utf8');

async function runCommand(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io: CommandIo = { argv, env, stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, readStdin: async () => Buffer.alloc(0), stopSignal: new Promise(() => undefined) };
  const code = await preflightCommand.run(parseCommandArgs(preflightCommand, argv, env), io);
  return { code, out, err, json: out ? JSON.parse(out) as { verdict: string; findings: { code: string }[]; entra: unknown } : null };
}

t.test('against the demo with the Entra details it prints', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'samlscope-preflight-entra-'));
  const demo = await startDemo({ stateDir, randomPorts: true });
  t.teardown(() => demo.close());
  const e = demo.entra!;
  t.ok(e, 'the demo serves Graph');
  const caFile = join(stateDir, 'ca.pem');
  writeFileSync(caFile, demo.caPem);
  const argv = (user: string) => ['--fleet', demo.fleetUrl, '--ca', caFile, '--json', '--entra-tenant', e.tenantId, '--entra-client-id', e.clientId,
    '--entra-authority-host', e.authorityHost, '--graph-url', e.graphUrl, '--user', user];
  const env = { SAMLSCOPE_API_TOKEN: demo.fleetApiToken, SAMLSCOPE_ENTRA_CLIENT_SECRET: e.clientSecret };
  const codesOf = (r: Awaited<ReturnType<typeof runCommand>>) => r.json!.findings.map((f) => f.code);

  const bob = await runCommand(argv('bob@contoso.example'), env);
  t.equal(bob.code, 1, bob.err);
  t.ok(codesOf(bob).includes('SAML_ENTRA_USER_NOT_ASSIGNED'));
  const carol = await runCommand(argv('carol@contoso.example'), env);
  t.equal(carol.code, 1, carol.err);
  t.ok(codesOf(carol).includes('SAML_FLEET_ACCOUNT_INVALID'));
  t.notOk(codesOf(carol).includes('SAML_ENTRA_USER_NOT_ASSIGNED'));
  const alice = await runCommand(argv('alice@contoso.example'), env);
  t.equal(alice.code, 0, JSON.stringify(alice.json?.findings.map((f) => f.code)));
  t.ok(codesOf(alice).includes('SAML_ENTRA_USER_CAN_SIGN_IN'));
  t.notMatch(alice.out + alice.err + bob.out + carol.out, e.clientSecret, 'the secret is never printed');

  const wrong = await runCommand(argv('alice@contoso.example'), { ...env, SAMLSCOPE_ENTRA_CLIENT_SECRET: 'not-the-secret' });
  t.equal(wrong.code, 2, 'a refused Graph token: could not check');
  t.match(wrong.err, /entra_unauthorized/);
  t.notMatch(wrong.err, /not-the-secret/);
});

async function fleetAndIdp(t: Test, config: IdpConfig) {
  const sim = await startFleetSim({ entityId: 'https://fleet.contoso.example/saml', apiToken: 'tok', users: [{ email: 'alice@contoso.example', ssoEnabled: true }] });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config, graph: { clients: [{ clientId: 'c0ffee00-0000-4000-8000-000000000001', secret: 's3cret', permissions: ['Application.Read.All', 'Directory.Read.All'] }] } });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  const run = (user?: string) => preflight({
    fleetUrl: sim.url, apiToken: 'tok',
    entra: { graph: { tenantId: idp.tenantId, clientId: 'c0ffee00-0000-4000-8000-000000000001', clientSecret: 's3cret', authorityHost: idp.graph!.url, graphUrl: idp.graph!.url, ca: TLS_CA }, user },
  });
  return { sim, idp, run };
}

t.test('a mock app whose Reply URLs lack Fleet\'s ACS, or whose Identifiers lack Fleet\'s entity ID', async (t) => {
  const noReply = { ...base, apps: [{ ...base.apps[0], identifiers: ['https://fleet.contoso.example/saml'] }] };
  const a = await fleetAndIdp(t, noReply);
  const r1 = await a.run();
  t.ok(r1.findings.some((f) => f.code === 'SAML_ENTRA_REPLY_URL_MISSING'));
  t.notOk(r1.findings.some((f) => f.code === 'SAML_ENTRA_IDENTIFIER_MISMATCH'));
  t.equal(r1.entra?.app?.found, 'identifier');

  const noIdent = { ...base, apps: [{ ...base.apps[0], identifiers: ['fleet'] }] };
  const b = await fleetAndIdp(t, noIdent);
  b.idp.addReplyUrls([b.sim.acsUrl()]);
  const r2 = await b.run();
  t.ok(r2.findings.some((f) => f.code === 'SAML_ENTRA_IDENTIFIER_MISMATCH'));
  t.notOk(r2.findings.some((f) => f.code === 'SAML_ENTRA_REPLY_URL_MISSING'));
  t.equal(r2.entra?.app?.found, 'only_saml_app');
  t.equal(r2.verdict, 'fail');
});

t.test('NameID source against Fleet\'s users: a Fleet email that is an Entra mail but not the UPN', async (t) => {
  const dan = { upn: 'dan@contoso.example', mail: 'dan.m@contoso.example', displayName: 'Dan', givenName: 'Dan', surname: 'M', objectId: 'da000000-0000-4000-8000-000000000004', groups: [], extensions: {}, accountEnabled: true };
  const cfg = { ...base, users: [...base.users, dan], apps: [{ ...base.apps[0], identifiers: ['https://fleet.contoso.example/saml'] }] };
  const sim = await startFleetSim({ entityId: 'https://fleet.contoso.example/saml', apiToken: 'tok', users: [{ email: 'alice@contoso.example', ssoEnabled: true }, { email: 'dan.m@contoso.example', ssoEnabled: true }] });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config: cfg, extraReplyUrls: [sim.acsUrl()], graph: { clients: [{ clientId: 'c0ffee00-0000-4000-8000-000000000001', secret: 's', permissions: ['Application.Read.All', 'Directory.Read.All'] }] } });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  const r = await preflight({
    fleetUrl: sim.url, apiToken: 'tok',
    entra: { graph: { tenantId: idp.tenantId, clientId: 'c0ffee00-0000-4000-8000-000000000001', clientSecret: 's', authorityHost: idp.graph!.url, graphUrl: idp.graph!.url, ca: TLS_CA } },
  });
  const f = r.findings.filter((x) => x.code === 'SAML_ENTRA_NAMEID_NOT_FLEET_EMAIL');
  t.equal(f.length, 1);
  t.equal(f[0].evidence!.fleetEmail, 'dan.m@contoso.example');
});

t.test('without AuditLog.Read.All preflight still works; without Directory.Read.All --user gives SAML_ENTRA_PERMISSION_MISSING', async (t) => {
  const cfg = { ...base, apps: [{ ...base.apps[0], identifiers: ['https://fleet.contoso.example/saml'] }] };
  const sim = await startFleetSim({ entityId: 'https://fleet.contoso.example/saml', apiToken: 'tok', users: [] });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config: cfg, extraReplyUrls: [sim.acsUrl()], graph: { clients: [{ clientId: 'c0ffee00-0000-4000-8000-000000000001', secret: 's', permissions: ['Application.Read.All'] }] } });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  const r = await preflight({
    fleetUrl: sim.url, apiToken: 'tok',
    entra: { graph: { tenantId: idp.tenantId, clientId: 'c0ffee00-0000-4000-8000-000000000001', clientSecret: 's', authorityHost: idp.graph!.url, graphUrl: idp.graph!.url, ca: TLS_CA }, user: 'alice@contoso.example' },
  });
  const f = r.findings.find((x) => x.code === 'SAML_ENTRA_PERMISSION_MISSING');
  t.ok(f);
  t.equal(f!.evidence!.permission, 'Directory.Read.All');
  const none = await preflight({
    fleetUrl: sim.url, apiToken: 'tok',
    entra: { graph: { tenantId: idp.tenantId, clientId: 'c0ffee00-0000-4000-8000-000000000001', clientSecret: 's', authorityHost: idp.graph!.url, graphUrl: idp.graph!.url, ca: TLS_CA }, appId: '99999999-0000-4000-8000-000000000000' },
  });
  t.ok(none.findings.some((x) => x.code === 'SAML_ENTRA_APP_NOT_FOUND'));
  const bad = await preflight({
    fleetUrl: sim.url, apiToken: 'tok',
    entra: { graph: { tenantId: idp.tenantId, clientId: 'c0ffee00-0000-4000-8000-000000000001', clientSecret: 'wrong', authorityHost: idp.graph!.url, graphUrl: idp.graph!.url, ca: TLS_CA } },
  }).catch((e: unknown) => e);
  t.ok(bad instanceof PreflightError && bad.reason === 'entra_unauthorized');
});

const sp = (o: Partial<GraphServicePrincipal> = {}): GraphServicePrincipal => ({
  id: 'sp1', appId: 'app1', displayName: 'Fleet', appRoleAssignmentRequired: true, preferredSingleSignOnMode: 'saml',
  preferredTokenSigningKeyThumbprint: 'AA11', notificationEmailAddresses: ['ops@contoso.example'], samlSingleSignOnSettings: null,
  keyCredentials: [
    { customKeyIdentifier: 'AA11', displayName: 'CN=Microsoft Azure Federated SSO Certificate', startDateTime: '2025-01-01T00:00:00Z', endDateTime: '2026-02-01T00:00:00Z', keyId: 'k1', type: 'AsymmetricX509Cert', usage: 'Sign' },
    { customKeyIdentifier: 'AA11', displayName: 'CN=Microsoft Azure Federated SSO Certificate', startDateTime: '2025-01-01T00:00:00Z', endDateTime: '2026-02-01T00:00:00Z', keyId: 'k2', type: 'AsymmetricX509Cert', usage: 'Verify' },
    { customKeyIdentifier: 'BB22', displayName: 'CN=Microsoft Azure Federated SSO Certificate', startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2029-01-01T00:00:00Z', keyId: 'k3', type: 'AsymmetricX509Cert', usage: 'Verify' },
  ],
  ...o,
});
const app = { id: 'a1', appId: 'app1', displayName: 'Fleet', identifierUris: ['https://fleet/saml'], web: { redirectUris: ['https://other/acs', 'https://fleet/acs'], homePageUrl: null, logoutUrl: null } };

t.test('the app checks as a truth table', async (t) => {
  const codes = (s: GraphServicePrincipal, now: string, thumbs: string[] | null = ['aa:11']) =>
    entraAppFindings({ sp: s, app }, { entityId: 'https://fleet/saml', acsUrl: 'https://fleet/acs', metadataThumbprints: thumbs, now: new Date(now) }).map((f) => f.code).sort();
  t.same(codes(sp(), '2025-06-01T00:00:00Z'), ['SAML_ENTRA_CERT_ROLLOVER_PENDING', 'SAML_ENTRA_REPLY_URL_NOT_DEFAULT']);
  t.same(codes(sp(), '2026-01-15T00:00:00Z'), ['SAML_ENTRA_CERT_EXPIRING', 'SAML_ENTRA_CERT_ROLLOVER_PENDING', 'SAML_ENTRA_REPLY_URL_NOT_DEFAULT']);
  t.same(codes(sp(), '2026-03-01T00:00:00Z'), ['SAML_ENTRA_CERT_EXPIRED', 'SAML_ENTRA_CERT_ROLLOVER_PENDING', 'SAML_ENTRA_REPLY_URL_NOT_DEFAULT']);
  t.same(codes(sp({ preferredTokenSigningKeyThumbprint: 'BB22', notificationEmailAddresses: [] }), '2026-03-01T00:00:00Z'), ['SAML_ENTRA_CERT_NOT_IN_METADATA', 'SAML_ENTRA_CERT_NO_NOTIFICATION_EMAIL', 'SAML_ENTRA_REPLY_URL_NOT_DEFAULT']);
  t.same(codes(sp({ preferredSingleSignOnMode: 'oidc' }), '2025-06-01T00:00:00Z'), ['SAML_ENTRA_CERT_ROLLOVER_PENDING', 'SAML_ENTRA_REPLY_URL_NOT_DEFAULT', 'SAML_ENTRA_SSO_MODE_NOT_SAML']);
});

t.test('the user checks as a truth table', async (t) => {
  const user = { id: 'u1', userPrincipalName: 'dan@contoso.example', mail: 'dan.m@contoso.example', accountEnabled: true, displayName: 'Dan' };
  const run = (o: Partial<Parameters<typeof entraUserFindings>[0]>) => entraUserFindings({
    email: 'dan@contoso.example', user, sp: sp(), assignments: [], groupIds: [], directGroupIds: [], fleetUsers: [{ email: 'dan@contoso.example', ssoEnabled: true, name: 'Dan', globalRole: 'observer' }],
    fleet: { jit: false, premium: false }, ...o,
  }).map((f) => f.code).sort();
  const group = { id: 'r1', principalId: 'g1', principalType: 'Group' as const, principalDisplayName: 'Fleet users', resourceId: 'sp1', appRoleId: '0' };
  t.same(run({ user: null }), ['SAML_ENTRA_USER_NOT_FOUND']);
  t.same(run({}), ['SAML_ENTRA_USER_NOT_ASSIGNED']);
  t.same(run({ assignments: [group], directGroupIds: ['g1'], groupIds: ['g1'] }), ['SAML_ENTRA_USER_CAN_SIGN_IN']);
  t.same(run({ assignments: [group], directGroupIds: [], groupIds: ['g1'] }), ['SAML_ENTRA_USER_NOT_ASSIGNED'], 'a nested group does not count');
  t.same(run({ sp: sp({ appRoleAssignmentRequired: false }), user: { ...user, accountEnabled: false } }), ['SAML_ENTRA_USER_DISABLED']);
  t.same(run({ sp: sp({ appRoleAssignmentRequired: false }), fleetUsers: [{ email: 'dan@contoso.example', ssoEnabled: false, name: '', globalRole: null }] }), ['SAML_ENTRA_USER_CAN_SIGN_IN', 'SAML_FLEET_ACCOUNT_DISABLED']);
  t.same(run({ sp: sp({ appRoleAssignmentRequired: false }), fleetUsers: [{ email: 'dan.m@contoso.example', ssoEnabled: true, name: '', globalRole: null }] }), ['SAML_ENTRA_NAMEID_NOT_FLEET_EMAIL', 'SAML_ENTRA_USER_CAN_SIGN_IN', 'SAML_FLEET_ACCOUNT_INVALID']);
  t.same(run({ sp: sp({ appRoleAssignmentRequired: false }), fleetUsers: [], fleet: { jit: true, premium: true } }), ['SAML_ENTRA_USER_CAN_SIGN_IN', 'SAML_FLEET_JIT_INFO']);
});

t.test('the demo with --jit (Fleet Premium): preflight predicts carol is created by JIT, and her login creates her as an observer', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'samlscope-preflight-jit-'));
  const demo = await startDemo({ stateDir, randomPorts: true, jit: true });
  t.teardown(() => demo.close());
  const e = demo.entra!;
  const r = await preflight({
    fleetUrl: demo.fleetUrl, apiToken: demo.fleetApiToken, ca: demo.caPem,
    entra: { graph: { tenantId: e.tenantId, clientId: e.clientId, clientSecret: e.clientSecret, authorityHost: e.authorityHost, graphUrl: e.graphUrl, ca: demo.caPem }, user: 'carol@contoso.example' },
  });
  t.equal(r.verdict, 'pass', r.findings.filter((f) => f.severity === 'error').map((f) => f.code).join());
  t.ok(r.findings.some((f) => f.code === 'SAML_FLEET_JIT_INFO' && f.evidence?.jit === true));
  const { login } = await import('../src/login/login.js');
  const carol = await login({ fleetUrl: demo.proxyUrl, user: 'carol@contoso.example', ca: demo.caPem, timeoutMs: 20_000 });
  t.equal(carol.ok, true, carol.reason ?? '');
  const users = await fetch(`${demo.fleetUrl}/api/v1/fleet/users`, { headers: { authorization: `Bearer ${demo.fleetApiToken}` } }).then((x) => x.json()) as { users: { email: string; global_role: string }[] };
  t.match(users.users.find((u) => u.email === 'carol@contoso.example'), { global_role: 'observer' });
});
