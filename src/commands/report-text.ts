// Renders an analysis report for a terminal: verdict, who, and each finding with its remedy, on one screen.
import type { AnalysisReport, Finding } from '../saml/index.js';

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

export function renderReport(r: AnalysisReport): string {
  const out: string[] = [];
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const warnings = r.findings.filter((f) => f.severity === 'warning').length;
  out.push(`${r.verdict === 'accept' ? 'ACCEPT' : 'REJECT'}  (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}; checked at ${r.checkedAt})`);
  if (r.subject) out.push(`who:       ${r.subject.nameId}${r.subject.format ? '  (' + r.subject.format.replace(/^urn:oasis:names:tc:SAML:\d\.\d:nameid-format:/, '') + ')' : ''}`);
  if (r.response?.issuer || r.assertion?.issuer) out.push(`issuer:    ${r.assertion?.issuer ?? r.response?.issuer}`);
  if (r.signature) {
    out.push(`signed:    ${r.signature.signed}${r.signature.algorithm ? ', ' + r.signature.algorithm : ''}${r.signature.certThumbprint ? ', cert ' + r.signature.certThumbprint + ' (until ' + (r.signature.certNotAfter ?? '?').slice(0, 10) + ')' : ''}`);
  }
  if (r.findings.length > 0) out.push('');
  for (const f of r.findings) out.push(renderFinding(f));
  return out.join('\n') + '\n';
}
