// HTML pages of the mock IdP (error page, user picker, auto-posting form, index); every value escaped, every page says MOCK.
import type { UserConfig } from './config.js';
import { escapeHtml } from '../html/escape.js';
import { INLINE_FAVICON_LINK } from '../html/favicon.js';

const BANNER = '<div id="mock-banner" style="background:#b00020;color:#fff;padding:6px 12px;font:bold 14px sans-serif">MOCK Entra ID (samlscope): not Microsoft. For tests only; it signs anything asked of it.</div>';

function layout(title: string, body: string, script = ''): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">${INLINE_FAVICON_LINK}<title>${escapeHtml(title)} (MOCK)</title>` +
    '<style>body{margin:0;font-family:Segoe UI,Arial,sans-serif;background:#f2f2f2}main{max-width:440px;margin:40px auto;background:#fff;padding:32px;box-shadow:0 2px 6px rgba(0,0,0,.2)}' +
    'button.user{display:block;width:100%;text-align:left;padding:10px;margin:6px 0;border:1px solid #ccc;background:#fff;cursor:pointer}dl{font-size:12px;color:#555}dt{font-weight:bold}</style>' +
    `</head><body>${BANNER}<main>${body}</main>${script}</body></html>`;
}

export interface ErrorPageInfo {
  aadsts: number;
  text: string;
  requestId: string;
  correlationId: string;
  timestamp: Date;
}

/** Entra's "Sorry, but we're having trouble signing you in." page, with the AADSTS code, Request Id, Correlation Id, Timestamp. */
export function errorPage(e: ErrorPageInfo): string {
  const code = `AADSTS${e.aadsts}`;
  return layout('Sign in to your account', `<h1>Sign in</h1><p>Sorry, but we’re having trouble signing you in.</p>` +
    `<p id="error-message"><span id="error-code">${code}</span>: ${escapeHtml(e.text)}</p>` +
    `<dl><dt>Request Id</dt><dd id="request-id">${escapeHtml(e.requestId)}</dd><dt>Correlation Id</dt><dd id="correlation-id">${escapeHtml(e.correlationId)}</dd>` +
    `<dt>Timestamp</dt><dd id="timestamp">${escapeHtml(e.timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z'))}</dd><dt>Message</dt><dd>${code} (MOCK)</dd></dl>`);
}

/** The account picker: one button per configured user; posts the pending request's handle back. */
export function pickerPage(action: string, ctx: string, users: UserConfig[], appName: string): string {
  const buttons = users.map((u) =>
    `<button class="user" type="submit" name="login_hint" value="${escapeHtml(u.upn)}"><strong>${escapeHtml(u.displayName || u.upn)}</strong><br><small>${escapeHtml(u.upn)}</small></button>`).join('');
  return layout('Pick an account', `<h1>Pick an account</h1><p>to continue to ${escapeHtml(appName)} (MOCK: no password asked)</p>` +
    `<form method="POST" action="${escapeHtml(action)}"><input type="hidden" name="ctx" value="${escapeHtml(ctx)}">${buttons}</form>`);
}

/** The auto-submitting form that carries SAMLResponse (and RelayState) to the ACS URL, as Entra's does. */
export function autoPostPage(acsUrl: string, samlResponseB64: string, relayState?: string): string {
  const relay = relayState !== undefined ? `<input type="hidden" name="RelayState" value="${escapeHtml(relayState)}" />` : '';
  return layout('Working...', `<p>Signing you in (MOCK)...</p><form method="POST" name="hiddenform" action="${escapeHtml(acsUrl)}">` +
    `<input type="hidden" name="SAMLResponse" value="${escapeHtml(samlResponseB64)}" />${relay}` +
    '<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form>',
  '<script>document.forms[0].submit();</script>');
}

export function messagePage(title: string, text: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`);
}

export function indexPage(tenantUrl: string, metadataUrl: string, apps: Array<{ name: string; identifier: string }>): string {
  const list = apps.map((a) => `<li>${escapeHtml(a.name)}: Identifier <code>${escapeHtml(a.identifier)}</code>, <a href="${escapeHtml(`${tenantUrl}/launch?app=${encodeURIComponent(a.identifier)}`)}">launch (IdP-initiated)</a></li>`).join('');
  return layout('Mock Entra ID', `<h1>Mock Entra ID</h1><p>Login URL: <code>${escapeHtml(tenantUrl)}/saml2</code></p>` +
    `<p>App Federation Metadata Url: <a href="${escapeHtml(metadataUrl)}">${escapeHtml(metadataUrl)}</a></p><ul>${list}</ul>`);
}
