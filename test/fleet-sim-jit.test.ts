// fleet-sim --jit answers as Fleet Premium's JIT provisioning: a first login creates the user with the attribute roles; technician allowed, gitops and global+team refused.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { request } from 'undici';
import { startFleetSim, SSO_COOKIE, type FleetSimHandle } from '../src/fleet-sim/server.js';
import { buildEntraMetadata, buildEntraResponse, NAMEID_FORMAT } from '../src/idp/response.js';
import { jitRoles } from '../src/fleet/index.js';

const key = { privateKeyPem: readFileSync('certs/test-only-idp-signing.key.pem', 'utf8'), certPem: readFileSync('certs/test-only-idp-signing.cert.pem', 'utf8') };
const TENANT = '11111111-2222-3333-4444-555555555555';
const metadataXml = buildEntraMetadata({ tenantId: TENANT, baseUrl: 'http://127.0.0.1:9/idp', certsPem: [key.certPem], signingKey: key });

async function loginAs(sim: FleetSimHandle, nameId: string, attrs: Record<string, string>) {
  const init = await request(sim.url + '/api/v1/fleet/sso', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = (await init.body.json()) as { url: string };
  const sessionId = /__Host-FLEETSSOSESSIONID=([^;]+)/.exec(String(init.headers['set-cookie']))?.[1] ?? '';
  const xml = inflateRawSync(Buffer.from(new URL(body.url).searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  const requestId = /ID="([^"]+)"/.exec(xml)?.[1] ?? '';
  const saml = Buffer.from(buildEntraResponse({
    tenantId: TENANT, acsUrl: sim.acsUrl(), audience: 'fleet', now: new Date(), nameId, nameIdFormat: NAMEID_FORMAT.emailAddress, inResponseTo: requestId,
    attributes: Object.entries(attrs).map(([name, v]) => ({ name, values: [v] })), signing: 'assertion', algorithm: 'sha256', key,
  })).toString('base64');
  const res = await request(sim.url + '/api/v1/fleet/sso/callback', {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `${SSO_COOKIE}=${sessionId}` },
    body: new URLSearchParams({ SAMLResponse: saml }).toString(),
  });
  const text = await res.body.text();
  return { status: /login\?status=([a-z_]+)/.exec(text)?.[1] ?? 'success', last: sim.events[sim.events.length - 1] };
}

async function usersOf(sim: FleetSimHandle) {
  const r = await request(sim.url + '/api/v1/fleet/users', { headers: { authorization: 'Bearer tok' } });
  return ((await r.body.json()) as { users: { email: string; global_role: string | null; teams: { id: number; role: string }[]; sso_enabled: boolean }[] }).users;
}

t.test('Premium JIT through fleet-sim', async (t) => {
  const sim = await startFleetSim({ metadataXml, users: [], apiToken: 'tok', jit: true });
  t.teardown(() => sim.close());
  const cfg = await request(sim.url + '/api/v1/fleet/config', { headers: { authorization: 'Bearer tok' } }).then((r) => r.body.json()) as { license: { tier: string }; sso_settings: { enable_jit_provisioning: boolean } };
  t.equal(cfg.license.tier, 'premium');
  t.equal(cfg.sso_settings.enable_jit_provisioning, true);

  t.equal((await loginAs(sim, 'erin@contoso.example', { FLEET_JIT_USER_ROLE_GLOBAL: 'technician' })).status, 'success');
  t.equal((await loginAs(sim, 'frank@contoso.example', { FLEET_JIT_USER_ROLE_FLEET_2: 'maintainer', FLEET_JIT_USER_ROLE_TEAM_3: 'observer' })).status, 'success');
  t.equal((await loginAs(sim, 'gina@contoso.example', {})).status, 'success');
  const g = await loginAs(sim, 'hank@contoso.example', { FLEET_JIT_USER_ROLE_GLOBAL: 'gitops' });
  t.equal(g.status, 'error');
  t.equal(g.last.reason, 'jit_role_invalid');
  const c = await loginAs(sim, 'ivy@contoso.example', { FLEET_JIT_USER_ROLE_GLOBAL: 'admin', FLEET_JIT_USER_ROLE_TEAM_1: 'observer' });
  t.equal(c.last.reason, 'jit_role_conflict');
  const users = await usersOf(sim);
  t.same(users.map((u) => [u.email, u.global_role, u.teams]), [
    ['erin@contoso.example', 'technician', []],
    ['frank@contoso.example', null, [{ id: 2, role: 'maintainer' }, { id: 3, role: 'observer' }]],
    ['gina@contoso.example', 'observer', []],
  ]);
});

t.test('Free (no --jit): an unknown user is account_invalid', async (t) => {
  const sim = await startFleetSim({ metadataXml, users: [], apiToken: 'tok' });
  t.teardown(() => sim.close());
  t.equal((await loginAs(sim, 'erin@contoso.example', { FLEET_JIT_USER_ROLE_GLOBAL: 'admin' })).status, 'account_invalid');
});

t.test('jitRoles as a truth table', async (t) => {
  t.match(jitRoles({ FLEET_JIT_USER_ROLE_GLOBAL: ['null'] }), { ok: true, globalRole: 'observer', fromAttributes: false });
  t.match(jitRoles({ FLEET_JIT_USER_ROLE_GLOBAL: ['observer_plus'], name: ['Erin'] }), { ok: true, globalRole: 'observer_plus', name: 'Erin' });
  t.match(jitRoles({ FLEET_JIT_USER_ROLE_TEAM_1: ['superuser'] }), { ok: false, reason: 'jit_role_invalid' });
});
