// The demo landing page's HTML (pure functions, every value escaped): scenarios, URLs, recent attempts and one attempt's diagnosis.
import type { Attempt } from '../proxy/attempt.js';
import { DEMO_SCENARIOS, DEMO_USERS, type DemoScenario } from './scenarios.js';
import { escapeHtml as esc } from '../html/escape.js';
import { INLINE_FAVICON_LINK } from '../html/favicon.js';

export interface LandingInfo {
  proxyUrl: string;
  adminUrl: string;
  idpUrl: string;
  fleetUrl: string;
  mode: 'observe' | 'enforce';
  entityId: string;
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70em;padding:0 1em 3em;color:#222}
.mock{background:#fff3cd;border:1px solid #e0b400;padding:.6em 1em;margin:1em 0;font-weight:600}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
a.btn{display:inline-block;padding:.3em .8em;border:1px solid #2a5bd7;border-radius:4px;text-decoration:none;color:#2a5bd7;white-space:nowrap}
code{background:#f3f3f3;padding:0 .25em}.error{color:#b00020}.warning{color:#8a5a00}.info{color:#555}.ok{color:#11772d}
.muted{color:#666;font-size:90%}`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `${INLINE_FAVICON_LINK}<title>${esc(title)}</title><style>${STYLE}</style></head><body>` +
    `<p class="mock" id="mock-banner">This is a demo with a MOCK Entra ID on loopback: fleet-sim stands in for Fleet, nothing talks to Microsoft, and the keys are for testing only.</p>` +
    body + '</body></html>';
}

function expectText(s: DemoScenario): string {
  if (s.expect === 'success') return 'Fleet signs the user in';
  if (s.expect === 'AADSTS50105') return 'Entra error page AADSTS50105 (nothing reaches Fleet)';
  return `Fleet answers /login?status=${s.expect}`;
}

export function attemptRows(attempts: readonly Attempt[], adminUrl: string): string {
  if (attempts.length === 0) return '<p id="no-attempts" class="muted">No SSO callback yet. Start a scenario above; its diagnosis shows up here.</p>';
  const rows = attempts.map((a) => {
    const codes = a.findings
      .filter((f) => f.severity !== 'info')
      .map((f) => `<span class="${esc(f.severity)}" title="${esc(f.title)}"><code>${esc(f.code)}</code></span>`)
      .join(' ') || '<span class="ok">no problems</span>';
    const verdictClass = a.verdict === 'accept' ? 'ok' : 'error';
    return `<tr data-attempt="${esc(a.id)}"><td class="muted">${esc(a.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</td>` +
      `<td>${esc(a.nameId ?? '(no NameID)')}</td><td class="${verdictClass}">${esc(a.verdict)}</td>` +
      `<td>${esc(a.fleet.predicted)} / ${esc(a.fleet.actual)}</td><td>${codes}</td>` +
      `<td><a href="/attempts/${encodeURIComponent(a.id)}">diagnosis</a> · <a href="${esc(adminUrl)}/api/attempts/${encodeURIComponent(a.id)}">JSON</a></td></tr>`;
  }).join('');
  return `<table id="attempts"><tr><th>time</th><th>NameID</th><th>samlscope verdict</th><th>Fleet predicted / actual</th><th>findings</th><th></th></tr>${rows}</table>`;
}

export function landingPage(info: LandingInfo, attempts: readonly Attempt[]): string {
  const scenarios = DEMO_SCENARIOS.map((s) =>
    `<tr data-scenario="${esc(s.id)}"><td><a class="btn" target="_blank" rel="noopener" href="/start?scenario=${encodeURIComponent(s.id)}">${esc(s.label)}</a></td>` +
    `<td>${esc(expectText(s))}${s.code ? `<br><code>${esc(s.code)}</code>` : ''}</td><td class="muted">${esc(s.story)}</td></tr>`).join('');
  const users = DEMO_USERS.map((u) => `<li><code>${esc(u.email)}</code>: ${esc(u.story)}</li>`).join('');
  const body = `<h1>samlscope demo</h1>
<p>samlscope's proxy stands in front of Fleet (here fleet-sim) and explains every SSO attempt. Each button starts the real
SP-initiated login through the proxy (<code>POST /api/v1/fleet/sso</code>, then the mock IdP with a login hint) in a new tab;
come back here for the diagnosis. Proxy mode: <b id="mode">${esc(info.mode)}</b>${info.mode === 'enforce' ? ' (rejected callbacks never reach Fleet)' : ' (logins are never changed)'}.</p>
<table id="scenarios"><tr><th>scenario</th><th>expected</th><th>why</th></tr>${scenarios}</table>
<h2>Recent SSO attempts <span class="muted">(from the proxy's admin API, refreshed every 3 s)</span></h2>
<div id="attempts-box">${attemptRows(attempts, info.adminUrl)}</div>
<h2>Where things are</h2>
<ul>
<li>Fleet as users reach it (the samlscope proxy, TLS with a self-signed cert): <a href="${esc(info.proxyUrl)}/login">${esc(info.proxyUrl)}</a></li>
<li>Diagnostics UI (admin listener: attempts, timeline, XML, remedies, metrics): <a id="admin-ui" href="${esc(info.adminUrl)}/">${esc(info.adminUrl)}/</a></li>
<li>Diagnosis API (admin listener): <a id="admin-attempts" href="${esc(info.adminUrl)}/api/attempts">${esc(info.adminUrl)}/api/attempts</a></li>
<li>MOCK Entra ID: <a href="${esc(info.idpUrl)}">${esc(info.idpUrl)}</a></li>
<li>fleet-sim directly (bypasses the proxy): ${esc(info.fleetUrl)}</li>
<li>Fleet's entity ID: <code>${esc(info.entityId)}</code></li>
</ul>
<h2>Demo users</h2><ul>${users}</ul>
<script>setInterval(function(){fetch('/attempts-fragment').then(function(r){return r.ok?r.text():null}).then(function(h){if(h!==null)document.getElementById('attempts-box').innerHTML=h}).catch(function(){})},3000)</script>`;
  return page('samlscope demo (MOCK IdP)', body);
}

export function attemptPage(a: Attempt, adminUrl: string): string {
  const findings = a.findings.map((f) =>
    `<li class="finding" data-code="${esc(f.code)}"><span class="${esc(f.severity)}">${esc(f.severity)}</span> <code>${esc(f.code)}</code> <b>${esc(f.title)}</b>` +
    `<br>${esc(f.message)}<br><span class="muted">Fix: ${esc(f.remedy)}</span></li>`).join('');
  const ar = a.session.authnRequest?.request;
  const body = `<p><a href="/">← demo</a></p><h1>SSO attempt <code>${esc(a.id)}</code></h1>
<table>
<tr><th>time</th><td>${esc(a.time)}</td></tr>
<tr><th>NameID</th><td>${esc(a.nameId ?? '(none)')}</td></tr>
<tr><th>samlscope verdict</th><td class="${a.verdict === 'accept' ? 'ok' : 'error'}">${esc(a.verdict)} (${esc(a.mode)} mode: ${esc(a.action)})</td></tr>
<tr><th>Fleet</th><td>predicted <b>${esc(a.fleet.predicted)}</b>, actually <b>${esc(a.fleet.actual)}</b>${a.fleet.answer?.location ? ` (${esc(a.fleet.answer.location)})` : ''}</td></tr>
<tr><th>AuthnRequest</th><td>${ar ? `<code>${esc(ar.id)}</code> recorded at initiate` : 'none matched (no or unknown SSO session cookie)'}</td></tr>
</table>
<h2>Findings</h2>${findings ? `<ul>${findings}</ul>` : '<p class="ok">No findings.</p>'}
<p><a href="${esc(adminUrl)}/api/attempts/${encodeURIComponent(a.id)}">Full report as JSON (with the decoded XML)</a></p>`;
  return page(`samlscope demo: attempt ${a.id}`, body);
}

export function messagePage(title: string, text: string): string {
  return page(title, `<p><a href="/">← demo</a></p><h1>${esc(title)}</h1><p>${esc(text)}</p>`);
}
