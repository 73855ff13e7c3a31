// The nginx routing: two keep-alive upstreams (http {} level) and a server {} part: a case-insensitive regex location on $uri for SSO POSTs, the rest to Fleet.
import { adviceLines, hostPort, type EdgeInput, type Upstream } from './config.js';
import { routeSummary, ssoPathRegex } from './match.js';

/** Headers both locations set: the client as nginx saw it (the front faces the clients: their own X-Forwarded-For is dropped). */
const CLIENT_HEADERS = [
  'proxy_set_header Host $http_host;',
  'proxy_set_header X-Forwarded-For $remote_addr;',
  'proxy_set_header X-Real-IP $remote_addr;',
  'proxy_set_header X-Forwarded-Proto $scheme;',
  'proxy_set_header True-Client-IP "";',
];

function tlsLines(u: Upstream): string[] {
  if (u.scheme !== 'https') return [];
  return [
    'proxy_ssl_server_name on;',
    `proxy_ssl_name ${u.host};`,
    'proxy_ssl_verify on;',
    `proxy_ssl_trusted_certificate ${u.ca ?? '/etc/ssl/certs/ca-certificates.crt'};`,
  ];
}

export const NGINX_UPSTREAMS = { fleet: 'samlscope_edge_fleet', samlscope: 'samlscope_edge_sso' } as const;

/**
 * The http {} part: named upstreams with idle keep-alive connections. Without them nginx opens a new connection (and,
 * to an https Fleet, a TLS handshake) per agent request: measured 0.27 × the throughput of the same nginx with them.
 */
export function nginxHttpPart(i: EdgeInput): string[] {
  // idle connections closed by nginx first (30 s), before Fleet or samlscope (72 s) could close one nginx is about to reuse
  const block = (name: string, u: Upstream, n: number) => [`upstream ${name} {`, `    server ${hostPort(u)};`, `    keepalive ${n};`, '    keepalive_timeout 30s;', '}'];
  return [...block(NGINX_UPSTREAMS.fleet, i.fleet, 64), ...block(NGINX_UPSTREAMS.samlscope, i.samlscope, 8)];
}

/** How nginx carries Fleet's own traffic: websockets (live queries), uploads streamed and unbounded, no deadline under 10 min. */
export function nginxFleetBlock(fleet: Upstream): string[] {
  return [
    `proxy_pass ${fleet.scheme}://${NGINX_UPSTREAMS.fleet};`,
    'proxy_http_version 1.1;',
    ...CLIENT_HEADERS,
    'proxy_set_header Upgrade $http_upgrade;',
    'proxy_set_header Connection $http_connection;',
    ...tlsLines(fleet),
    'client_max_body_size 0;',
    'proxy_request_buffering off;',
    'proxy_buffering off;',
    'proxy_read_timeout 600s;',
    'proxy_send_timeout 600s;',
  ];
}

/** The server {} part. */
export function nginxServerPart(i: EdgeInput): string[] {
  const ind = (lines: string[]) => lines.map((l) => `    ${l}`);
  return [
    '# nginx matches locations on $uri: %XX decoded (%2F too), "." and ".." resolved, slashes merged; proxy_pass without a',
    '# URI still sends the request line exactly as the client wrote it, so samlscope and Fleet judge the same bytes.',
    `location ~* ${ssoPathRegex(i.urlPrefix)} {`,
    '    # only POST is samlscope\'s: GET /api/v1/fleet/sso (the login page\'s settings) goes to Fleet',
    '    error_page 418 = @samlscope_fleet;',
    '    if ($request_method != POST) { return 418; }',
    `    proxy_pass ${i.samlscope.scheme}://${NGINX_UPSTREAMS.samlscope};`,
    '    proxy_http_version 1.1;',
    ...ind(CLIENT_HEADERS),
    '    proxy_set_header Connection "";',
    ...ind(tlsLines(i.samlscope)),
    '    # Fleet caps the callback at 256 KiB; samlscope sees up to 1 MiB to report what Fleet refuses',
    '    client_max_body_size 1m;',
    '    proxy_read_timeout 120s;',
    '}',
    'location @samlscope_fleet {',
    ...ind(nginxFleetBlock(i.fleet)),
    '}',
    'location / {',
    ...ind(nginxFleetBlock(i.fleet)),
    '}',
  ];
}

export const NGINX_SERVER_MARK = '# ---- part 2: inside your server {} block';

export function renderNginx(i: EdgeInput): string {
  return [
    ...adviceLines(i, routeSummary(i.urlPrefix)).map((l) => `# ${l}`),
    '# ---- part 1: at http {} level (on Debian: a file in /etc/nginx/conf.d/), once',
    ...nginxHttpPart(i),
    `${NGINX_SERVER_MARK}, before any other regex location; remove your own locations that proxy to Fleet`,
    ...nginxServerPart(i),
  ].join('\n') + '\n';
}
