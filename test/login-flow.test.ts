// login() end to end on real sockets: fleet-sim + the mock Entra IdP; success, Fleet statuses, an AADSTS page, a fault, and the command.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { startFleetSim } from '../src/fleet-sim/server.js';
import { startMockIdp } from '../src/idp/server.js';
import { parseConfig } from '../src/idp/config.js';
import { login } from '../src/login/login.js';
import { loginCommand } from '../src/commands/login.js';
import { parseCommandArgs, type CommandIo } from '../src/commands/options.js';
import { AADSTS } from '../src/saml/aadsts.js';

const parsed = parseConfig(readFileSync('fixtures/idp/fleet.json', 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('; '));
// A URI entity ID, added to the fixture app's identifiers (the fixture's plain "fleet" is tested on its own below).
const ENTITY_ID = 'https://fleet.contoso.example/saml';
const config = { ...parsed.config, apps: parsed.config.apps.map((a, i) => (i === 0 ? { ...a, identifiers: [...a.identifiers, ENTITY_ID] } : a)) };

async function setup(t: Test) {
  const sim = await startFleetSim({
    entityId: ENTITY_ID,
    users: [{ email: 'alice@contoso.example', ssoEnabled: true }, { email: 'bob@contoso.example', ssoEnabled: true }],
  });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config, port: 0, extraReplyUrls: [sim.acsUrl()] });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  return { sim, idp };
}

async function runCommand(argv: string[]) {
  let out = '';
  const io: CommandIo = { argv, env: {}, stdout: (s) => { out += s; }, stderr: () => undefined, readStdin: async () => Buffer.alloc(0), stopSignal: new Promise(() => undefined) };
  const code = await loginCommand.run(parseCommandArgs(loginCommand, argv, {}), io);
  return { code, out };
}

t.test('login through fleet-sim and the mock IdP', async (t) => {
  const { sim } = await setup(t);

  t.test('alice: success with a session token', async (t) => {
    const r = await login({ fleetUrl: sim.url, user: 'alice@contoso.example', relayUrl: '/hosts' });
    t.match(r, { ok: true, outcome: 'success', redirect: '/hosts', acsUrl: sim.acsUrl() });
    t.equal(sim.tokens.get(r.token ?? ''), 'alice@contoso.example');
    const me = await request(sim.url + '/api/v1/fleet/me', { headers: { authorization: `Bearer ${r.token}` } });
    t.match(await me.body.json(), { user: { email: 'alice@contoso.example', sso_enabled: true } });
    const anon = await request(sim.url + '/api/v1/fleet/me');
    t.equal(anon.statusCode, 401);
    await anon.body.dump();
    t.match(r.requestId, /^id-[0-9a-f]{40}$/);
    t.same(r.steps.map((s) => [s.step, s.status]), [['initiate', 200], ['idp', 200], ['callback', 200]]);
  });

  t.test('carol: assigned in Entra, no Fleet user → account_invalid', async (t) => {
    const r = await login({ fleetUrl: sim.url, user: 'carol@contoso.example' });
    t.match(r, { ok: false, outcome: 'fleet_status', fleetStatus: 'account_invalid' });
    t.equal(r.token, undefined);
  });

  t.test('bob: not assigned → the IdP shows AADSTS50105 and posts nothing', async (t) => {
    const before = sim.events.filter((e) => e.kind === 'callback').length;
    const r = await login({ fleetUrl: sim.url, user: 'bob@contoso.example' });
    t.match(r, { ok: false, outcome: 'idp_error', idpError: { code: 'AADSTS50105' } });
    t.same(r.steps.map((s) => s.step), ['initiate', 'idp']);
    t.equal(sim.events.filter((e) => e.kind === 'callback').length, before);
    const cmd = await runCommand(['--fleet', sim.url, '--user', 'bob@contoso.example']);
    t.equal(cmd.code, 1);
    t.ok(cmd.out.includes(AADSTS['50105'].remedy), 'the command prints the AADSTS50105 remedy');
    const json = JSON.parse((await runCommand(['--fleet', sim.url, '--user', 'bob@contoso.example', '--json'])).out) as { remedy?: string };
    t.match(json.remedy, AADSTS['50105'].remedy);
  });

  t.test('fault wrong-audience → Fleet status=error (audience)', async (t) => {
    const r = await login({ fleetUrl: sim.url, user: 'alice@contoso.example', fault: 'wrong-audience' });
    t.match(r, { ok: false, outcome: 'fleet_status', fleetStatus: 'error' });
    t.match(sim.events[sim.events.length - 1], { kind: 'callback', outcome: 'error', reason: 'audience' });
  });

  t.test('fault expired → Fleet status=error', async (t) => {
    const r = await login({ fleetUrl: sim.url, user: 'alice@contoso.example', fault: 'expired' });
    t.match(r, { outcome: 'fleet_status', fleetStatus: 'error' });
  });

  t.test('command: exit 0 and JSON with the token on success, 1 otherwise', async (t) => {
    const ok = await runCommand(['--fleet', sim.url, '--user', 'alice@contoso.example', '--json']);
    t.equal(ok.code, 0);
    const j = JSON.parse(ok.out) as { ok: boolean; token: string };
    t.equal(j.ok, true);
    t.equal(sim.tokens.get(j.token), 'alice@contoso.example');
    const bad = await runCommand(['--fleet', sim.url, '--user', 'carol@contoso.example']);
    t.equal(bad.code, 1);
    t.match(bad.out, /status=account_invalid/);
  });
});

