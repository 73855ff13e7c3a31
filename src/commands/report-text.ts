// Renders an analysis report for a terminal: verdict, who, and each finding with its remedy, on one screen.
import type { AnalysisReport, Finding } from '../saml/index.js';
import type { CertComparison, ComparedCert } from '../saml/cert-comparison.js';

const MARK = { error: '✗', warning: '!', info: 'i' } as const;

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) { lines.push(line); line = w; } else line = line ? line + ' ' + w : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

export function renderFinding(f: Finding): string {
  return `${MARK[f.severity]} ${f.code}  ${f.title}\n${wrap(f.message, 96, '    ')}\n${wrap('→ ' + f.remedy, 96, '    ')}`;
}

function certLine(c: ComparedCert): string {
  const from = c.origin === 'response' ? `response (${c.where})` : `metadata (use ${c.where})`;
  const match = c.origin === 'response' ? (c.matches ? 'in the metadata' : 'NOT in the metadata') : (c.matches ? 'the response carries it' : '');
  const until = c.notAfter ? `until ${c.notAfter.slice(0, 10)}${c.daysLeft !== null && c.daysLeft < 0 ? ' (expired)' : ''}` : 'unparseable';
  return `  ${from.padEnd(30)} SHA-1 ${c.thumbprintSha1 ?? '?'}  ${until}${match ? '  ' + match : ''}\n${' '.repeat(33)}SHA-256 ${c.sha256}`;
}

/** The response's KeyInfo cert(s) and the metadata certs, SHA-1 as Entra's SAML Certificates panel shows it. */
export function renderCertComparison(c: CertComparison): string {
  const lines = ['certificates (thumbprint = SHA-1 as Entra shows it):'];
  if (c.response.length === 0) lines.push('  response: no KeyInfo certificate');
  for (const x of [...c.response, ...c.metadata]) lines.push(certLine(x));
  return lines.join('\n');
}

export function renderReport(r: AnalysisReport, certs?: CertComparison): string {
  const out: string[] = [];
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const warnings = r.findings.filter((f) => f.severity === 'warning').length;
  out.push(`${r.verdict === 'accept' ? 'ACCEPT' : 'REJECT'}  (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}; checked at ${r.checkedAt})`);
  if (r.subject) out.push(`who:       ${r.subject.nameId}${r.subject.format ? '  (' + r.subject.format.replace(/^urn:oasis:names:tc:SAML:\d\.\d:nameid-format:/, '') + ')' : ''}`);
  if (r.response?.issuer || r.assertion?.issuer) out.push(`issuer:    ${r.assertion?.issuer ?? r.response?.issuer}`);
  if (r.signature) {
    out.push(`signed:    ${r.signature.signed}${r.signature.algorithm ? ', ' + r.signature.algorithm : ''}${r.signature.certThumbprint ? ', cert ' + r.signature.certThumbprint + ' (until ' + (r.signature.certNotAfter ?? '?').slice(0, 10) + ')' : ''}`);
  }
  if (certs) out.push(renderCertComparison(certs));
  if (r.findings.length > 0) out.push('');
  for (const f of r.findings) out.push(renderFinding(f));
  return out.join('\n') + '\n';
}
