// preflight's pure checks, called directly: Fleet's config JSON, settings → findings, metadata → findings, a login's outcome → finding.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { AADSTS, CATALOGUE, pemToBase64, type Finding } from '../src/saml/index.js';
import type { LoginResult } from '../src/login/login.js';
import { isUriIdentifier, readFleetConfig, replyUrlFor, urlPrefixOf, type FleetSettings } from '../src/preflight/fleet-settings.js';
import { compareWithFleetMetadata, loginFinding, metadataChecks, settingsFindings, type MetadataOutcome } from '../src/preflight/checks.js';
import { loadPreflightMetadata } from '../src/preflight/preflight.js';

const NOW = new Date('2026-01-15T12:00:00Z');
const SIGNING = pemToBase64(readFileSync('certs/test-only-idp-signing.cert.pem', 'utf8')); // 2025-01-01 .. 2035-01-01
const EXPIRED = pemToBase64(readFileSync('certs/test-only-idp-expired.cert.pem', 'utf8')); // 2020-01-01 .. 2023-01-01
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

function metadataXml(certs: string[], bindings = [REDIRECT, POST]): string {
  const kds = certs.map((c) => `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${c}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`).join('');
  const sso = bindings.map((b) => `<SingleSignOnService Binding="${b}" Location="https://login.microsoftonline.com/t/saml2"/>`).join('');
  return `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sts.windows.net/t/"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${kds}${sso}</IDPSSODescriptor></EntityDescriptor>`;
}

function settings(patch: Partial<FleetSettings['sso']> = {}, top: Partial<Omit<FleetSettings, 'sso'>> = {}): FleetSettings {
  return {
    serverUrl: 'https://fleet.example.com',
    licenseTier: 'free',
    ...top,
    sso: {
      enableSso: true, entityId: 'https://fleet.example.com/saml', idpName: 'Entra', metadata: '', metadataUrl: 'https://login.microsoftonline.com/t/federationmetadata/2007-06/federationmetadata.xml?appid=a',
      enableSsoIdpLogin: false, enableJitProvisioning: false, ssoServerUrl: '', ...patch,
    },
  };
}

const CTX = { fleetUrl: 'https://fleet.example.com', urlPrefix: '' };
const codes = (fs: Finding[]) => fs.map((f) => f.code);
const get = (fs: Finding[], code: string) => fs.find((f) => f.code === code);

async function checksFor(xml: string, now = NOW): Promise<Finding[]> {
  const md = await loadPreflightMetadata(settings({ metadata: xml }));
  return metadataChecks(md, now);
}

t.test('readFleetConfig reads Fleet\'s answer defensively', async (t) => {
  t.equal(readFleetConfig({ server_settings: { server_url: 'https://f' } }), null, 'sso_settings hidden (not a global admin)');
  t.equal(readFleetConfig('nope'), null);
  const s = readFleetConfig({
    server_settings: { server_url: 'https://f' },
    sso_settings: { enable_sso: true, entity_id: 'fleet', metadata_url: 'https://m', enable_sso_idp_login: 'yes', sso_server_url: 7 },
    license: { tier: 'premium' },
  });
  t.same(s, {
    serverUrl: 'https://f', licenseTier: 'premium',
    sso: { enableSso: true, entityId: 'fleet', idpName: '', metadata: '', metadataUrl: 'https://m', enableSsoIdpLogin: false, enableJitProvisioning: false, ssoServerUrl: '' },
  }, 'wrong types read as unset');
  t.equal(readFleetConfig({ sso_settings: {} })?.licenseTier, null);
});

