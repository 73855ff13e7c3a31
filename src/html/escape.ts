// Escaping for everything samlscope renders: SAML content is hostile, so every page goes through these two.

/** Text or attribute content for HTML (and XML): & < > " ' escaped. */
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A JavaScript string literal that is safe inside a <script> element. */
export function jsStringLiteral(s: string): string {
  return JSON.stringify(s).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
