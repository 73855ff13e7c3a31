// The Graph client (MSAL client credentials + Graph v1.0) against the mock's TLS token endpoint and Graph subset: secret and certificate, paging, 429/503, a missing permission, the licence, secrets never logged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parseConfig, type IdpConfig } from '../src/idp/config.js';
import { startMockIdp, type MockIdpHandle } from '../src/idp/server.js';
import { GraphClient, GraphError, retryDelayMs } from '../src/entra/graph-client.js';
import { applicationByAppId, assignments, servicePrincipalByAppId, signInsSince, transitiveGroupIds, userByUpn } from '../src/entra/reads.js';
import { makeSelfSigned } from '../src/pki/selfsigned.js';

const root = join(import.meta.dirname, '..');
const ca = readFileSync(join(root, 'certs', 'test-only-tls-localhost.cert.pem'), 'utf8');
const parsed = parseConfig(readFileSync(join(root, 'fixtures', 'idp', 'fleet.json'), 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
const config: IdpConfig = parsed.config;
const APP_ID = config.apps[0].appId;
const SECRET = 'test-only-secret-Zq9~value';

/** what a read failed with: its kind and detail (GraphError), or 'ok' */
async function failure(p: Promise<unknown>): Promise<{ kind: string; code?: string; permission?: string }> {
  try { await p; return { kind: 'ok' }; } catch (e) {
    if (!(e instanceof GraphError)) throw e;
    return { kind: e.kind, code: e.detail.code, permission: e.detail.permission };
  }
}

async function start(t: Test, o: { licence?: 'P1' | 'free'; pageSize?: number; certPem?: string } = {}): Promise<MockIdpHandle> {
  const idp = await startMockIdp({
    config, graph: {
      licence: o.licence, pageSize: o.pageSize,
      clients: [
        { clientId: 'c0ffee00-0000-4000-8000-000000000001', secret: SECRET, certPem: o.certPem, permissions: ['Application.Read.All', 'Directory.Read.All', 'AuditLog.Read.All'] },
        { clientId: 'c0ffee00-0000-4000-8000-000000000002', secret: SECRET, permissions: ['Application.Read.All'] },
      ],
    },
  });
  t.teardown(() => idp.close());
  return idp;
}

function client(idp: MockIdpHandle, extra: Partial<ConstructorParameters<typeof GraphClient>[0]> = {}): GraphClient {
  const g = new GraphClient({
    tenantId: idp.tenantId, clientId: 'c0ffee00-0000-4000-8000-000000000001', clientSecret: SECRET,
    authorityHost: idp.graph!.url, graphUrl: idp.graph!.url, ca, ...extra,
  });
  return g;
}

t.test('client secret: MSAL gets a token from the mock over TLS; the Fleet app, its assignments and users read', async (t) => {
  const idp = await start(t);
  const g = client(idp);
  t.teardown(() => g.close());
  const sp = await servicePrincipalByAppId(g, APP_ID);
  t.ok(sp);
  t.equal(sp!.appRoleAssignmentRequired, true);
  t.equal(sp!.preferredSingleSignOnMode, 'saml');
  t.equal(sp!.keyCredentials.length, 1);
  t.match(sp!.preferredTokenSigningKeyThumbprint, /^[0-9A-F]{40}$/);
  const app = await applicationByAppId(g, APP_ID);
  t.same(app!.identifierUris, ['fleet']);
  t.equal(app!.web!.redirectUris[0], 'https://localhost:8080/api/v1/fleet/sso/callback');
  const as = await assignments(g, sp!.id);
  t.same(as.map((a) => a.principalType), ['User', 'User']);
  const bob = await userByUpn(g, 'bob@contoso.example');
  t.equal(bob!.accountEnabled, true);
  t.equal(await userByUpn(g, 'nobody@contoso.example'), null);
  t.same(await transitiveGroupIds(g, bob!.id), []);
});

t.test('client certificate: MSAL signs a client assertion the mock verifies', async (t) => {
  const kp = await makeSelfSigned({ commonName: 'samlscope-reader', notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2036-01-01T00:00:00Z') });
  const idp = await start(t, { certPem: kp.certPem });
  const g = client(idp, { clientSecret: undefined, clientCertPem: kp.certPem + kp.privateKeyPem });
  t.teardown(() => g.close());
  t.ok(await servicePrincipalByAppId(g, APP_ID));
  const other = await makeSelfSigned({ commonName: 'not-registered', notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2036-01-01T00:00:00Z') });
  const bad = client(idp, { clientSecret: undefined, clientCertPem: other.certPem + other.privateKeyPem });
  t.teardown(() => bad.close());
  t.match(await failure(servicePrincipalByAppId(bad, APP_ID)), { kind: 'auth_failed' });
});

t.test('a wrong secret is auth_failed with the AADSTS code', async (t) => {
  const idp = await start(t);
  const g = client(idp, { clientSecret: 'wrong' });
  t.teardown(() => g.close());
  t.match(await failure(servicePrincipalByAppId(g, APP_ID)), { kind: 'auth_failed', code: 'AADSTS7000215' });
});

t.test('paging follows @odata.nextLink', async (t) => {
  const idp = await start(t, { pageSize: 1 });
  const g = client(idp);
  t.teardown(() => g.close());
  const sp = await servicePrincipalByAppId(g, APP_ID);
  const as = await assignments(g, sp!.id);
  t.equal(as.length, 2);
  t.equal(idp.graph!.requests.filter((p) => p.endsWith('/appRoleAssignedTo')).length, 2, 'two pages asked');
});

t.test('429 and 503 with Retry-After are retried within the bound; past it the read fails as throttled', async (t) => {
  const idp = await start(t);
  const waits: number[] = [];
  const g = client(idp, { sleep: async (ms) => { waits.push(ms); }, maxRetries: 2 });
  t.teardown(() => g.close());
  idp.graph!.throttle(2, 429, 0);
  t.ok(await servicePrincipalByAppId(g, APP_ID));
  t.same(waits, [0, 0]);
  idp.graph!.throttle(1, 503, 0);
  t.ok(await servicePrincipalByAppId(g, APP_ID));
  idp.graph!.throttle(3, 429, 0);
  t.match(await failure(servicePrincipalByAppId(g, APP_ID)), { kind: 'throttled' });
  idp.graph!.throttle(1, 429, 3600);
  t.match(await failure(servicePrincipalByAppId(g, APP_ID)), { kind: 'throttled' }, 'a Retry-After beyond the bound is not waited for');
  t.equal(retryDelayMs('2', 0, 10_000, 0), 2000);
  t.equal(retryDelayMs('60', 0, 10_000, 0), null);
  t.equal(retryDelayMs(null, 2, 10_000, 0), 2000);
});

t.test('a missing permission is permission_missing naming it (403 Authorization_RequestDenied)', async (t) => {
  const idp = await start(t);
  const g = client(idp, { clientId: 'c0ffee00-0000-4000-8000-000000000002' });
  t.teardown(() => g.close());
  t.ok(await servicePrincipalByAppId(g, APP_ID), 'Application.Read.All is granted');
  t.match(await failure(signInsSince(g, APP_ID, new Date(0))), { kind: 'permission_missing', code: 'Authorization_RequestDenied', permission: 'AuditLog.Read.All' });
  t.match(await failure(userByUpn(g, 'alice@contoso.example')), { kind: 'permission_missing', permission: 'Directory.Read.All' });
});

t.test('sign-in logs without Entra ID P1 are license_required', async (t) => {
  const idp = await start(t, { licence: 'free' });
  const g = client(idp);
  t.teardown(() => g.close());
  const e = await signInsSince(g, APP_ID, new Date(0)).catch((x: unknown) => x);
  t.ok(e instanceof GraphError);
  t.equal((e as GraphError).kind, 'license_required');
});

t.test('the sign-in log holds every success and every AADSTS page as Graph signIn objects', async (t) => {
  const idp = await start(t);
  const launch = (upn: string) => fetch(`${idp.tenantUrl}/launch?app=fleet&login_hint=${encodeURIComponent(upn)}`).then((r) => r.text());
  await launch('alice@contoso.example');
  await launch('bob@contoso.example');
  const g = client(idp);
  t.teardown(() => g.close());
  const s = await signInsSince(g, APP_ID, new Date(Date.now() - 60_000));
  t.same(s.map((x) => [x.userPrincipalName, x.status.errorCode]), [['bob@contoso.example', 50105], ['alice@contoso.example', 0]], 'newest first');
  t.match(s[0].correlationId, /^[0-9a-f-]{36}$/);
});

t.test('the secret never appears in what the client throws or logs', async (t) => {
  const idp = await start(t);
  const g = client(idp, { clientSecret: 'wrong-secret-value-XYZ' });
  t.teardown(() => g.close());
  const e = await servicePrincipalByAppId(g, APP_ID).catch((x: unknown) => x) as GraphError;
  t.notMatch(JSON.stringify({ message: e.message, detail: e.detail }), /wrong-secret-value-XYZ/);
  t.notMatch(String(e.stack), /wrong-secret-value-XYZ/);
});

t.test('a Graph that accepts and never answers times out as unavailable, within the timeout', async (t) => {
  const { createServer } = await import('node:https');
  const hanging = createServer({ cert: ca, key: readFileSync(join(root, 'certs', 'test-only-tls-localhost.key.pem'), 'utf8') }, () => { /* never answers */ });
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => { hanging.closeAllConnections(); hanging.close(); });
  const idp = await start(t);
  const g = client(idp, { graphUrl: `https://127.0.0.1:${(hanging.address() as { port: number }).port}`, timeoutMs: 300 });
  t.teardown(() => g.close());
  const began = Date.now();
  t.match(await failure(servicePrincipalByAppId(g, APP_ID)), { kind: 'unavailable' });
  t.ok(Date.now() - began < 5_000, 'bounded by the timeout');
});
