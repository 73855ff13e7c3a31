// A preflight report for people (a terminal summary, then each finding with its remedy) and for scripts (--json, shaped like check's).
import { renderFinding } from '../commands/report-text.js';
import type { PreflightReport } from './preflight.js';

/** The --json object: check's verdict/findings contract plus what preflight read. */
export function preflightJson(r: PreflightReport): object {
  return {
    verdict: r.verdict,
    findings: r.findings.map((f) => ({ code: f.code, severity: f.severity, title: f.title, message: f.message, remedy: f.remedy, ...(f.evidence ? { evidence: f.evidence } : {}) })),
    fleet: r.fleet,
    metadata: r.metadata,
    mockIdp: r.mockIdp,
    entra: r.entra,
    login: r.login,
    checkedAt: r.checkedAt,
  };
}

export function renderPreflight(r: PreflightReport): string {
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const warnings = r.findings.filter((f) => f.severity === 'warning').length;
  const out: string[] = [
    `${r.verdict === 'pass' ? 'PASS' : 'FAIL'}  (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}; checked at ${r.checkedAt})`,
    `fleet:       ${r.fleet.url}  (server_url ${r.fleet.serverUrl || '(none)'}${r.fleet.ssoServerUrl ? ', sso_server_url ' + r.fleet.ssoServerUrl : ''})`,
    `sso:         ${r.fleet.enableSso ? 'enabled' : 'DISABLED'}; entity ID ${r.fleet.entityId ? JSON.stringify(r.fleet.entityId) : '(none)'}`,
    `in Entra:    Identifier (Entity ID) = ${r.fleet.entityId || '(set an entity ID in Fleet first)'}`,
    `             Reply URL              = ${r.fleet.replyUrl ?? '(Fleet has no server_url)'}`,
  ];
  const md = r.metadata;
  if (!md) out.push('metadata:    none configured');
  else if (!md.ok) out.push(`metadata:    ${md.source.location}: ${md.error}`);
  else {
    out.push(`metadata:    ${md.source.location}${md.hadBom ? ' (UTF-8 BOM)' : ''}; entityID ${md.entityId}; Redirect SSO ${md.redirectSsoUrl ?? '(none)'}`);
    for (const c of md.certs) out.push(`  cert ${c.thumbprint}  until ${c.notAfter.slice(0, 10)}  (${c.daysLeft < 0 ? 'EXPIRED' : c.daysLeft + ' days left'})`);
  }
  if (r.entra) {
    out.push(`entra:       tenant ${r.entra.tenantId}; app ${r.entra.app ? `${r.entra.app.displayName} (${r.entra.app.appId}, found by ${r.entra.app.found.replace(/_/g, ' ')})` : '(not found)'}`
      + (r.entra.user ? `; user ${r.entra.user.upn}${r.entra.user.accountEnabled ? '' : ' (DISABLED)'}` : ''));
  }
  if (r.login.ran) out.push(`login:       ${r.login.user} through the mock IdP → ${r.login.outcome}${r.login.fleetStatus ? ' (status=' + r.login.fleetStatus + ')' : ''}${r.login.idpError ? ' (' + r.login.idpError + ')' : ''}`);
  else out.push(`login:       not run (${r.login.skipped === 'no_mock_idp' ? 'the IdP is not samlscope\'s mock; pass --idp to force' : r.login.skipped.replace(/_/g, ' ')})`);
  out.push('');
  for (const f of r.findings) out.push(renderFinding(f));
  return out.join('\n') + '\n';
}
