// `samlscope login`: a headless SP-initiated SSO login through Fleet and the (mock) IdP; exit 0 only when Fleet issued a session token.
import { OptionReader, type CommandDef } from './options.js';
import { login, type LoginResult } from '../login/login.js';
import { AADSTS } from '../saml/aadsts.js';

/** Node's and undici's codes for a TLS certificate the client does not trust. */
const UNTRUSTED_TLS = /DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_UNTRUSTED|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH/;

/** What to do about a failed login, when samlscope knows: the AADSTS remedy, or how to trust a TLS certificate. */
export function loginRemedy(r: LoginResult): string | null {
  if (r.outcome === 'idp_error' && r.idpError) {
    const entry = AADSTS[r.idpError.code.replace(/^AADSTS/, '')];
    return entry ? `${r.idpError.code}: ${entry.meaning}. Fix: ${entry.remedy}` : null;
  }
  if (r.outcome === 'failed' && r.reason === 'transport' && UNTRUSTED_TLS.test(r.detail ?? '')) {
    return 'the TLS certificate is not trusted (self-signed or from an unknown CA): pass --ca FILE with the CA or self-signed certificate (PEM), or, for a test setup only, --insecure';
  }
  return null;
}

/** The readable report of one login. */
export function formatLogin(r: LoginResult): string {
  const lines = [`samlscope login: ${r.user} at ${r.fleetUrl}`];
  for (const s of r.steps) lines.push(`  ${s.step.padEnd(9)} ${s.method} ${s.url} → HTTP ${s.status}`);
  if (r.requestId) lines.push(`  AuthnRequest ID: ${r.requestId}`);
  switch (r.outcome) {
    case 'success':
      lines.push(`OK: Fleet issued a session token${r.redirect ? `, landing on ${r.redirect}` : ''}`, `token: ${r.token}`);
      break;
    case 'fleet_status':
      lines.push(`FAILED: Fleet answered /login?status=${r.fleetStatus}`);
      if (r.samlStatus) lines.push(`  the IdP posted a SAML error: ${r.samlStatus.code}${r.samlStatus.message ? `: ${r.samlStatus.message}` : ''}`);
      lines.push(`  ${hint(r.fleetStatus ?? '')}`);
      break;
    case 'idp_error':
      lines.push(`FAILED: the IdP refused the sign-in: ${r.idpError?.message ?? r.idpError?.code}`);
      if (r.idpError?.requestId) lines.push(`  Request Id: ${r.idpError.requestId}`);
      break;
    default:
      lines.push(`FAILED (${r.reason}): ${r.detail ?? ''}`);
      if (r.codes) lines.push(`  codes: ${r.codes.join(', ')}`);
  }
  const remedy = loginRemedy(r);
  if (remedy) lines.push(`  ${remedy}`);
  return lines.join('\n') + '\n';
}

function hint(status: string): string {
  switch (status) {
    case 'account_invalid': return 'no Fleet user has this email (Fleet Free has no JIT provisioning): create the user with SSO enabled';
    case 'account_disabled': return 'the Fleet user exists but is not SSO-enabled: edit the user, enable single sign-on';
    case 'org_disabled': return 'SSO is off in Fleet: Settings → Integrations → Single sign-on';
    default: return 'Fleet rejected the SAML response and keeps the reason in its server log; run samlscope proxy in front of Fleet to see it';
  }
}

export const loginCommand: CommandDef = {
  name: 'login',
  summary: 'log in to Fleet with SSO headlessly (mock IdP, CI); prints the session token',
  usage: 'samlscope login --fleet URL --user EMAIL [--relay-url /] [--fault NAME] [--insecure | --ca FILE] [--timeout SECONDS] [--json]',
  options: {
    fleet: { type: 'string', value: 'URL', description: "Fleet's URL (or the samlscope proxy's in front of it)" },
    user: { type: 'string', value: 'EMAIL', description: 'who signs in (sent to the IdP as login_hint)' },
    'relay-url': { type: 'string', value: 'PATH', description: 'where Fleet lands after login', default: '/' },
    fault: { type: 'string', value: 'NAME', description: 'ask the mock IdP for a fault (expired, wrong-audience, ...)' },
    insecure: { type: 'boolean', description: 'do not verify TLS certificates' },
    ca: { type: 'string', value: 'FILE', description: 'trust this CA certificate (PEM) too' },
    timeout: { type: 'string', value: 'SECONDS', description: 'per request', default: '120' },
    json: { type: 'boolean', description: 'print one JSON object' },
  },
  async run(args, io) {
    const o = new OptionReader(args);
    const fleet = o.url('fleet', true);
    const user = o.required('user', 'the email to sign in as');
    const timeout = o.int('timeout', 1, 3600) ?? 120;
    const { ca, insecure } = o.trust('ca', 'insecure');
    o.check();
    const r = await login({
      fleetUrl: fleet?.toString() ?? '', user, relayUrl: o.str('relay-url'), fault: o.str('fault'),
      insecure, ca, timeoutMs: timeout * 1000,
    });
    const remedy = loginRemedy(r);
    io.stdout(o.bool('json') ? JSON.stringify(remedy ? { ...r, remedy } : r) + '\n' : formatLogin(r));
    return r.ok ? 0 : 1;
  },
};
