// What Fleet's callback accepts: the audience set, clock skew and IssueInstant age, XML limits, the body cap, cookie names.
import { acsUrlFor, trimBase, type AcsInput, type SsoFlow } from './routes.js';
import { fleetProfile } from './versions.js';

/** Fleet's SSO session cookie: set by the initiate answer, sent back with the IdP's POST (no SameSite, on purpose). */
export const SSO_SESSION_COOKIE = '__Host-FLEETSSOSESSIONID';
/** Fleet Desktop's session cookie (passes through untouched). */
export const DESKTOP_SESSION_COOKIE = '__Host-FLEET_DESKTOP_SESSION';
/** Where Fleet < 4.81.1 kept the session token: the success page's script writes localStorage['FLEET::auth_token']. */
export const LEGACY_TOKEN_STORAGE_KEY = 'FLEET::auth_token';

/** The token cookie Fleet ≥ 4.81.1 sets on a successful login: `__Host-token` over TLS, `token` without. */
export function tokenCookieName(serverUrl: string): '__Host-token' | 'token' {
  return serverUrl.startsWith('https:') ? '__Host-token' : 'token';
}
export const TOKEN_COOKIE_NAMES = ['__Host-token', 'token'] as const;

/** crewjam/saml's MaxClockSkew as Fleet sets it: Conditions and SubjectConfirmationData times get 180 s either way. */
export const CLOCK_SKEW_SECONDS = 180;
/** crewjam/saml's MaxIssueDelay: Response and Assertion IssueInstant at most 90 s old (no check for the future). */
export const ISSUE_INSTANT_MAX_AGE_SECONDS = 90;

/**
 * The body cap of both SSO callback endpoints (server/fleet: `MaxSSOCallbackSize = 256 * units.KiB`): over it Fleet
 * answers 413 before any SAML check. The decoded XML is therefore at most 3/4 of it.
 */
export const SSO_CALLBACK_BODY_BYTES = 256 * 1024;

/** Fleet's XML shape rules before the signature check (fleetdm/fleet PR #47463, June 2026: validateSAMLResponseShape). */
export const XML_LIMITS = { maxDepth: 100, maxElements: 5000 } as const;

/** Fleet's SSO session lifetime (auth.sso_session_validity_period; 15 min since 4.69, 5 min before). */
export const SSO_SESSION_VALIDITY_SECONDS = 900;

export interface AudienceInput extends AcsInput {
  /** sso_settings.entity_id */
  entityId: string;
}

/**
 * The audiences Fleet accepts (server/sso validateAudiences): entity_id, server_url and the ACS URL, and the same two for
 * sso_server_url when it is set. Some Audience of some AudienceRestriction must be one of them, exactly.
 */
export function acceptedAudiences(s: AudienceInput, flow: SsoFlow = 'sso'): string[] {
  const sso = fleetProfile(s.fleetVersion).ssoServerUrl && s.ssoServerUrl ? [trimBase(s.ssoServerUrl)] : [];
  const bases = [trimBase(s.serverUrl), ...sso].filter((b) => b !== '');
  const out = [s.entityId, ...bases, ...bases.map((b) => acsUrlFor(s, flow, b))];
  return [...new Set(out)];
}

/** The `status=` values Fleet's failure page sends the browser to (`<prefix>/login?status=...`). */
export const LOGIN_STATUSES = ['error', 'account_invalid', 'account_disabled', 'org_disabled'] as const;
export type LoginStatus = (typeof LOGIN_STATUSES)[number];