t.test('entity_id "fleet" (the seed guide): Entra answers Audience fleet and Fleet signs in', async (t) => {
  const sim = await startFleetSim({ entityId: 'fleet', users: [{ email: 'alice@contoso.example', ssoEnabled: true }] });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config: parsed.config, port: 0, extraReplyUrls: [sim.acsUrl()] });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  const r = await login({ fleetUrl: sim.url, user: 'alice@contoso.example' });
  t.match(r, { ok: true });
  t.match(sim.events[sim.events.length - 1], { outcome: 'success' });
});

t.test('entity_id "fleet" on an older tenant (legacySpnAudience): Audience spn:fleet and Fleet says status=error', async (t) => {
  const sim = await startFleetSim({ entityId: 'fleet', users: [{ email: 'alice@contoso.example', ssoEnabled: true }] });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config: { ...parsed.config, legacySpnAudience: true }, port: 0, extraReplyUrls: [sim.acsUrl()] });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  const r = await login({ fleetUrl: sim.url, user: 'alice@contoso.example' });
  t.match(r, { ok: false, outcome: 'fleet_status', fleetStatus: 'error' });
  t.match(sim.events[sim.events.length - 1], { outcome: 'error', reason: 'audience' });
  t.match(sim.events[sim.events.length - 1].detail, /spn:fleet/);
});

t.test('TLS is verified unless --insecure', async (t) => {
  const tls = { key: readFileSync('certs/test-only-tls-localhost.key.pem'), cert: readFileSync('certs/test-only-tls-localhost.cert.pem') };
  const sim = await startFleetSim({ tls, entityId: ENTITY_ID, users: [{ email: 'alice@contoso.example', ssoEnabled: true }] });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config, port: 0, extraReplyUrls: [sim.acsUrl()] });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  const strict = await login({ fleetUrl: sim.url, user: 'alice@contoso.example' });
  t.match(strict, { ok: false, outcome: 'failed', reason: 'transport' });
  const insecure = await login({ fleetUrl: sim.url, user: 'alice@contoso.example', insecure: true });
  t.match(insecure, { ok: true, outcome: 'success' });
  t.match(insecure.token, /^[A-Za-z0-9_-]+$/);
  const withCa = await login({ fleetUrl: sim.url, user: 'alice@contoso.example', ca: tls.cert.toString() });
  t.equal(withCa.ok, true);
  const cmd = await runCommand(['--fleet', sim.url, '--user', 'alice@contoso.example']);
  t.equal(cmd.code, 1);
  t.match(cmd.out, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  t.match(cmd.out, '--ca FILE', 'the self-signed failure hints at --ca');
  t.match(cmd.out, '--insecure', 'and at --insecure');
  const refused = await runCommand(['--fleet', 'http://127.0.0.1:1', '--user', 'alice@contoso.example', '--timeout', '2']);
  t.notMatch(refused.out, '--insecure', 'no TLS hint for a refused connection');
});

t.test('nothing listening → failed/transport, never a throw', async (t) => {
  const r = await login({ fleetUrl: 'http://127.0.0.1:1', user: 'alice@contoso.example', timeoutMs: 2000 });
  t.match(r, { ok: false, outcome: 'failed', reason: 'transport' });
});
