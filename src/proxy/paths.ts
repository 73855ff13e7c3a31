// Which requests are SSO requests: paths normalised the way Fleet's router sees them (decoded, cleaned), so no spelling slips past.
import { FLEET_API_VERSIONS, normalizePrefix, routePathFor, SSO_ROUTES, type SsoRoute } from '../fleet/routes.js';

export type { SsoFlow, SsoRoute, SsoRouteKind } from '../fleet/routes.js';
export { FLEET_API_VERSIONS, normalizePrefix, SSO_ROUTES } from '../fleet/routes.js';

function lenientDecode(s: string): string {
  if (!s.includes('%')) return s;
  return s.replace(/(%[0-9a-fA-F]{2})+/g, (m) => {
    try {
      return decodeURIComponent(m);
    } catch {
      // not UTF-8: decode byte by byte as latin1 so it still cannot hide a '/' or '.'
      return m.replace(/%([0-9a-fA-F]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
  });
}

/** Go's path.Clean on an absolute path: collapse slashes, drop '.', resolve '..' (never above the root). */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') { out.pop(); continue; }
    out.push(seg);
  }
  return '/' + out.join('/');
}

/**
 * The path as Fleet's router (Go net/url decoding, gorilla/mux path cleaning) would match it, made stricter still:
 * backslashes count as slashes (WHATWG URL parsers turn them into slashes), case and a trailing slash are ignored.
 */
export function routingKey(rawUrl: string): string {
  // the query, and a fragment some servers strip from the request-target (Fastify's router does): neither is part of the route
  const q = rawUrl.search(/[?#]/);
  let p = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
  // absolute-form ("POST http://host/path HTTP/1.1"): Go's net/http routes it on its path, so do we
  p = p.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/, '');
  p = p.replace(/\\/g, '/');
  p = lenientDecode(p).replace(/\\/g, '/');
  return cleanPath(p).toLowerCase();
}

/** Builds the classifier for one url_prefix: POST requests only; anything else is never an SSO request. */
export function makeSsoClassifier(urlPrefix: string): (method: string | undefined, rawUrl: string) => SsoRoute | null {
  const prefix = routingKey(normalizePrefix(urlPrefix) || '/');
  const table = new Map<string, SsoRoute>();
  for (const r of SSO_ROUTES) {
    // every API version, even those Fleet does not route for this path (admin SSO is /api/v1/ only): stricter than
    // Fleet's router, so a future or mis-read registration cannot carry a callback past interception
    for (const v of FLEET_API_VERSIONS) {
      const path = routePathFor(r, v);
      table.set(path, r);
      if (prefix !== '/') table.set(prefix + path, r);
    }
  }
  return (method, rawUrl) => {
    if (method !== 'POST') return null;
    return table.get(routingKey(rawUrl)) ?? null;
  };
}

/** Agent and device traffic (osquery, orbit, fleetd, Fleet Desktop): its request logging can be turned down. */
const AGENT_PATH = /^(?:\/[^/?]+)*?\/api\/(?:osquery\/|v1\/osquery\/|fleet\/orbit\/|fleet\/device\/|fleetd\/|latest\/fleet\/device\/|v1\/fleet\/device\/)/;

export function isAgentPath(rawUrl: string): boolean {
  return AGENT_PATH.test(rawUrl);
}
