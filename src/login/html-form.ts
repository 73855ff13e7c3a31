// Reads what a headless login needs from HTML: the auto-submitting SAML form, an Entra AADSTS error page, Fleet's answer page.
import { loginStatusIn, scriptRedirectIn, tokenInPage } from '../fleet/index.js';
export interface SamlForm {
  action: string;
  fields: Record<string, string>;
}

export function decodeHtmlEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos|#39);/g, (_m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e] ?? '';
  });
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  const inner = tag.replace(/^<[a-zA-Z]+/, '').replace(/\/?>$/, '');
  for (let m = re.exec(inner); m; m = re.exec(inner)) out[m[1].toLowerCase()] = decodeHtmlEntities(m[2] ?? m[3] ?? m[4] ?? '');
  return out;
}

/** The first POST form that carries a SAMLResponse or SAMLRequest, with its hidden fields. */
export function findSamlForm(html: string): SamlForm | null {
  const formRe = /<form\b[^>]*>([\s\S]*?)<\/form>/gi;
  for (let m = formRe.exec(html); m; m = formRe.exec(html)) {
    const open = /<form\b[^>]*>/i.exec(m[0])?.[0] ?? '';
    const fa = attrs(open);
    const fields: Record<string, string> = {};
    for (const input of m[1].match(/<input\b[^>]*>/gi) ?? []) {
      const a = attrs(input);
      if (a.name && (a.type ?? 'text').toLowerCase() !== 'submit') fields[a.name] = a.value ?? '';
    }
    if ((fa.method ?? 'get').toLowerCase() === 'post' && ('SAMLResponse' in fields || 'SAMLRequest' in fields)) return { action: fa.action ?? '', fields };
  }
  return null;
}

export interface AadstsError {
  /** e.g. AADSTS50105 */
  code: string;
  message: string;
  requestId: string | null;
  correlationId: string | null;
}

/** An Entra-style error page: the first AADSTSnnnnn code and its message. */
export function findAadstsError(html: string): AadstsError | null {
  const code = /AADSTS\d{4,6}/.exec(html)?.[0];
  if (!code) return null;
  const text = (re: RegExp) => {
    const m = re.exec(html);
    return m ? decodeHtmlEntities(m[1].replace(/<[^>]*>/g, '')).trim() : null;
  };
  const message = text(/id="error-message"[^>]*>([\s\S]*?)<\/p>/) ?? text(new RegExp(`(${code}:[^<]*)`)) ?? code;
  return { code, message, requestId: text(/id="request-id"[^>]*>([\s\S]*?)</), correlationId: text(/id="correlation-id"[^>]*>([\s\S]*?)</) };
}

/** Fleet's failure page sends the browser to .../login?status=<status> (src/fleet/answers.ts reads it). */
export const findFleetStatus = loginStatusIn;
/** Fleet's success page stores the token: cookie `__Host-token`/`token` (≥ 4.81.1) or localStorage FLEET::auth_token (older). */
export const findFleetToken = tokenInPage;
/** Where the success page sends the browser next. */
export const findScriptRedirect = scriptRedirectIn;
