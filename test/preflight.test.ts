// preflight end to end on real sockets: fleet-sim's GET /api/v1/fleet/config + the mock Entra IdP; exit codes, --json, and the real binary once.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { startFleetSim } from '../src/fleet-sim/server.js';
import { startMockIdp } from '../src/idp/server.js';
import { parseConfig } from '../src/idp/config.js';
import { loadTestKeys } from '../src/idp/keys.js';
import { CATALOGUE } from '../src/saml/index.js';
import { preflight, type PreflightReport } from '../src/preflight/preflight.js';
import { preflightCommand } from '../src/commands/preflight.js';
import { parseCommandArgs, type CommandIo } from '../src/commands/options.js';
import { childEnv } from './child-env.js';

const parsed = parseConfig(readFileSync('fixtures/idp/fleet.json', 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('; '));
const ENTITY_ID = 'https://fleet.contoso.example/saml';
const config = { ...parsed.config, apps: parsed.config.apps.map((a, i) => (i === 0 ? { ...a, identifiers: [...a.identifiers, ENTITY_ID] } : a)) };
const TOKEN = 'preflight-test-token';
const BIN = new URL('../bin/samlscope.js', import.meta.url).pathname;

const codes = (r: PreflightReport) => r.findings.map((f) => f.code);
const byCode = (r: PreflightReport, code: string) => r.findings.find((f) => f.code === code);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

async function setup(t: Test, keys = loadTestKeys()) {
  const sim = await startFleetSim({ entityId: ENTITY_ID, apiToken: TOKEN, users: [{ email: 'alice@contoso.example', ssoEnabled: true }] });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config, port: 0, keys, extraReplyUrls: [sim.acsUrl()] });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  return { sim, idp };
}

async function runCommand(argv: string[]) {
  let out = '';
  let err = '';
  const io: CommandIo = { argv, env: {}, stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, readStdin: async () => Buffer.alloc(0), stopSignal: new Promise(() => undefined) };
  const code = await preflightCommand.run(parseCommandArgs(preflightCommand, argv, {}), io);
  return { code, out, err };
}

