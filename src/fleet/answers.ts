// What Fleet's SSO callback answers: the success page (token, next URL), the failure page (/login?status=...), the MDM redirect.
import { MDM_BROWSER_CALLBACK_PATH } from './routes.js';
import { LEGACY_TOKEN_STORAGE_KEY, LOGIN_STATUSES, TOKEN_COOKIE_NAMES, type LoginStatus } from './rules.js';

const LOGIN_STATUS = /\/login\?(?:[^"'\s<>]*&)?status=([a-z_]+)/;
const COOKIE_TOKEN = new RegExp(`(?:^|[^A-Za-z0-9_-])(?:${TOKEN_COOKIE_NAMES.map((n) => n.replace(/-/g, '\\-')).join('|')})=([^;"'\\s]+)`);
const STORAGE_TOKEN = new RegExp(`${LEGACY_TOKEN_STORAGE_KEY.replace(/[:]/g, '\\:')}['"]\\s*(?:,|\\]\\s*=)\\s*['"]([^'"]+)['"]`);
const SCRIPT_REDIRECT = /window\.location(?:\.href)?\s*=\s*("(?:[^"\\]|\\.)*")/;

/** The `status=` a failure page (or a Location) sends the browser to; null when there is none. */
export function loginStatusIn(text: string): string | null {
  return LOGIN_STATUS.exec(text)?.[1] ?? null;
}

/** A status= value as Fleet's closed vocabulary; an unknown one counts as `error`. */
export function asLoginStatus(s: string): LoginStatus {
  return (LOGIN_STATUSES as readonly string[]).includes(s) ? (s as LoginStatus) : 'error';
}

/** The session token the success page stores: the token cookie (≥ 4.81.1) or localStorage FLEET::auth_token (older). */
export function tokenInPage(html: string): string | null {
  return COOKIE_TOKEN.exec(html)?.[1] ?? STORAGE_TOKEN.exec(html)?.[1] ?? null;
}

/** True when a Set-Cookie list carries a non-empty token cookie. */
export function tokenCookieSet(setCookies: readonly string[]): boolean {
  return setCookies.some((c) => TOKEN_COOKIE_NAMES.some((n) => c.startsWith(n + '=') && !c.startsWith(n + '=;') && c.length > n.length + 1));
}

/** Where the success page's script sends the browser next. */
export function scriptRedirectIn(html: string): string | null {
  const m = SCRIPT_REDIRECT.exec(html);
  if (!m) return null;
  try {
    return JSON.parse(m[1]) as string;
  } catch {
    return null;
  }
}

/** The MDM callback's answer: a redirect to <prefix>/mdm/sso/callback?enrollment_reference=... or ?error=true; null when it is not one. */
export function mdmRedirectOutcome(location: string): 'success' | 'error' | null {
  if (!location.includes(MDM_BROWSER_CALLBACK_PATH + '?')) return null;
  return /[?&]error=true/.test(location) ? 'error' : 'success';
}