t.test('the Reply URL Fleet computes', async (t) => {
  t.equal(urlPrefixOf('https://fleet.example.com/fleet/'), '/fleet');
  t.equal(urlPrefixOf('https://fleet.example.com'), '');
  t.equal(urlPrefixOf('not a url'), '');
  t.equal(replyUrlFor(settings(), ''), 'https://fleet.example.com/api/v1/fleet/sso/callback');
  // Fleet ≥ 4.89.0 (PR #48181): server_url holds the subpath, url_prefix is not joined in again
  t.equal(replyUrlFor(settings({}, { serverUrl: 'https://fleet.example.com/fleet/' }), '/fleet/'), 'https://fleet.example.com/fleet/api/v1/fleet/sso/callback');
  t.equal(replyUrlFor(settings({}, { serverUrl: 'https://fleet.example.com/' }), '/fleet/', '4.88.0'), 'https://fleet.example.com/fleet/api/v1/fleet/sso/callback', 'before 4.89.0: server_url + url_prefix + path');
  t.equal(replyUrlFor(settings({ ssoServerUrl: 'https://sso.example.com' }), ''), 'https://sso.example.com/api/v1/fleet/sso/callback', 'sso_server_url wins');
  t.equal(replyUrlFor(settings({}, { serverUrl: '' }), ''), null);
  for (const [id, uri] of [['fleet', false], ['https://fleet.example.com/saml', true], ['urn:fleet', true], ['api://fleet', true], ['fleet.example.com', false], ['', false]] as const) {
    t.equal(isUriIdentifier(id), uri, `"${id}"`);
  }
});

t.test('settings → findings', async (t) => {
  const good = settingsFindings(settings(), CTX);
  t.same(codes(good), ['SAML_FLEET_REPLY_URL', 'SAML_FLEET_IDP_LOGIN_DISABLED', 'SAML_FLEET_JIT_INFO']);
  t.match(get(good, 'SAML_FLEET_REPLY_URL'), { evidence: { replyUrl: 'https://fleet.example.com/api/v1/fleet/sso/callback', identifier: 'https://fleet.example.com/saml' } });

  const off = settingsFindings(settings({ enableSso: false }), CTX);
  t.match(get(off, 'SAML_FLEET_ORG_DISABLED'), { severity: 'error' });

  t.ok(codes(settingsFindings(settings({ entityId: '' }), CTX)).includes('SAML_FLEET_ENTITY_ID_MISSING'));
  t.notOk(codes(settingsFindings(settings({ entityId: '' }), CTX)).includes('SAML_FLEET_ENTITY_ID_NOT_URI'));
  t.match(get(settingsFindings(settings({ entityId: 'fleet' }), CTX), 'SAML_FLEET_ENTITY_ID_NOT_URI'), { severity: 'warning', evidence: { audienceEntraSends: 'fleet', audienceOlderTenantsSend: 'spn:fleet' } });

  const noUrl = settingsFindings(settings({}, { serverUrl: '' }), CTX);
  t.ok(codes(noUrl).includes('SAML_FLEET_SERVER_URL_MISSING'));
  t.notOk(codes(noUrl).includes('SAML_FLEET_REPLY_URL'));
  t.notOk(codes(settingsFindings(settings({ ssoServerUrl: 'https://sso.example.com' }, { serverUrl: '' }), CTX)).includes('SAML_FLEET_SERVER_URL_MISSING'), 'sso_server_url suffices');

  t.ok(codes(settingsFindings(settings({ enableSsoIdpLogin: true }), CTX)).includes('SAML_FLEET_IDP_LOGIN_ENABLED'));

  for (const [on, tier] of [[true, 'premium'], [true, 'free'], [false, 'premium'], [false, null]] as const) {
    const f = get(settingsFindings(settings({ enableJitProvisioning: on }, { licenseTier: tier }), CTX), 'SAML_FLEET_JIT_INFO');
    t.match(f, { severity: 'info', evidence: { enable_jit_provisioning: on, licenseTier: tier } }, `JIT ${on} on ${tier}`);
  }

  const proxied = settingsFindings(settings(), { fleetUrl: 'http://10.0.0.5:8080', urlPrefix: '' });
  t.match(get(proxied, 'SAML_FLEET_TRUSTED_PROXIES_HINT'), { evidence: { reachedAt: 'http://10.0.0.5:8080', serverUrl: 'https://fleet.example.com' } });
});