t.test('preflight against fleet-sim and the mock IdP', async (t) => {
  const { sim, idp } = await setup(t);

  t.test('good configuration: pass, the Reply URL to register, the mock detected and alice logged in', async (t) => {
    const r = await preflight({ fleetUrl: sim.url, apiToken: TOKEN });
    t.equal(r.verdict, 'pass');
    t.same(r.findings.filter((f) => f.severity !== 'info'), [], 'no errors or warnings');
    t.match(byCode(r, 'SAML_FLEET_REPLY_URL'), { severity: 'info', evidence: { replyUrl: sim.acsUrl(), identifier: ENTITY_ID } });
    t.equal(r.fleet.replyUrl, sim.acsUrl());
    t.ok(codes(r).includes('SAML_META_CERT_VALID'));
    t.ok(codes(r).includes('SAML_FLEET_IDP_LOGIN_DISABLED'));
    t.match(byCode(r, 'SAML_FLEET_JIT_INFO'), { evidence: { enable_jit_provisioning: false, licenseTier: 'free' } });
    t.notOk(codes(r).includes('SAML_FLEET_TRUSTED_PROXIES_HINT'), 'Fleet reached at its server_url');
    t.match(r.mockIdp, { detected: true, url: idp.loginUrl });
    t.match(r.login, { ran: true, user: 'alice@contoso.example', outcome: 'success' });
    t.match(byCode(r, 'SAML_FLEET_LOGIN_OK'), { severity: 'info' });
    t.match(r.metadata, { ok: true, source: { from: 'fleet_metadata_url', location: idp.metadataUrl }, entityId: idp.entityId, redirectSsoUrl: idp.loginUrl, hadBom: true });
    const cmd = await runCommand(['--fleet', sim.url, '--api-token', TOKEN]);
    t.equal(cmd.code, 0, 'exit 0');
  });

  t.test('entity ID "fleet" (the seed guide): a note that it is not a URI, and the login works', async (t) => {
    sim.configure({ entityId: 'fleet' });
    t.teardown(() => sim.configure({ entityId: ENTITY_ID }));
    const r = await preflight({ fleetUrl: sim.url, apiToken: TOKEN });
    t.match(byCode(r, 'SAML_FLEET_ENTITY_ID_NOT_URI'), { evidence: { entityId: 'fleet', audienceEntraSends: 'fleet', audienceOlderTenantsSend: 'spn:fleet' } });
    t.notOk(codes(r).includes('SAML_FLEET_LOGIN_FAILED'));
    t.match(r.login, { ran: true, outcome: 'success' });
    t.match(byCode(r, 'SAML_FLEET_LOGIN_OK'), { severity: 'info' });
  });

  t.test('SSO disabled: an error, and no login attempted', async (t) => {
    sim.configure({ enableSso: false });
    t.teardown(() => sim.configure({ enableSso: true }));
    const before = sim.events.length;
    const r = await preflight({ fleetUrl: sim.url, apiToken: TOKEN });
    t.equal(r.verdict, 'fail');
    t.match(byCode(r, 'SAML_FLEET_ORG_DISABLED'), { severity: 'error' });
    t.same(r.login, { ran: false, skipped: 'sso_disabled' });
    t.equal(sim.events.length, before, 'fleet-sim saw no login');
  });

  t.test('metadata URL unreachable: SAML_META_UNREACHABLE and no login', async (t) => {
    const dead = `http://127.0.0.1:${await freePort()}/federationmetadata.xml`;
    sim.configure({ metadataUrl: dead });
    t.teardown(() => sim.configure({ metadataUrl: idp.metadataUrl }));
    const r = await preflight({ fleetUrl: sim.url, apiToken: TOKEN });
    t.equal(r.verdict, 'fail');
    t.match(byCode(r, 'SAML_META_UNREACHABLE'), { severity: 'error', evidence: { source: dead } });
    t.match(r.metadata, { ok: false, source: { from: 'fleet_metadata_url', location: dead } });
    t.same(r.login, { ran: false, skipped: 'metadata_unusable' });
  });

  t.test('--metadata FILE with a BOM is checked instead of Fleet\'s; --idp forces the login', async (t) => {
    const r = await preflight({ fleetUrl: sim.url, apiToken: TOKEN, metadata: 'fixtures/metadata/test-idp.xml', idpUrl: idp.url, now: new Date('2026-01-15T12:00:00Z') });
    t.match(r.metadata, { ok: true, hadBom: true, source: { from: 'option', location: 'fixtures/metadata/test-idp.xml' } });
    t.match(r.mockIdp, { detected: true, url: idp.url });
    t.match(r.login, { ran: true, outcome: 'success' }, 'the login uses Fleet\'s own metadata');
    t.match(byCode(r, 'SAML_FLEET_METADATA_DIFFERS'), { severity: 'warning', evidence: { fleetSource: idp.metadataUrl, fleetEntityId: idp.entityId, checkedEntityId: 'https://sts.windows.net/6c3d8a2e-4b1f-4e2a-9d7c-1f0e5b3a2c4d/' } });
    t.equal(r.checkedAt, '2026-01-15T12:00:00.000Z');
  });

  t.test('a Fleet reached elsewhere than its server_url: the trusted_proxies hint', async (t) => {
    sim.configure({ serverUrl: 'https://fleet.contoso.example' });
    t.teardown(() => sim.configure({ serverUrl: undefined }));
    const r = await preflight({ fleetUrl: sim.url, apiToken: TOKEN, metadata: 'fixtures/metadata/test-idp.xml' });
    t.match(byCode(r, 'SAML_FLEET_TRUSTED_PROXIES_HINT'), { severity: 'info', evidence: { serverUrl: 'https://fleet.contoso.example' } });
    t.equal(r.fleet.replyUrl, 'https://fleet.contoso.example/api/v1/fleet/sso/callback');
  });

  t.test('wrong API token: PreflightError fleet_unauthorized, exit 2', async (t) => {
    await t.rejects(preflight({ fleetUrl: sim.url, apiToken: 'wrong' }), { name: 'PreflightError', reason: 'fleet_unauthorized' });
    const cmd = await runCommand(['--fleet', sim.url, '--api-token', 'wrong', '--json']);
    t.equal(cmd.code, 2);
    t.equal(cmd.out, '', 'nothing on stdout');
    t.match(cmd.err, /fleet_unauthorized/);
  });

  t.test('--json: check\'s verdict/findings shape plus what preflight read', async (t) => {
    const cmd = await runCommand(['--fleet', sim.url, '--api-token', TOKEN, '--json']);
    t.equal(cmd.code, 0);
    const j = JSON.parse(cmd.out);
    t.equal(j.verdict, 'pass');
    t.ok(j.findings.length > 0);
    for (const f of j.findings) {
      t.same(Object.keys(f).filter((k) => k !== 'evidence').sort(), ['code', 'message', 'remedy', 'severity', 'title']);
      t.equal(f.severity, CATALOGUE[f.code as keyof typeof CATALOGUE].severity);
    }
    t.match(j, { fleet: { url: sim.url, replyUrl: sim.acsUrl(), entityId: ENTITY_ID, enableSso: true }, metadata: { ok: true }, login: { ran: true, outcome: 'success' }, mockIdp: { detected: true } });
    t.match(j.checkedAt, /^\d{4}-\d{2}-\d{2}T/);
    t.notMatch(cmd.out, /"token"/, 'no session token in the report');
  });

  t.test('the real binary, once', async (t) => {
    const p = spawn(process.execPath, [BIN, 'preflight', '--fleet', sim.url, '--json'], { env: childEnv({ SAMLSCOPE_API_TOKEN: TOKEN }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => { out += c; });
    p.stderr.on('data', (c) => { err += c; });
    const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
    t.equal(code, 0, err);
    t.match(JSON.parse(out), { verdict: 'pass', login: { outcome: 'success' } });
  });
});

t.test('expired IdP signing cert: SAML_META_NO_VALID_CERT and a failing login', async (t) => {
  const keys = loadTestKeys();
  const { sim } = await setup(t, { ...keys, signing: keys.expired });
  const r = await preflight({ fleetUrl: sim.url, apiToken: TOKEN });
  t.equal(r.verdict, 'fail');
  t.match(byCode(r, 'SAML_META_NO_VALID_CERT'), { severity: 'error' });
  t.match(byCode(r, 'SAML_META_CERT_EXPIRED'), { evidence: { notAfter: '2023-01-01T00:00:00.000Z' } });
  t.match(r.metadata, { ok: true, certs: [{ notAfter: '2023-01-01T00:00:00.000Z' }] });
  t.ok(r.metadata && r.metadata.ok && r.metadata.certs[0].daysLeft < 0);
  t.match(r.login, { ran: true, outcome: 'fleet_status', fleetStatus: 'error' });
});

t.test('url_prefix from --fleet\'s path, and Fleet over TLS (--ca, refused without it)', async (t) => {
  const tls = { key: readFileSync('certs/test-only-tls-localhost.key.pem'), cert: readFileSync('certs/test-only-tls-localhost.cert.pem') };
  const sim = await startFleetSim({ entityId: ENTITY_ID, apiToken: TOKEN, urlPrefix: '/fleet', tls, users: [{ email: 'alice@contoso.example', ssoEnabled: true }] });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config, port: 0, extraReplyUrls: [sim.acsUrl()] });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  const ca = readFileSync('certs/test-only-tls-localhost.cert.pem', 'utf8');
  const r = await preflight({ fleetUrl: sim.url + '/fleet', apiToken: TOKEN, ca });
  t.equal(r.fleet.urlPrefix, '/fleet');
  t.equal(r.fleet.replyUrl, sim.acsUrl());
  t.match(sim.acsUrl(), /^https:\/\/127\.0\.0\.1:\d+\/fleet\/api\/v1\/fleet\/sso\/callback$/);
  t.match(r, { verdict: 'pass', login: { ran: true, outcome: 'success' } });
  await t.rejects(preflight({ fleetUrl: sim.url + '/fleet', apiToken: TOKEN }), { name: 'PreflightError', reason: 'fleet_unreachable' }, 'self-signed without --ca');
  const insecure = await runCommand(['--fleet', sim.url + '/fleet/', '--api-token', TOKEN, '--insecure', '--json']);
  t.equal(insecure.code, 0, insecure.err);
  t.equal(JSON.parse(insecure.out).fleet.urlPrefix, '/fleet', 'a trailing slash is not part of the prefix');
});

