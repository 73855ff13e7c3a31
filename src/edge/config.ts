// The input of every edge-config generator, checked once (every problem at once), and the trusted-proxy advice both servers need.
import { isIP } from 'node:net';
import { normalizePrefix } from '../fleet/routes.js';
import { prefixProblems } from './match.js';

export const FRONTS = ['nginx', 'caddy', 'haproxy'] as const;
export type Front = (typeof FRONTS)[number];

export interface Upstream {
  /** http: or https: */
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** CA file (a path written into the config, not read) that the upstream's certificate chains to; absent: the system store */
  ca?: string;
}

export interface EdgeInput {
  front: Front;
  fleet: Upstream;
  samlscope: Upstream;
  urlPrefix: string;
  /** HAProxy's frontend bind line (nginx and Caddy take yours) */
  bind: string;
  /** where the front's connections to samlscope and Fleet come from (CIDRs); default: loopback when both are on loopback */
  frontAddresses: string[];
  /** Fleet's server_url as users reach it, for the samlscope command line in the comments */
  publicUrl?: string;
}

export const DEFAULT_HAPROXY_BIND = ':443 ssl crt /etc/haproxy/certs/fleet.pem alpn h2,http/1.1';
const LOOPBACK = ['127.0.0.1/32', '::1/128'];

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/** host:port as configs write it (IPv6 in brackets). */
export function hostPort(u: Upstream): string {
  return `${u.host.includes(':') && !u.host.startsWith('[') ? `[${u.host}]` : u.host}:${u.port}`;
}

export function upstreamUrl(u: Upstream): string {
  return `${u.scheme}://${hostPort(u)}`;
}

/** Parses an upstream URL: origin only (scheme, host, port); problems named after the option. */
export function parseUpstream(option: string, raw: string | undefined, ca?: string): { value?: Upstream; problems: string[] } {
  if (!raw) return { problems: [`--${option}: required (an http(s) URL: scheme, host, port)`] };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { problems: [`--${option}: not a URL: "${raw}"`] };
  }
  const problems: string[] = [];
  if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push(`--${option}: must be http:// or https://`);
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username) problems.push(`--${option}: give the origin only (scheme, host, port): paths pass through as clients send them`);
  if (ca !== undefined && u.protocol !== 'https:') problems.push(`--${option}-ca: only for an https:// --${option}`);
  if (problems.length) return { problems };
  const scheme = u.protocol === 'https:' ? 'https' : 'http';
  const port = u.port ? Number(u.port) : scheme === 'https' ? 443 : 80;
  return { value: { scheme, host: u.hostname.replace(/^\[|\]$/g, ''), port, ...(ca ? { ca } : {}) }, problems };
}

function cidrProblem(s: string): string | null {
  const [addr, bits, ...rest] = s.split('/');
  const f = isIP(addr);
  if (f === 0 || rest.length > 0) return `--front-address: not an IP address or CIDR: "${s}"`;
  if (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (f === 4 ? 32 : 128))) return `--front-address: not an IP address or CIDR: "${s}"`;
  return null;
}

export interface RawEdgeArgs {
  front?: string;
  fleet?: string;
  samlscope?: string;
  fleetCa?: string;
  samlscopeCa?: string;
  urlPrefix?: string;
  bind?: string;
  frontAddresses?: string[];
  publicUrl?: string;
}