t.test('metadata → findings', async (t) => {
  t.same(codes(metadataChecks({ kind: 'missing' }, NOW)), ['SAML_FLEET_METADATA_MISSING']);
  const src = { from: 'fleet_metadata_url' as const, location: 'https://m' };
  t.same(codes(metadataChecks({ kind: 'unreachable', source: src, message: 'HTTP 404' }, NOW)), ['SAML_META_UNREACHABLE']);
  t.same(codes(metadataChecks({ kind: 'unparseable', source: src, message: 'x' }, NOW)), ['SAML_META_UNPARSEABLE']);
  t.same(codes(await checksFor(metadataXml([SIGNING]))), ['SAML_META_CERT_VALID']);
  t.match(get(await checksFor(metadataXml([SIGNING])), 'SAML_META_CERT_VALID'), { evidence: { daysLeft: 3272 } });

  const expiring = await checksFor(metadataXml([SIGNING]), new Date('2034-12-20T00:00:00Z'));
  t.same(codes(expiring), ['SAML_META_CERT_EXPIRING'], 'under 30 days: a warning, not "valid"');

  t.same(codes(await checksFor(metadataXml([EXPIRED]))), ['SAML_META_CERT_EXPIRED', 'SAML_META_NO_VALID_CERT']);
  t.same(codes(await checksFor(metadataXml([EXPIRED, SIGNING]))), ['SAML_META_CERT_EXPIRED', 'SAML_META_CERT_VALID'], 'a rollover leftover alone is a warning');
  t.same(codes(await checksFor(metadataXml([SIGNING]), new Date('2024-06-01T00:00:00Z'))), ['SAML_META_NO_VALID_CERT'], 'not yet valid');
  t.same(codes(await checksFor(metadataXml([SIGNING], [POST]))), ['SAML_META_NO_REDIRECT_SSO', 'SAML_META_CERT_VALID']);
  t.same(codes(await checksFor(metadataXml([]))), ['SAML_META_NO_SIGNING_CERT']);
});

t.test('metadata is read the way Fleet reads it: BOM accepted, inline before metadata_url', async (t) => {
  const bom = await loadPreflightMetadata(settings({ metadata: '\uFEFF' + metadataXml([SIGNING]) }));
  t.match(bom, { kind: 'ok', source: { from: 'fleet_metadata', location: 'inline' }, metadata: { hadBom: true, redirectSsoUrl: 'https://login.microsoftonline.com/t/saml2' } });
  const html = await loadPreflightMetadata(settings({ metadata: '<html><body>Sign in</body></html>' }));
  t.match(html, { kind: 'unparseable' });
  t.same(await loadPreflightMetadata(settings({ metadata: '', metadataUrl: '' })), { kind: 'missing' } satisfies MetadataOutcome);
  await t.rejects(loadPreflightMetadata(settings(), 'no/such/file.xml'), { name: 'PreflightError', reason: 'metadata_unreadable' });
  const file = await loadPreflightMetadata(settings(), 'fixtures/metadata/test-idp.xml');
  t.match(file, { kind: 'ok', source: { from: 'option' } });
});

