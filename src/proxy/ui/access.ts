// Who may see the admin UI: loopback binds are open, anything else needs the admin token (bearer header or login cookie), compared in constant time.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE_NAME = 'samlscope_admin';

/** 127.0.0.0/8, ::1, ::ffff:127.x and localhost; 0.0.0.0 and :: are every interface, not loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The problem with an admin listener, or null: a non-loopback bind needs a token. */
export function adminAccessProblem(host: string, token: string | undefined): string | null {
  if (token !== undefined && token.length < 16) return 'adminToken: at least 16 characters';
  if (!isLoopbackHost(host) && !token) return `adminToken: required when the admin listener binds to "${host}" (not loopback): the UI shows captured SAML content`;
  return null;
}

/** Constant-time equality of two secrets of any length: compares their SHA-256 digests with timingSafeEqual. */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The login cookie's value: derived from the token, so the cookie never carries the token itself. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('samlscope-admin-session-v1').digest('base64url');
}

export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE_NAME}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

function cookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** true when the request may see SAML content: no token configured (loopback), or a matching bearer token or login cookie. */
export function authorized(token: string | undefined, headers: { authorization?: string; cookie?: string }): boolean {
  if (!token) return true;
  const auth = headers.authorization ?? '';
  if (/^bearer /i.test(auth) && secretsEqual(auth.slice(7).trim(), token)) return true;
  const c = cookie(headers.cookie, SESSION_COOKIE_NAME);
  return c !== null && secretsEqual(c, sessionValue(token));
}
