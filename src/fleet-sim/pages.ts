// fleet-sim's HTML: the callback's success/failure pages (shaped like Fleet's) and tiny /login and / pages for browser demos.
import { escapeHtml as esc, jsStringLiteral as jsString } from '../html/escape.js';
import { INLINE_FAVICON_LINK } from '../html/favicon.js';
export type LoginStatus = 'error' | 'account_invalid' | 'account_disabled' | 'org_disabled';

const BANNER = '<p style="font:12px sans-serif;color:#a00">fleet-sim: a Fleet stand-in for tests, not Fleet</p>';

/** Success: the script stores the session token in a cookie (Fleet ≥ 4.81.1) and goes to the original URL. */
export function successPage(opts: { cookieName: string; token: string; redirect: string; secure: boolean }): string {
  const cookie = `${opts.cookieName}=${opts.token}; path=/; samesite=strict${opts.secure ? '; secure' : ''}`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8">${INLINE_FAVICON_LINK}<title>Fleet</title></head><body>${BANNER}` +
    `<p>Signed in. Redirecting...</p>` +
    `<script>document.cookie = ${jsString(cookie)}; window.location.href = ${jsString(opts.redirect)};</script></body></html>`;
}

/** Failure: a page whose script sends the browser to <prefix>/login?status=... (the detail stays in the server log). */
export function failurePage(location: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8">${INLINE_FAVICON_LINK}<title>Fleet</title></head><body>${BANNER}` +
    `<p>Redirecting...</p><script>window.location.href = ${jsString(location)};</script></body></html>`;
}

/** Wires the Sign on button: POST the initiate route (its URL in data-initiate), then follow the IdP URL it answers. */
const SSO_BUTTON_SCRIPT = `<script>document.getElementById('sso').addEventListener('click', function () {
  fetch(this.dataset.initiate, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ relay_url: '/' }) })
    .then(function (r) { return r.json(); }).then(function (j) { window.location.href = j.url; });
});</script>`;

/** /login: shows the status Fleet reported and offers SSO. */
export function loginPage(opts: { prefix: string; status: string | null; idpName: string; ssoEnabled: boolean }): string {
  const status = opts.status ? `<p id="status" data-status="${esc(opts.status)}">Login failed: status=${esc(opts.status)}</p>` : '';
  const button = opts.ssoEnabled
    ? `<button id="sso" type="button" data-initiate="${esc(opts.prefix + '/api/v1/fleet/sso')}">Sign on with ${esc(opts.idpName)}</button>` + SSO_BUTTON_SCRIPT
    : '<p>SSO is disabled</p>';
  return `<!DOCTYPE html><html><head><meta charset="utf-8">${INLINE_FAVICON_LINK}<title>Fleet login (fleet-sim)</title></head><body>${BANNER}<h1>Fleet</h1>${status}${button}</body></html>`;
}

/** /: shows whether the browser carries a session token, and for whom. */
export function homePage(opts: { email: string | null; prefix: string }): string {
  const body = opts.email
    ? `<p id="signed-in" data-email="${esc(opts.email)}">Signed in as ${esc(opts.email)}</p>`
    : `<p id="signed-out">Not signed in. <a href="${esc(opts.prefix)}/login">Log in</a></p>`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8">${INLINE_FAVICON_LINK}<title>Fleet (fleet-sim)</title></head><body>${BANNER}<h1>Fleet</h1>${body}</body></html>`;
}
