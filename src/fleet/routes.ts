// Fleet's SSO routes, API versions, url_prefix and the ACS URL rule: where Fleet listens for a login and which URL it expects back.
import { fleetProfile } from './versions.js';

export type SsoRouteKind = 'initiate' | 'callback';
/** 'sso': an admin signing in to Fleet; 'mdm': an end user's MDM enrollment (end-user authentication) */
export type SsoFlow = 'sso' | 'mdm';

/**
 * The versions gorilla/mux accepts where Fleet registers a route as `/api/_version_/...`
 * (server/service/handler.go: `{fleetversion:(?:v1|2022-04|latest)}`).
 */
export const FLEET_API_VERSIONS = ['v1', '2022-04', 'latest'] as const;
export type FleetApiVersion = (typeof FLEET_API_VERSIONS)[number];

export interface SsoRoute {
  kind: SsoRouteKind;
  flow: SsoFlow;
  /** the route without url_prefix, in its v1 spelling (the one ACS URLs use) */
  path: string;
  /** the API versions Fleet's router answers this route under */
  versions: readonly FleetApiVersion[];
}

export const SSO_PATH = '/api/v1/fleet/sso';
export const SSO_CALLBACK_PATH = '/api/v1/fleet/sso/callback';
export const MDM_SSO_PATH = '/api/v1/fleet/mdm/sso';
export const MDM_SSO_CALLBACK_PATH = '/api/v1/fleet/mdm/sso/callback';
/** where Fleet's MDM callback sends the browser: `<prefix>/mdm/sso/callback?enrollment_reference=...` or `?error=true` */
export const MDM_BROWSER_CALLBACK_PATH = '/mdm/sso/callback';

/**
 * The admin SSO routes are registered as /api/v1/ only (fleetdm/fleet PR #5246, 2022: "Fix SSO paths to always use
 * /v1/"); the MDM SSO routes as /api/_version_/ (server/service/handler.go), so v1, 2022-04 and latest reach them.
 */
export const SSO_ROUTES: readonly SsoRoute[] = [
  { kind: 'initiate', flow: 'sso', path: SSO_PATH, versions: ['v1'] },
  { kind: 'callback', flow: 'sso', path: SSO_CALLBACK_PATH, versions: ['v1'] },
  { kind: 'initiate', flow: 'mdm', path: MDM_SSO_PATH, versions: FLEET_API_VERSIONS },
  { kind: 'callback', flow: 'mdm', path: MDM_SSO_CALLBACK_PATH, versions: FLEET_API_VERSIONS },
];

/** The route's path under one API version (`/api/v1/...` → `/api/latest/...`). */
export function routePathFor(route: SsoRoute, version: FleetApiVersion): string {
  return route.path.replace('/api/v1/', `/api/${version}/`);
}

/** Every spelling Fleet's router answers for a route, without url_prefix. */
export function routeSpellings(route: SsoRoute): string[] {
  return route.versions.map((v) => routePathFor(route, v));
}

/** server.url_prefix as Fleet applies it: '' or '/something', no trailing slash. */
export function normalizePrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  let p = prefix.trim();
  if (!p.startsWith('/')) p = '/' + p;
  return p.replace(/\/+$/, '');
}

/** A public URL as Fleet joins it with paths: trailing slashes dropped (fleetdm/fleet #31548, 4.71.1). */
export function trimBase(url: string): string {
  return url.replace(/\/+$/, '');
}

export interface AcsInput {
  /** server_settings.server_url */
  serverUrl: string;
  /** sso_settings.sso_server_url ('' or absent when unset; 4.71.1, fleetdm/fleet #31497) */
  ssoServerUrl?: string;
  /** server.url_prefix */
  urlPrefix?: string;
  /** the Fleet release whose rule applies (default: the newest samlscope knows; see versions.ts) */
  fleetVersion?: string;
}

/** The public URL Fleet builds the ACS URL from: sso_server_url when set (≥ 4.71.1), else server_url. */
export function acsBase(s: AcsInput): string {
  const sso = fleetProfile(s.fleetVersion).ssoServerUrl ? s.ssoServerUrl : '';
  return trimBase(sso || s.serverUrl);
}

/**
 * The ACS URL Fleet computes for a flow and expects as Destination and Recipient: base + callback path, where server_url
 * already holds any subpath (≥ 4.89.0, PR #48181); older Fleet joined url_prefix in between (base + url_prefix + path).
 */
export function acsUrlFor(s: AcsInput, flow: SsoFlow = 'sso', base: string = acsBase(s)): string {
  const prefix = fleetProfile(s.fleetVersion).acsIncludesUrlPrefix ? normalizePrefix(s.urlPrefix) : '';
  return trimBase(base) + prefix + (flow === 'mdm' ? MDM_SSO_CALLBACK_PATH : SSO_CALLBACK_PATH);
}

/** A path under Fleet's url_prefix, e.g. `/login`. */
export function prefixedPath(urlPrefix: string | undefined, path: string): string {
  return normalizePrefix(urlPrefix) + path;
}

/** server_url as an ACS URL implies it: the URL without a trailing callback path (admin or MDM); '' when it is none. */
export function serverUrlOf(acsUrl: string): string {
  for (const path of [SSO_CALLBACK_PATH, MDM_SSO_CALLBACK_PATH]) if (acsUrl.endsWith(path)) return acsUrl.slice(0, -path.length);
  return '';
}
