// Which paths a front proxy sends to samlscope: regular expressions (PCRE, RE2 and JS alike) for Fleet's SSO routes, built from src/fleet/routes.ts.
import { FLEET_API_VERSIONS, normalizePrefix, SSO_ROUTES } from '../fleet/routes.js';

/** url_prefix segments a generated config can carry unquoted in nginx, Caddy and HAProxy (Fleet's own prefixes are like this). */
const SEGMENT = /^[A-Za-z0-9._~-]+$/;

/** Problems with a url_prefix for the generators ('' or '/a/b'). */
export function prefixProblems(prefix: string | undefined): string[] {
  const p = normalizePrefix(prefix);
  if (!p) return [];
  const bad = p.slice(1).split('/').filter((s) => !SEGMENT.test(s) || s === '.' || s === '..');
  return bad.length ? [`url-prefix: segments may hold only letters, digits and . _ ~ - (got "${bad.join('", "')}")`] : [];
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The SSO routes on a path already decoded (and, for nginx, cleaned) by the front, matched case-insensitively by the
 * caller: any run of slashes where Fleet has one, any API version segment (Fleet answers v1, 2022-04, latest), both
 * families (admin `fleet/sso`, MDM `fleet/mdm/sso`), initiate and callback, trailing slashes, with or without url_prefix.
 * Wider than Fleet's router, never narrower: what it sends too many, samlscope refuses visibly (EDGE_NOT_SSO_ROUTE).
 */
export function ssoPathRegex(prefix: string | undefined): string {
  const segs = normalizePrefix(prefix).split('/').filter(Boolean).map(escapeRegex);
  const pre = segs.length ? `(?:${segs.join('/+')}/+)?` : '';
  return `^/*${pre}api/+[^/]+/+fleet/+(?:mdm/+)?sso(?:/+callback)?/*$`;
}

/**
 * A `.` or `..` segment left in a decoded path (fronts that do not resolve them: Caddy's regexp and HAProxy): Fleet's
 * router cleans such a path, so it could land on an SSO route; it goes to samlscope, which judges or refuses it.
 */
export const DOT_SEGMENT_REGEX = '(?:^|/)\\.\\.?(?:/|$)';

/** The same test in JS (the table tests and the README of what is routed). */
export function routedToSamlscope(method: string, decodedPath: string, prefix: string | undefined, dotSegments: boolean): boolean {
  if (method !== 'POST') return false;
  if (new RegExp(ssoPathRegex(prefix), 'i').test(decodedPath)) return true;
  return dotSegments && new RegExp(DOT_SEGMENT_REGEX).test(decodedPath);
}

/** Every spelling Fleet routes, for the generated config's comment: route families and versions come from src/fleet/routes.ts. */
export function routeSummary(prefix: string | undefined): string[] {
  const p = normalizePrefix(prefix);
  return SSO_ROUTES.map((r) => `POST ${p}${r.path.replace('/api/v1/', r.versions.length > 1 ? `/api/{${r.versions.join(',')}}/` : `/api/${r.versions[0]}/`)}`);
}

export { FLEET_API_VERSIONS };
