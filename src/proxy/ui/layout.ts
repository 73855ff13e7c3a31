// The admin UI's page shell, its one stylesheet and its one script (served as files: the CSP allows no inline code), and the security headers.
import { escapeHtml as esc } from '../../html/escape.js';

/** Strict: only our own /static files; no inline script or style, no framing, forms post only to us. */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export const ADMIN_CSS = `body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1d;background:#fff}
header{background:#1f2a44;color:#fff;padding:.5em 1em;display:flex;gap:1.5em;align-items:center;flex-wrap:wrap}
header a{color:#fff}header .brand{font-weight:700}main{max-width:78em;margin:0 auto;padding:0 1em 3em}
a:focus,button:focus,input:focus,select:focus,tr:focus-within{outline:3px solid #ffbf47;outline-offset:1px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
code,pre{font:13px/1.4 ui-monospace,Menlo,Consolas,monospace}code{background:#f3f3f3;padding:0 .25em}
.badge{display:inline-block;border-radius:3px;padding:0 .45em;font-weight:600;font-size:90%}
.badge.accept{background:#d8f3dc;color:#0b5d1e}.badge.reject{background:#fde2e1;color:#8c1111}.badge.none{background:#eee;color:#444}
.badge.signed_in{background:#d8f3dc;color:#0b5d1e}.badge.fleet_rejected,.badge.saml_rejected,.badge.blocked{background:#fde2e1;color:#8c1111}.badge.no_idp_response{background:#fff1c2;color:#6b4500}.badge.in_progress{background:#e3ecfa;color:#1d3d7a}
tr.row-signed_in td:first-child{border-left:4px solid #2d8a4e}tr.row-fleet_rejected td:first-child,tr.row-saml_rejected td:first-child,tr.row-blocked td:first-child{border-left:4px solid #c0392b}tr.row-no_idp_response td:first-child{border-left:4px solid #c98a00}
.error{color:#a40e0e}.warning{color:#7a4d00}.info{color:#555}.ok{color:#0b5d1e}.muted{color:#5f5f5f;font-size:90%}
form.filters{display:flex;gap:1em;align-items:end;margin:1em 0;flex-wrap:wrap}form.filters label{display:flex;flex-direction:column;font-size:90%}
button,input,select{font:inherit;padding:.25em .5em}
ol.timeline{list-style:none;padding:0;display:flex;gap:.5em;flex-wrap:wrap}ol.timeline li{border:1px solid #ccd;border-radius:4px;padding:.4em .7em;min-width:12em}
ol.timeline li::after{content:""}ol.timeline .step{font-weight:600}
li.finding{margin:.6em 0;padding:.5em .7em;border-left:4px solid #ccc;background:#fafafa;list-style:none}
li.finding.error{border-color:#a40e0e;color:inherit}li.finding.warning{border-color:#c08000;color:inherit}li.finding.info{border-color:#888;color:inherit}
dl.ev{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.3em 0}dl.ev dt{font-weight:600}dl.ev dd{margin:0}
pre.xml{background:#f7f7f9;border:1px solid #ddd;padding:.6em;overflow:auto;max-height:40em}
pre.xml .line{display:block;white-space:pre}pre.xml .signed{background:#eef6ff;border-left:3px solid #2a5bd7}
pre.xml .hit{background:#fff1b8;font-weight:700}pre.xml .tn{color:#1f4fa8}pre.xml .an{color:#7a3e00}pre.xml .av{color:#0b5d1e}
pre.xml .signed-label{color:#2a5bd7;font-weight:600}pre.cmd{background:#1f2a44;color:#fff;padding:.6em;overflow:auto;white-space:pre-wrap;word-break:break-all}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}`;

/** Auto-refresh of the attempts table (paused while the keyboard or mouse is in it); the first highlighted XML element scrolled into its box. */
export const ADMIN_JS = `(function(){
var hit=document.querySelector('pre.xml .hit');
if(hit){var pre=hit.closest('pre');if(pre){pre.scrollTop+=hit.getBoundingClientRect().top-pre.getBoundingClientRect().top-pre.clientHeight/3;}}
var box=document.getElementById('attempts-box');
if(box&&box.getAttribute('data-refresh')){
  var ms=Number(box.getAttribute('data-refresh'))||5000;
  setInterval(function(){
    if(box.contains(document.activeElement)||box.matches(':hover'))return;
    fetch(location.href,{headers:{'accept':'text/html'},credentials:'same-origin'}).then(function(r){return r.ok?r.text():null}).then(function(h){
      if(h===null)return;var d=new DOMParser().parseFromString(h,'text/html');var n=d.getElementById('attempts-box');
      if(n)box.replaceChildren.apply(box,Array.prototype.slice.call(n.childNodes).map(function(c){return document.importNode(c,true)}));
    }).catch(function(){});
  },ms);
}
})();`;

export interface Nav {
  /** the current page, for aria-current */
  current: 'attempts' | 'metadata' | 'settings' | 'login' | 'none';
}

export function page(title: string, body: string, nav: Nav = { current: 'none' }): string {
  const link = (key: Nav['current'], href: string, label: string) =>
    `<a href="${href}"${nav.current === key ? ' aria-current="page"' : ''}>${label}</a>`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${esc(title)}</title><link rel="icon" href="/static/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/static/admin.css"></head><body>` +
    `<header><span class="brand">samlscope</span><nav aria-label="admin">${link('attempts', '/', 'Attempts')} · ${link('metadata', '/metadata', 'IdP metadata')} · ${link('settings', '/settings', 'Settings')} · <a href="/metrics">Metrics</a></nav></header>` +
    `<main id="main">${body}</main><script src="/static/admin.js"></script></body></html>`;
}
