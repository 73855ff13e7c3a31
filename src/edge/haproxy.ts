// The HAProxy frontend + backend pair: ACLs on the %XX-decoded path (HAProxy normalises nothing) send SSO POSTs to samlscope, the rest to Fleet.
import { adviceLines, hostPort, type EdgeInput, type Upstream } from './config.js';
import { DOT_SEGMENT_REGEX, routeSummary, ssoPathRegex } from './match.js';

function serverLine(name: string, u: Upstream): string {
  const tls = u.scheme === 'https' ? ` ssl verify required ca-file ${u.ca ?? '@system-ca'} sni str(${u.host})` : '';
  return `    server ${name} ${hostPort(u)}${tls}`;
}

export function renderHaproxy(i: EdgeInput): string {
  const out = [
    ...adviceLines(i, routeSummary(i.urlPrefix)).map((l) => `# ${l}`),
    '# A whole frontend and its two backends: replace your own frontend for Fleet (keep your bind line in --bind).',
    '# HAProxy matches on the raw path: the ACLs decode %XX (url_dec), ignore case, allow repeated slashes, and send any',
    '# POST with a "." or ".." segment to samlscope as well (Fleet cleans such paths). Requests pass byte for byte.',
    'frontend samlscope_edge',
    '    mode http',
    `    bind ${i.bind}`,
    '    timeout client 10m',
    '    timeout http-request 30s',
    '    http-request del-header True-Client-IP',
    '    http-request set-header X-Forwarded-For %[src]',
    '    http-request set-header X-Real-IP %[src]',
    '    http-request set-header X-Forwarded-Proto https if { ssl_fc }',
    '    http-request set-header X-Forwarded-Proto http unless { ssl_fc }',
    `    acl samlscope_sso_path path,url_dec -i -m reg '${ssoPathRegex(i.urlPrefix)}'`,
    `    acl samlscope_dot_segment path,url_dec -m reg '${DOT_SEGMENT_REGEX}'`,
    '    use_backend samlscope if METH_POST samlscope_sso_path',
    '    use_backend samlscope if METH_POST samlscope_dot_segment',
    '    default_backend fleet',
    '',
    'backend samlscope',
    '    mode http',
    '    timeout connect 5s',
    '    timeout server 120s',
    serverLine('samlscope', i.samlscope),
    '',
    'backend fleet',
    '    mode http',
    '    timeout connect 5s',
    // live queries take ~100 s, uploads have no deadline; websockets stay open
    '    timeout server 10m',
    '    timeout tunnel 1h',
    serverLine('fleet', i.fleet),
  ];
  return out.join('\n') + '\n';
}
