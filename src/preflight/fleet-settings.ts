// Fleet's SSO settings as GET /api/v1/fleet/config returns them, read defensively from its JSON, and the URLs Fleet derives from them.
import { acsBase, acsUrlFor } from '../fleet/index.js';

export interface FleetSsoSettings {
  enableSso: boolean;
  entityId: string;
  idpName: string;
  /** inline metadata XML (sso_settings.metadata) */
  metadata: string;
  metadataUrl: string;
  /** IdP-initiated login allowed */
  enableSsoIdpLogin: boolean;
  enableJitProvisioning: boolean;
  /** a second public URL for the ACS; '' when unset */
  ssoServerUrl: string;
}

export interface FleetSettings {
  /** server_settings.server_url: the public URL */
  serverUrl: string;
  sso: FleetSsoSettings;
  /** license.tier ('free', 'premium'); null when Fleet did not say */
  licenseTier: string | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (o: Obj, k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
const bool = (o: Obj, k: string): boolean => o[k] === true;

/**
 * Reads the parts of Fleet's config answer that matter for SSO. Returns null when `sso_settings` is absent:
 * Fleet shows it only to global admins, so the API token belongs to someone else.
 */
export function readFleetConfig(json: unknown): FleetSettings | null {
  if (!isObj(json) || !isObj(json.sso_settings)) return null;
  const sso = json.sso_settings;
  const server = isObj(json.server_settings) ? json.server_settings : {};
  const license = isObj(json.license) ? json.license : {};
  return {
    serverUrl: str(server, 'server_url'),
    sso: {
      enableSso: bool(sso, 'enable_sso'),
      entityId: str(sso, 'entity_id'),
      idpName: str(sso, 'idp_name'),
      metadata: str(sso, 'metadata'),
      metadataUrl: str(sso, 'metadata_url'),
      enableSsoIdpLogin: bool(sso, 'enable_sso_idp_login'),
      enableJitProvisioning: bool(sso, 'enable_jit_provisioning'),
      ssoServerUrl: str(sso, 'sso_server_url'),
    },
    licenseTier: typeof license.tier === 'string' && license.tier ? license.tier : null,
  };
}

/** server.url_prefix as seen in the URL Fleet is reached at (Fleet's API does not return it): the path without a trailing slash. */
export function urlPrefixOf(fleetUrl: string): string {
  try {
    return new URL(fleetUrl).pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

/** The ACS URL Fleet computes (and expects as Destination/Recipient), by src/fleet's rule for the version; null without a server_url. */
export function replyUrlFor(s: FleetSettings, urlPrefix: string, fleetVersion?: string): string | null {
  const input = { serverUrl: s.serverUrl, ssoServerUrl: s.sso.ssoServerUrl, urlPrefix, fleetVersion };
  if (!acsBase(input)) return null;
  return acsUrlFor(input, 'sso');
}

/** Entra's notion of a URI Identifier (scheme:...); some older tenants answer anything else with Audience "spn:" + it. */
export function isUriIdentifier(id: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(id);
}
