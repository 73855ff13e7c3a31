// preflight's pure checks: Fleet's SSO settings, the IdP metadata and a login's outcome in, findings with remedies out (no I/O, clock passed in).
import { AADSTS, CATALOGUE, extractAadsts, finding, metadataFindings, type Finding, type IdpMetadata } from '../saml/index.js';
import type { LoginResult } from '../login/login.js';
import { isUriIdentifier, replyUrlFor, type FleetSettings } from './fleet-settings.js';
import { fleetProfile, SSO_CALLBACK_PATH } from '../fleet/index.js';

export interface MetadataSource {
  /** where preflight took the metadata from: --metadata, Fleet's metadata_url, or Fleet's inline metadata */
  from: 'option' | 'fleet_metadata_url' | 'fleet_metadata';
  /** the URL or file; 'inline' for Fleet's inline XML */
  location: string;
}

export type MetadataOutcome =
  | { kind: 'ok'; source: MetadataSource; metadata: IdpMetadata }
  | { kind: 'unreachable'; source: MetadataSource; message: string }
  | { kind: 'unparseable'; source: MetadataSource; message: string }
  /** neither --metadata nor anything in Fleet */
  | { kind: 'missing' };

export interface SettingsContext {
  /** the URL preflight reached Fleet at */
  fleetUrl: string;
  /** server.url_prefix ('' or /path) */
  urlPrefix: string;
  /** the Fleet release whose ACS rule applies (default: the newest known) */
  fleetVersion?: string;
}

const DAY_MS = 86_400_000;

function originOf(u: string): string | null {
  try {
    return new URL(u).origin;
  } catch {
    return null;
  }
}

/** Findings about Fleet's settings alone. */
export function settingsFindings(s: FleetSettings, ctx: SettingsContext): Finding[] {
  const out: Finding[] = [];
  const sso = s.sso;
  if (!sso.enableSso) {
    out.push(finding('SAML_FLEET_ORG_DISABLED', 'sso_settings.enable_sso is false: Fleet refuses to start an SSO login and answers a callback with status=org_disabled.', { enable_sso: false }));
  }
  if (!sso.entityId) {
    out.push(finding('SAML_FLEET_ENTITY_ID_MISSING', 'sso_settings.entity_id is empty.'));
  } else if (!isUriIdentifier(sso.entityId)) {
    out.push(finding('SAML_FLEET_ENTITY_ID_NOT_URI',
      `sso_settings.entity_id is "${sso.entityId}", not a URI. Entra's Identifier must equal it; Entra then sends Audience "${sso.entityId}", which Fleet accepts. Only some older tenants send "spn:${sso.entityId}" instead (SAML_AUDIENCE_SPN_PREFIX).`,
      { entityId: sso.entityId, audienceEntraSends: sso.entityId, audienceOlderTenantsSend: `spn:${sso.entityId}` }));
  }
  const replyUrl = replyUrlFor(s, ctx.urlPrefix, ctx.fleetVersion);
  const prefixInAcs = fleetProfile(ctx.fleetVersion).acsIncludesUrlPrefix && ctx.urlPrefix !== '';
  if (!s.serverUrl && !sso.ssoServerUrl) {
    out.push(finding('SAML_FLEET_SERVER_URL_MISSING', 'server_settings.server_url and sso_settings.sso_server_url are both empty: Fleet cannot compute its ACS URL.'));
  }
  if (replyUrl) {
    const base = sso.ssoServerUrl ? 'sso_settings.sso_server_url' : 'server_settings.server_url';
    const identifier = sso.entityId ? ` and Identifier (Entity ID) = ${sso.entityId}` : '';
    out.push(finding('SAML_FLEET_REPLY_URL',
      `Register in Entra: Reply URL = ${replyUrl}${identifier}. (${base}${prefixInAcs ? ' + url_prefix ' + ctx.urlPrefix : ''} + ${SSO_CALLBACK_PATH})`,
      { replyUrl, identifier: sso.entityId || null, base: sso.ssoServerUrl || s.serverUrl, urlPrefix: ctx.urlPrefix }));
  }
  out.push(sso.enableSsoIdpLogin
    ? finding('SAML_FLEET_IDP_LOGIN_ENABLED', 'sso_settings.enable_sso_idp_login is on: logins started in Entra (My Apps, "Test") are accepted.', { enable_sso_idp_login: true })
    : finding('SAML_FLEET_IDP_LOGIN_DISABLED', 'sso_settings.enable_sso_idp_login is off: only logins started at Fleet work.', { enable_sso_idp_login: false }));
  out.push(finding('SAML_FLEET_JIT_INFO', jitMessage(sso.enableJitProvisioning, s.licenseTier), { enable_jit_provisioning: sso.enableJitProvisioning, licenseTier: s.licenseTier }));
  const reached = originOf(ctx.fleetUrl);
  const publicOrigin = originOf(s.serverUrl);
  if (reached && publicOrigin && reached !== publicOrigin) {
    out.push(finding('SAML_FLEET_TRUSTED_PROXIES_HINT',
      `Fleet answered at ${reached} while its server_url is ${publicOrigin}: browsers reach Fleet through something else (a load balancer, or a samlscope proxy).`,
      { reachedAt: reached, serverUrl: publicOrigin }));
  }
  return out;
}

