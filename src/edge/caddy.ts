// The Caddy snippet (inside your site block): a path_regexp on Caddy's decoded path for SSO POSTs (dot segments too), everything else to Fleet.
import { adviceLines, hostPort, type EdgeInput, type Upstream } from './config.js';
import { DOT_SEGMENT_REGEX, routeSummary, ssoPathRegex } from './match.js';

function proxyLines(u: Upstream, extra: string[]): string[] {
  const tls = u.scheme === 'https' ? ['\ttransport http {', ...(u.ca ? [`\t\ttls_trusted_ca_certs ${u.ca}`] : ['\t\ttls']), '\t}'] : [];
  return [
    `reverse_proxy ${u.scheme}://${hostPort(u)} {`,
    // Caddy sets X-Forwarded-For (a client's own dropped: no trusted_proxies), X-Forwarded-Proto and keeps Host
    '\theader_up X-Real-IP {remote_host}',
    '\theader_up -True-Client-IP',
    ...extra,
    ...tls,
    '}',
  ];
}

export function renderCaddy(i: EdgeInput): string {
  const ind = (lines: string[]) => lines.map((l) => `\t${l}`);
  // Caddy's path_regexp sees the %XX-decoded path (%2F included) but does not resolve "." and "..": those go to samlscope too
  const re = `(?i)^(?:${ssoPathRegex(i.urlPrefix).slice(1, -1)}|.*${DOT_SEGMENT_REGEX}.*)$`;
  const out = [
    ...adviceLines(i, routeSummary(i.urlPrefix)).map((l) => `# ${l}`),
    '# Paste inside your site block (it keeps your address and TLS); remove your own reverse_proxy to Fleet.',
    '# path_regexp matches the decoded path; requests reach samlscope and Fleet with the client\'s own request line.',
    '@samlscope_sso {',
    '\tmethod POST',
    `\tpath_regexp samlscope_sso \`${re}\``,
    '}',
    'handle @samlscope_sso {',
    ...ind(proxyLines(i.samlscope, [])),
    '}',
    'handle {',
    // websockets and streamed bodies work by default; flush at once for long polls
    ...ind(proxyLines(i.fleet, ['\tflush_interval -1'])),
    '}',
  ];
  return out.join('\n') + '\n';
}