t.test('could not check: Fleet unreachable and bad options exit 2', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  await t.rejects(preflight({ fleetUrl: dead, apiToken: TOKEN }), { name: 'PreflightError', reason: 'fleet_unreachable' });
  const cmd = await runCommand(['--fleet', dead, '--api-token', TOKEN]);
  t.equal(cmd.code, 2);
  t.match(cmd.err, /fleet_unreachable/);
  t.throws(() => parseCommandArgs(preflightCommand, ['--fleet'], {}), { name: 'UsageError' });
  await t.rejects(runCommand(['--api-token', TOKEN]), { name: 'UsageError', problems: [/--fleet: required/] });
  await t.rejects(runCommand(['--fleet', dead]), { name: 'UsageError', problems: [/--api-token: required/] });
  await t.rejects(runCommand(['--fleet', dead, '--api-token', TOKEN, '--insecure', '--ca', 'certs/test-only-tls-localhost.cert.pem']), { name: 'UsageError', problems: [/choose one/] });
  await t.rejects(runCommand(['--fleet', dead, '--api-token', TOKEN, '--now', 'yesterday']), { name: 'UsageError', problems: [/--now/] });
  await t.rejects(preflight({ fleetUrl: dead, apiToken: TOKEN, metadata: 'no/such/file.xml' }), { name: 'PreflightError', reason: 'fleet_unreachable' }, 'Fleet is read first');
});