function jitMessage(enabled: boolean, tier: string | null): string {
  const premium = tier === 'premium';
  if (enabled) {
    return premium
      ? 'JIT provisioning is on (Fleet Premium): users are created at their first SSO login, roles from FLEET_JIT_USER_ROLE_* claims.'
      : `JIT provisioning is on, but the license tier is ${tier ?? 'unknown'}: JIT works on Fleet Premium only.`;
  }
  return premium
    ? 'JIT provisioning is off (available on this Premium license): each SSO user must exist in Fleet first.'
    : `JIT provisioning is not available (license tier ${tier ?? 'unknown'}; it needs Fleet Premium): each SSO user must exist in Fleet first.`;
}

function describeSource(src: MetadataSource): string {
  return src.from === 'fleet_metadata' ? "Fleet's inline metadata" : src.from === 'fleet_metadata_url' ? `Fleet's metadata_url ${src.location}` : src.location;
}

/** Findings about the IdP metadata as Fleet would read it, at `now`: reachable, parseable, a Redirect SSO endpoint, signing certs and their days left. */
export function metadataChecks(m: MetadataOutcome, now: Date): Finding[] {
  if (m.kind === 'missing') return [finding('SAML_FLEET_METADATA_MISSING', 'sso_settings.metadata_url and sso_settings.metadata are both empty, and no --metadata was given.')];
  if (m.kind === 'unreachable') return [finding('SAML_META_UNREACHABLE', `${describeSource(m.source)}: ${m.message}`, { source: m.source.location })];
  if (m.kind === 'unparseable') return [finding('SAML_META_UNPARSEABLE', `${describeSource(m.source)}: ${m.message}`, { source: m.source.location })];
  const md = m.metadata;
  const out = metadataFindings(md, now);
  const t = now.getTime();
  for (const c of md.certs) {
    const daysLeft = Math.floor((Date.parse(c.notAfter) - t) / DAY_MS);
    if (Date.parse(c.notBefore) <= t && daysLeft >= 30) {
      out.push(finding('SAML_META_CERT_VALID', `Certificate ${c.thumbprintSha1} (${c.subject}) is valid until ${c.notAfter}: ${daysLeft} days left.`,
        { thumbprint: c.thumbprintSha1, notBefore: c.notBefore, notAfter: c.notAfter, daysLeft }));
    }
  }
  const valid = md.certs.filter((c) => Date.parse(c.notBefore) <= t && t < Date.parse(c.notAfter));
  if (md.certs.length > 0 && valid.length === 0) {
    out.push(finding('SAML_META_NO_VALID_CERT', `None of the ${md.certs.length} signing certificate(s) in ${describeSource(m.source)} is valid at ${now.toISOString()}.`,
      { certs: md.certs.map((c) => ({ thumbprint: c.thumbprintSha1, notBefore: c.notBefore, notAfter: c.notAfter })) }));
  }
  return out;
}