/** Checks the generator's input: every problem at once, each named after its option. */
export function parseEdgeInput(a: RawEdgeArgs): { input?: EdgeInput; problems: string[] } {
  const problems: string[] = [];
  if (!a.front) problems.push(`--for: required (${FRONTS.join(', ')})`);
  else if (!(FRONTS as readonly string[]).includes(a.front)) problems.push(`--for: one of ${FRONTS.join(', ')}, got "${a.front}"`);
  const fleet = parseUpstream('fleet', a.fleet, a.fleetCa);
  const samlscope = parseUpstream('samlscope', a.samlscope, a.samlscopeCa);
  problems.push(...fleet.problems, ...samlscope.problems, ...prefixProblems(a.urlPrefix));
  const frontAddresses = (a.frontAddresses ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const s of frontAddresses) { const p = cidrProblem(s); if (p) problems.push(p); }
  if (a.bind !== undefined && (!a.bind.trim() || /[\n#]/.test(a.bind))) problems.push('--bind: one HAProxy bind line without newlines or #');
  if (a.bind !== undefined && a.front && a.front !== 'haproxy') problems.push('--bind: only for --for haproxy (nginx and Caddy keep your own listen lines)');
  if (a.publicUrl !== undefined) {
    try { if (!/^https?:$/.test(new URL(a.publicUrl).protocol)) problems.push('--public-url: must be an http(s) URL'); } catch { problems.push(`--public-url: not a URL: "${a.publicUrl}"`); }
  }
  if (problems.length || !fleet.value || !samlscope.value) return { problems };
  return {
    problems,
    input: {
      front: a.front as Front, fleet: fleet.value, samlscope: samlscope.value, urlPrefix: normalizePrefix(a.urlPrefix),
      bind: a.bind?.trim() || DEFAULT_HAPROXY_BIND, frontAddresses, ...(a.publicUrl ? { publicUrl: a.publicUrl.replace(/\/+$/, '') } : {}),
    },
  };
}

export interface TrustAdvice {
  /** for `samlscope proxy --trusted-proxies`: the front's addresses, as samlscope sees them */
  samlscope: string;
  /** for Fleet's `server.trusted_proxies`: the front and samlscope, as Fleet sees them (right-most untrusted address wins) */
  fleet: string;
  /** what could not be derived and must be filled in */
  unknown: string[];
}

/**
 * Who must be trusted where. The front sets X-Forwarded-For to the client; samlscope appends the front's address; so
 * Fleet sees `client` from the front (agents) and `client, front` from samlscope (SSO): it must trust both hops.
 */
export function trustAdvice(i: EdgeInput): TrustAdvice {
  const unknown = new Set<string>();
  const given = i.frontAddresses;
  const or = (addrs: string[] | null, placeholder: string, what: string) => {
    if (addrs) return addrs;
    unknown.add(what);
    return [placeholder];
  };
  const frontWhat = 'the address the front connects from (--front-address)';
  // the front as samlscope sees it: loopback when samlscope listens there
  const frontToSamlscope = or(given.length ? given : isLoopback(i.samlscope.host) ? LOOPBACK : null, '<front address>', frontWhat);
  // the front as Fleet sees it (agents), and samlscope as Fleet sees it (SSO)
  const frontToFleet = or(given.length ? given : isLoopback(i.fleet.host) ? LOOPBACK : null, '<front address>', frontWhat);
  const samlscopeToFleet = or(isLoopback(i.fleet.host) && isLoopback(i.samlscope.host) ? LOOPBACK : isIP(i.samlscope.host) && !isLoopback(i.samlscope.host) ? [i.samlscope.host] : null,
    '<samlscope address>', 'the address samlscope connects to Fleet from');
  return { samlscope: frontToSamlscope.join(','), fleet: [...new Set([...frontToFleet, ...samlscopeToFleet])].join(','), unknown: [...unknown] };
}

/** The comment lines every generated config starts with: what it routes, and what to set on samlscope and Fleet. */
export function adviceLines(i: EdgeInput, routes: string[]): string[] {
  const t = trustAdvice(i);
  const publicUrl = i.publicUrl ?? '<Fleet server_url>';
  const prefix = i.urlPrefix ? ` --url-prefix ${i.urlPrefix}` : '';
  return [
    `samlscope edge routing for ${i.front} (generated by \`samlscope edge-config --for ${i.front}\`; docs/deploy.md)`,
    'To samlscope: every POST the front could hand to Fleet\'s SSO handlers, i.e. any spelling of',
    ...routes.map((r) => `  ${r}`),
    '(any case, any version segment, repeated or trailing slashes, percent-encoding). Everything else goes straight to Fleet.',
    'TLS stays here at the front. X-Forwarded-For / X-Real-IP are set to the client, X-Forwarded-Proto to the scheme',
    'the client used, Host is kept, a client\'s True-Client-IP is dropped.',
    `Run samlscope with: samlscope proxy --edge --listen ${hostPort(i.samlscope)} --upstream ${upstreamUrl(i.fleet)} --public-url ${publicUrl}${prefix} --trusted-proxies ${t.samlscope} --metadata ...`,
    `Fleet: server.trusted_proxies: "${t.fleet}" (FLEET_SERVER_TRUSTED_PROXIES, Fleet >= 4.80.1)`,
    ...(t.unknown.length ? [`Fill in: ${t.unknown.join('; ')}.`] : []),
  ];
}