t.test('--metadata against the metadata Fleet holds', async (t) => {
  const read = async (xml: string) => {
    const m = await loadPreflightMetadata(settings({ metadata: xml }));
    if (m.kind !== 'ok') throw new Error('fixture metadata unusable');
    return m;
  };
  const current = await read(metadataXml([SIGNING]));
  t.same(compareWithFleetMetadata(current.metadata, await read(metadataXml([EXPIRED, SIGNING]))), [], 'a cert in common, same entityID and SSO URL');
  const stale = compareWithFleetMetadata(current.metadata, await read(metadataXml([EXPIRED])));
  t.same(codes(stale), ['SAML_FLEET_METADATA_DIFFERS']);
  t.match(stale[0], { severity: 'warning', evidence: { fleetSource: 'inline', fleetThumbprints: [/^[0-9A-F]{40}$/] } });
  const otherTenant = compareWithFleetMetadata(current.metadata, await read(metadataXml([SIGNING]).replace('https://sts.windows.net/t/', 'https://sts.windows.net/u/')));
  t.match(otherTenant[0], { evidence: { fleetEntityId: 'https://sts.windows.net/u/', checkedEntityId: 'https://sts.windows.net/t/' } });
  t.same(compareWithFleetMetadata(current.metadata, { kind: 'missing' }), [], 'nothing to compare with');
});

t.test('a login\'s outcome → one finding with the remedy it points at', async (t) => {
  const base: LoginResult = { ok: false, outcome: 'failed', user: 'alice@contoso.example', fleetUrl: 'https://f', steps: [] };
  t.match(loginFinding({ ...base, ok: true, outcome: 'success', token: 'secret' }, settings()), { code: 'SAML_FLEET_LOGIN_OK', severity: 'info' });
  t.notMatch(JSON.stringify(loginFinding({ ...base, ok: true, outcome: 'success', token: 'secret' }, settings())), /secret/, 'no token in the finding');

  const invalid = loginFinding({ ...base, outcome: 'fleet_status', fleetStatus: 'account_invalid' }, settings());
  t.match(invalid, { code: 'SAML_FLEET_LOGIN_FAILED', severity: 'error', evidence: { fleetStatus: 'account_invalid' } });
  t.equal(invalid.remedy, CATALOGUE.SAML_FLEET_ACCOUNT_INVALID.remedy);
  t.equal(loginFinding({ ...base, outcome: 'fleet_status', fleetStatus: 'account_disabled' }, settings()).remedy, CATALOGUE.SAML_FLEET_ACCOUNT_DISABLED.remedy);

  const errUri = loginFinding({ ...base, outcome: 'fleet_status', fleetStatus: 'error' }, settings());
  t.equal(errUri.remedy, CATALOGUE.SAML_FLEET_LOGIN_FAILED.remedy, 'with a URI entity ID: see the proxy');
  t.equal(errUri.evidence?.explainedBy, undefined);
  const errPlain = loginFinding({ ...base, outcome: 'fleet_status', fleetStatus: 'error' }, settings({ entityId: 'fleet' }));
  t.equal(errPlain.remedy, CATALOGUE.SAML_FLEET_LOGIN_FAILED.remedy, 'entity ID "fleet" is not blamed: Entra answers it with Audience fleet');
  t.equal(errPlain.evidence?.explainedBy, undefined);

  const samlError = loginFinding({ ...base, outcome: 'fleet_status', fleetStatus: 'error', samlStatus: { code: 'urn:oasis:names:tc:SAML:2.0:status:Requester', message: 'AADSTS75011: Authentication method ...' } }, settings({ entityId: 'fleet' }));
  t.match(samlError.evidence, { aadsts: ['AADSTS75011'] });
  t.equal(samlError.remedy, AADSTS['75011'].remedy, 'the IdP\'s own error wins');

  const page = loginFinding({ ...base, outcome: 'idp_error', idpError: { code: 'AADSTS50011', message: 'reply URL', requestId: null, correlationId: null } }, settings());
  t.match(page, { code: 'SAML_FLEET_LOGIN_FAILED', evidence: { aadsts: ['AADSTS50011'] } });
  t.equal(page.remedy, AADSTS['50011'].remedy);

  const transport = loginFinding({ ...base, reason: 'transport', detail: 'ECONNREFUSED' }, settings());
  t.match(transport, { evidence: { reason: 'transport', outcome: 'failed' } });
  t.equal(transport.remedy, CATALOGUE.SAML_FLEET_LOGIN_FAILED.remedy);
});