const STATUS_REMEDY: Record<string, string> = {
  account_invalid: CATALOGUE.SAML_FLEET_ACCOUNT_INVALID.remedy,
  account_disabled: CATALOGUE.SAML_FLEET_ACCOUNT_DISABLED.remedy,
  org_disabled: CATALOGUE.SAML_FLEET_ORG_DISABLED.remedy,
};

/** The finding for one headless login, with the remedy its outcome points at. */
export function loginFinding(r: LoginResult, s: FleetSettings): Finding {
  const evidence: Record<string, unknown> = { user: r.user, outcome: r.outcome };
  if (r.outcome === 'success') {
    return finding('SAML_FLEET_LOGIN_OK', `${r.user} signed in through Fleet and the mock IdP; Fleet issued a session token.`, evidence);
  }
  if (r.outcome === 'fleet_status') {
    const status = r.fleetStatus ?? 'error';
    evidence.fleetStatus = status;
    const aadsts = extractAadsts(r.samlStatus?.message ?? null);
    let remedy: string | undefined = STATUS_REMEDY[status];
    let message = `Fleet answered /login?status=${status}.`;
    if (r.samlStatus) {
      message += ` The IdP posted a SAML error: ${r.samlStatus.code}${r.samlStatus.message ? ': ' + r.samlStatus.message : ''}.`;
      evidence.samlStatus = r.samlStatus.code;
      if (aadsts.length > 0) { evidence.aadsts = aadsts.map((c) => `AADSTS${c}`); remedy = AADSTS[aadsts[0]]?.remedy ?? remedy; }
    }
    return finding('SAML_FLEET_LOGIN_FAILED', message, evidence, remedy);
  }
  if (r.outcome === 'idp_error') {
    const code = r.idpError?.code ?? 'AADSTS?';
    evidence.aadsts = [code];
    const known = AADSTS[code.replace(/^AADSTS/, '')];
    return finding('SAML_FLEET_LOGIN_FAILED', `The IdP refused the sign-in and posted nothing to Fleet: ${r.idpError?.message ?? code}.`, evidence, known?.remedy);
  }
  evidence.reason = r.reason ?? 'failed';
  if (r.codes) evidence.codes = r.codes;
  return finding('SAML_FLEET_LOGIN_FAILED', `The login did not complete (${r.reason ?? 'failed'}): ${r.detail ?? ''}`.trim(), evidence);
}

/** --metadata against the metadata Fleet holds: a different entityID or no signing certificate in common is a warning. */
export function compareWithFleetMetadata(checked: IdpMetadata, fleets: MetadataOutcome): Finding[] {
  if (fleets.kind !== 'ok') return [];
  const held = fleets.metadata;
  const heldCerts = new Set(held.certs.map((c) => c.base64));
  const common = checked.certs.filter((c) => heldCerts.has(c.base64));
  const differences: string[] = [];
  if (held.entityId !== checked.entityId) differences.push(`entityID ${held.entityId} in Fleet, ${checked.entityId} checked`);
  if (common.length === 0 && checked.certs.length > 0) differences.push(`no signing certificate in common (Fleet holds ${held.certs.map((c) => c.thumbprintSha1).join(', ') || 'none'})`);
  if (held.redirectSsoUrl !== checked.redirectSsoUrl) differences.push(`Redirect SSO URL ${held.redirectSsoUrl ?? '(none)'} in Fleet, ${checked.redirectSsoUrl ?? '(none)'} checked`);
  if (differences.length === 0) return [];
  return [finding('SAML_FLEET_METADATA_DIFFERS', `${describeSource(fleets.source)} differs from the metadata checked: ${differences.join('; ')}.`, {
    fleetSource: fleets.source.location,
    fleetEntityId: held.entityId,
    checkedEntityId: checked.entityId,
    fleetThumbprints: held.certs.map((c) => c.thumbprintSha1),
    checkedThumbprints: checked.certs.map((c) => c.thumbprintSha1),
  })];
}
