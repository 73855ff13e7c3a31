// samlscope edge-config: the routing for the user's own front proxy (nginx, Caddy, HAProxy), one pure renderer per front.
import { renderCaddy } from './caddy.js';
import type { EdgeInput, Front } from './config.js';
import { renderHaproxy } from './haproxy.js';
import { renderNginx } from './nginx.js';

export { DEFAULT_HAPROXY_BIND, FRONTS, parseEdgeInput, trustAdvice, type EdgeInput, type Front } from './config.js';
export { DOT_SEGMENT_REGEX, routedToSamlscope, ssoPathRegex } from './match.js';

const RENDERERS: Record<Front, (i: EdgeInput) => string> = { nginx: renderNginx, caddy: renderCaddy, haproxy: renderHaproxy };

export function renderEdgeConfig(i: EdgeInput): string {
  return RENDERERS[i.front](i);
}
