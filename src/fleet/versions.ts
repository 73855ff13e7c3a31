// The Fleet rules that changed between releases, each with its source, and the profile of rules in force for one version.

export interface FleetRuleChange {
  id: 'crewjam' | 'sso-server-url' | 'trailing-slash' | 'token-cookie' | 'acs-without-url-prefix' | 'xml-shape' | 'callback-body-cap';
  /** the first release with the rule; null: merged, release not pinned down, applied to every version samlscope predicts */
  since: string | null;
  cite: string;
  rule: string;
}

/** Oldest first. Each row names the Fleet PR, issue or release it comes from. */
export const FLEET_RULE_CHANGES: readonly FleetRuleChange[] = [
  { id: 'crewjam', since: '4.71.0', cite: 'Fleet 4.71.0 (July 2025)', rule: 'SAML responses validated with crewjam/saml; older Fleet had its own code, which samlscope does not predict' },
  { id: 'sso-server-url', since: '4.71.1', cite: 'fleetdm/fleet #31497 (in 4.71.1, PR #31575)', rule: 'sso_settings.sso_server_url: a second public URL for the ACS URL and the audiences' },
  { id: 'trailing-slash', since: '4.71.1', cite: 'fleetdm/fleet #31548 (in 4.71.1, PR #31575)', rule: 'a trailing slash on server_url no longer breaks the ACS URL' },
  { id: 'token-cookie', since: '4.81.1', cite: 'Fleet 4.81.1', rule: 'the success page sets the __Host-token (TLS) or token cookie instead of localStorage FLEET::auth_token' },
  { id: 'callback-body-cap', since: null, cite: 'server/fleet MaxSSOCallbackSize (256 KiB; in place by PR #47463\'s review, June 2026)', rule: 'SSO callback bodies over 256 KiB answered 413 before any SAML check' },
  { id: 'xml-shape', since: null, cite: 'fleetdm/fleet PR #47463 (merged 2026-06-12)', rule: 'XML depth ≤ 100 and ≤ 5,000 elements before the signature check' },
  { id: 'acs-without-url-prefix', since: '4.89.0', cite: 'fleetdm/fleet PR #48181 (merged 2026-06-24, fixes #46641)', rule: 'the ACS URL is server_url + callback path; before, url_prefix was joined in again (server_url + url_prefix + path)' },
];

/** The newest release whose rules samlscope knows; `--fleet-version` defaults to it, and newer versions get its rules. */
export const NEWEST_KNOWN_FLEET = '4.89.0';
/** The oldest release samlscope predicts (crewjam/saml validation). */
export const OLDEST_PREDICTED_FLEET = '4.71.0';

export type FleetVersion = readonly [number, number, number];

/** "4.89.0", "v4.89.0", "4.89" or "fleet-v4.89.0-rc1" → [4, 89, 0]; null when it is not a version. */
export function parseFleetVersion(s: string): FleetVersion | null {
  const m = /^(?:fleet-)?v?(\d{1,3})\.(\d{1,4})(?:\.(\d{1,4}))?(?:[-+][0-9A-Za-z.-]*)?$/.exec(s.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function compareVersions(a: FleetVersion, b: FleetVersion): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function atLeast(v: FleetVersion, since: string): boolean {
  return compareVersions(v, parseFleetVersion(since) as FleetVersion) >= 0;
}

/** The rules in force for one Fleet version: what every prediction of samlscope reads instead of a version check of its own. */
export interface FleetProfile {
  version: string;
  /** url_prefix is part of the ACS URL (Fleet < 4.89.0) */
  acsIncludesUrlPrefix: boolean;
  /** sso_server_url is honoured (≥ 4.71.1) */
  ssoServerUrl: boolean;
  /** where the success page keeps the session token */
  tokenStorage: 'cookie' | 'localStorage';
  /** older than the oldest version samlscope predicts: its SAML checks were different */
  predated: boolean;
  /** the rule changes that apply to this version */
  rules: FleetRuleChange[];
}

export function fleetProfile(version: string = NEWEST_KNOWN_FLEET): FleetProfile {
  const v = parseFleetVersion(version) ?? (parseFleetVersion(NEWEST_KNOWN_FLEET) as FleetVersion);
  return {
    version,
    acsIncludesUrlPrefix: !atLeast(v, '4.89.0'),
    ssoServerUrl: atLeast(v, '4.71.1'),
    tokenStorage: atLeast(v, '4.81.1') ? 'cookie' : 'localStorage',
    predated: !atLeast(v, OLDEST_PREDICTED_FLEET),
    rules: FLEET_RULE_CHANGES.filter((r) => r.since === null || atLeast(v, r.since)),
  };
}
