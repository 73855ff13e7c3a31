// The nginx snippet (inside your server {} block): a case-insensitive regex location on nginx's normalised $uri for SSO POSTs, everything else to Fleet.
import { adviceLines, upstreamUrl, type EdgeInput, type Upstream } from './config.js';
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

/** How nginx carries Fleet's own traffic: websockets (live queries), uploads streamed and unbounded, no deadline under 10 min. */
export function nginxFleetBlock(fleet: Upstream): string[] {
  return [
    `proxy_pass ${upstreamUrl(fleet)};`,
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

export function renderNginx(i: EdgeInput): string {
  const ind = (lines: string[]) => lines.map((l) => `    ${l}`);
  const out = [
    ...adviceLines(i, routeSummary(i.urlPrefix)).map((l) => `# ${l}`),
    '# Paste inside your server {} block, before any other regex location; remove your own locations that proxy to Fleet.',
    '# nginx matches locations on $uri: %XX decoded (%2F too), "." and ".." resolved, slashes merged; proxy_pass without a',
    '# URI still sends the request line exactly as the client wrote it, so samlscope and Fleet judge the same bytes.',
    `location ~* ${ssoPathRegex(i.urlPrefix)} {`,
    '    # only POST is samlscope\'s: GET /api/v1/fleet/sso (the login page\'s settings) goes to Fleet',
    '    error_page 418 = @samlscope_fleet;',
    '    if ($request_method != POST) { return 418; }',
    `    proxy_pass ${upstreamUrl(i.samlscope)};`,
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
  return out.join('\n') + '\n';
}
