// The admin UI's pages as pure functions of their data (every value escaped: SAML content is hostile): attempts, one attempt, metadata, settings, login.
import type { Attempt } from '../attempt.js';
import type { ExpectedLogin } from '../store.js';
import { OUTCOMES, OUTCOME_VALUES, type Finding, type Outcome } from '../../saml/findings.js';
import type { IdpMetadata, MetadataCert } from '../../saml/types.js';
import type { MetadataStatus } from '../metadata-source.js';
import { escapeHtml as esc } from '../../html/escape.js';
import { page } from './layout.js';
import { xmlToHtml } from './xml-view.js';
import { compareSigningCerts, type ComparedCert } from '../../saml/cert-comparison.js';
import { untrustedNameId } from '../../saml/untrusted-nameid.js';
import { oneFindingPerCode, type ListedFinding } from './finding-groups.js';

export interface AttemptFilter {
  outcome: Outcome | null;
  verdict: 'accept' | 'reject' | null;
  user: string;
}

/** The filter from the query string; anything unknown is ignored. */
export function readFilter(q: Record<string, unknown>): AttemptFilter {
  const v = typeof q.verdict === 'string' ? q.verdict : '';
  const o = typeof q.outcome === 'string' ? q.outcome : '';
  const user = typeof q.user === 'string' ? q.user.trim().slice(0, 200) : '';
  return { outcome: (OUTCOME_VALUES as string[]).includes(o) ? (o as Outcome) : null, verdict: v === 'accept' || v === 'reject' ? v : null, user };
}

export function applyFilter(list: readonly Attempt[], f: AttemptFilter): Attempt[] {
  const u = f.user.toLowerCase();
  return list.filter((a) => (f.outcome === null || a.outcome === f.outcome) && (f.verdict === null || a.verdict === f.verdict) && (u === '' || (a.nameId ?? '').toLowerCase().includes(u)));
}

function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function badge(verdict: 'accept' | 'reject' | null): string {
  if (verdict === null) return '<span class="badge none" data-verdict="none">no SAML</span>';
  return `<span class="badge ${verdict === 'accept' ? 'accept' : 'reject'}" data-verdict="${esc(verdict)}">${esc(verdict)}</span>`;
}

/** For a login that never came back: the likely causes, most likely first, and the form to paste Entra's error page. */
function entraSection(a: Attempt): string {
  const reported = a.entraErrors ?? [];
  if (a.outcome !== 'no_idp_response' && reported.length === 0) return '';
  const causes = (a.findings.find((f) => f.code === 'SAML_IDP_NO_RESPONSE')?.evidence?.likelyCauses ?? []) as { aadsts: string; why: string; remedy: string }[];
  const ranked = causes.length > 0
    ? `<p>Likely causes, most likely first (Entra shows the real one on its error page):</p><ol id="likely-causes">${causes.map((c) => `<li data-aadsts="${esc(c.aadsts)}"><b>AADSTS${esc(c.aadsts)}</b>: ${esc(c.why)}.<br><span class="muted">Fix: ${esc(c.remedy)}</span></li>`).join('')}</ol>`
    : '';
  const list = reported.length > 0
    ? `<ul id="entra-errors">${reported.map((e) => `<li data-aadsts="${esc(e.code)}"><b>AADSTS${esc(e.code)}</b>: ${esc(e.meaning ?? 'not in samlscope\'s table')}${e.remedy ? `<br>Fix: ${esc(e.remedy)}` : ''}</li>`).join('')}</ul>`
    : '';
  return `<section id="entra-error" aria-labelledby="entra-error-h"><h2 id="entra-error-h">Entra's side</h2>${list}${ranked}
<form method="post" action="${attemptHref(a.id, '/entra-error')}"><label for="aadsts-text">Paste the error text Entra showed (it names an AADSTS code)</label><br><textarea id="aadsts-text" name="text" rows="3" cols="80" maxlength="2000" required></textarea><br><button type="submit">Explain and keep with this login</button></form></section>`;
}

/** The login's outcome, first on every row and page: what became of it, with Fleet's status= when Fleet refused. */
function outcomeBadge(a: Pick<Attempt, 'outcome' | 'fleetStatus'>): string {
  const label = a.outcome.replace(/_/g, ' ') + (a.fleetStatus ? ` (${a.fleetStatus})` : '');
  return `<span class="badge outcome ${esc(a.outcome)}" data-outcome="${esc(a.outcome)}" title="${esc(OUTCOMES[a.outcome])}">${esc(label)}</span>`;
}

function attemptHref(id: string, suffix = ''): string {
  return esc(`/attempts/${encodeURIComponent(id)}${suffix}`);
}

export function attemptsTable(attempts: readonly Attempt[]): string {
  if (attempts.length === 0) return '<p id="no-attempts" class="muted">No SSO attempt matches. Attempts appear here when a browser posts to Fleet\'s SSO callback through the proxy.</p>';
  const rows = attempts.map((a) => {
    const codes = oneFindingPerCode(a.findings).filter((f) => f.severity !== 'info')
      .map((f) => `<code class="${esc(f.severity)}" data-code="${esc(f.code)}">${esc(f.code)}</code>`).join(' ') || '<span class="ok">none</span>';
    return `<tr data-attempt="${esc(a.id)}" class="row-${esc(a.outcome)}"><td>${outcomeBadge(a)}</td><td><a href="${attemptHref(a.id)}">${esc(shortTime(a.time))}</a></td>` +
      `<td class="user">${esc(a.nameId ?? (a.outcome === 'no_idp_response' ? '(unknown: no callback)' : '(no NameID)'))}</td><td>${badge(a.verdict)}</td><td class="codes">${codes}</td>` +
      `<td data-fleet="${esc(a.fleet.actual)}">${esc(a.fleet.actual)}${(a.fleet.predicted === 'success') !== (a.fleet.actual === 'success') ? ` <span class="muted">(predicted ${esc(a.fleet.predicted)})</span>` : ''}</td></tr>`;
  }).join('');
  return `<table id="attempts"><caption class="visually-hidden">SSO attempts, newest first</caption><thead><tr><th scope="col">outcome</th><th scope="col">time</th><th scope="col">user (NameID)</th><th scope="col">SAML verdict</th><th scope="col">findings</th><th scope="col">Fleet's answer</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Logins Fleet started whose callback has not come yet (outcome in_progress): who, when, and when they count as no response. */
export function inProgressTable(expected: readonly ExpectedLogin[]): string {
  if (expected.length === 0) return '';
  const rows = expected.map((e) => `<tr data-authn-request="${esc(e.rec.request.id ?? '')}"><td>${outcomeBadge({ outcome: 'in_progress', fleetStatus: null })}</td><td>${esc(shortTime(e.rec.recordedAt))}</td><td>${esc(e.rec.flow)}</td><td><code>${esc(e.rec.request.id ?? '(no ID)')}</code></td><td>${esc(e.rec.client?.ip ?? '')}</td><td>${esc(shortTime(e.deadline))}</td></tr>`).join('');
  return `<table id="in-progress"><caption>Logins waiting for their callback</caption><thead><tr><th scope="col">outcome</th><th scope="col">started</th><th scope="col">flow</th><th scope="col">AuthnRequest</th><th scope="col">client</th><th scope="col">no response after</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function listPage(attempts: readonly Attempt[], f: AttemptFilter, refreshMs: number, expected: readonly ExpectedLogin[] = []): string {
  const opt = (v: string, label: string) => `<option value="${v}"${(f.verdict ?? '') === v ? ' selected' : ''}>${label}</option>`;
  const body = `<h1>SSO attempts</h1>
<form class="filters" method="get" action="/" role="search">
<label for="f-outcome">Outcome<select id="f-outcome" name="outcome"><option value=""${f.outcome === null ? ' selected' : ''}>any</option>${OUTCOME_VALUES.map((o) => `<option value="${o}"${f.outcome === o ? ' selected' : ''}>${o.replace(/_/g, ' ')}</option>`).join('')}</select></label>
<label for="f-verdict">Verdict<select id="f-verdict" name="verdict">${opt('', 'any')}${opt('accept', 'accept')}${opt('reject', 'reject')}</select></label>
<label for="f-user">User contains<input id="f-user" name="user" type="search" value="${esc(f.user)}" autocomplete="off"></label>
<button type="submit">Filter</button>${f.outcome || f.verdict || f.user ? ' <a href="/">clear</a>' : ''}
</form>
<div id="attempts-box" data-refresh="${refreshMs}" aria-live="polite">${inProgressTable(expected)}${attemptsTable(attempts)}</div>
<p class="muted">Refreshes every ${Math.round(refreshMs / 1000)} s (paused while the pointer or focus is in the table). JSON: <a href="/api/attempts">/api/attempts</a>.</p>`;
  return page('samlscope: SSO attempts', body, { current: 'attempts' });
}

function evidenceHtml(f: Pick<Finding, 'evidence'>): string {
  const ev = f.evidence;
  if (!ev) return '';
  const show = (v: unknown) => `<code>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</code>`;
  const items: string[] = [];
  if ('expected' in ev || 'actual' in ev) {
    items.push(`<dt>expected</dt><dd class="expected">${show(ev.expected ?? null)}</dd><dt>actual</dt><dd class="actual">${show(ev.actual ?? null)}</dd>`);
  }
  for (const [k, v] of Object.entries(ev)) if (k !== 'expected' && k !== 'actual') items.push(`<dt>${esc(k)}</dt><dd>${show(v)}</dd>`);
  return `<dl class="ev">${items.join('')}</dl>`;
}

function findingHtml(f: Finding): string {
  return `<li class="finding ${esc(f.severity)}" data-code="${esc(f.code)}"><span class="${esc(f.severity)}">${esc(f.severity)}</span> <code>${esc(f.code)}</code> <b>${esc(f.title)}</b>` +
    `<div>${esc(f.message)}</div>${evidenceHtml(f)}<div class="remedy"><b>Fix:</b> ${esc(f.remedy)}</div></li>`;
}

/** A finding that occurred in several places (one per code): every message, and each place's evidence. */
function listedFindingHtml(f: ListedFinding): string {
  if (f.places.length < 2) return findingHtml(f);
  const places = f.places.map((ev, i) => `<div class="place" data-place="${i + 1}"${typeof ev?.element === 'string' ? ` data-element="${esc(ev.element)}"` : ''}>${evidenceHtml({ evidence: ev })}</div>`).join('');
  return `<li class="finding ${esc(f.severity)}" data-code="${esc(f.code)}" data-places="${f.places.length}"><span class="${esc(f.severity)}">${esc(f.severity)}</span> <code>${esc(f.code)}</code> <b>${esc(f.title)}</b> <span class="muted">(${f.places.length} places)</span>` +
    `<div>${esc(f.message)}</div>${places}<div class="remedy"><b>Fix:</b> ${esc(f.remedy)}</div></li>`;
}

/** A signed duration for the timeline: +1.2 s, −2 h 00 min (U+2212 minus), +15 min 03 s. */
export function formatOffset(deltaMs: number): string {
  const sign = deltaMs < 0 ? '\u2212' : '+';
  const abs = Math.abs(deltaMs) / 1000;
  if (abs < 120) return `${sign}${abs.toFixed(1)} s`;
  const totalS = Math.round(abs);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const sec = totalS % 60;
  return h > 0 ? `${sign}${h} h ${String(m).padStart(2, '0')} min` : `${sign}${m} min ${String(sec).padStart(2, '0')} s`;
}

function ms(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${v} ms`;
}

function offset(from: string | null | undefined, to: string | null | undefined): string {
  if (!from || !to) return '';
  const d = Date.parse(to) - Date.parse(from);
  return Number.isNaN(d) ? '' : ` <span class="offset" data-offset-ms="${d}">(${formatOffset(d)}${d < 0 ? ' before the AuthnRequest' : ''})</span>`;
}

/** Step 4 of the timeline: Fleet's answer, or that the callback never reached Fleet (enforce mode blocked it). */
function fleetStepHtml(a: Attempt): string {
  const head = `<span class="step">4. Fleet's answer</span><br><b data-fleet="${esc(a.fleet.actual)}">${esc(a.fleet.actual)}</b> (predicted ${esc(a.fleet.predicted)})<br>`;
  if (a.action === 'blocked') {
    return `${head}<span class="muted" data-reached-fleet="false">never reached Fleet: blocked by samlscope (${esc(a.mode)} mode), which answered the browser itself; total ${ms(a.timings.totalMs)}</span>`;
  }
  return `${head}<span class="muted" data-reached-fleet="true">HTTP ${esc(a.fleet.answer?.status ?? '—')} in ${ms(a.timings.upstreamMs)}${a.fleet.answer?.location ? ` → ${esc(a.fleet.answer.location)}` : ''}; total ${ms(a.timings.totalMs)}; ${esc(a.mode)} mode: ${esc(a.action)}</span>`;
}

export function daysLeft(notAfter: string, now: Date): number {
  return Math.floor((Date.parse(notAfter) - now.getTime()) / 86_400_000);
}

function certRows(c: MetadataCert, now: Date): string {
  const days = daysLeft(c.notAfter, now);
  const cls = days < 0 ? 'error' : days < 30 ? 'warning' : 'ok';
  return `<tr data-thumbprint="${esc(c.thumbprintSha1)}"><td><code>${esc(c.thumbprintSha1)}</code></td><td>${esc(c.subject)}</td><td>${esc(c.notBefore)}</td><td>${esc(c.notAfter)}</td><td class="${cls}" data-days="${days}">${days}</td><td>${esc(c.use)}</td></tr>`;
}

function certTable(certs: readonly MetadataCert[], now: Date): string {
  if (certs.length === 0) return '<p class="error">No certificate.</p>';
  return `<table class="certs"><thead><tr><th scope="col">thumbprint (SHA-1, as Entra shows it)</th><th scope="col">subject</th><th scope="col">valid from</th><th scope="col">valid until</th><th scope="col">days left</th><th scope="col">use</th></tr></thead><tbody>${certs.map((c) => certRows(c, now)).join('')}</tbody></table>`;
}

/** POSIX shell single-quoting. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface CheckContext {
  entityId: string;
  acsUrl: string;
  /** where the metadata came from (a file or URL), null when given inline */
  metadataLocation: string | null;
  allowIdpInitiated: boolean;
  /** the metadata document this attempt was judged with can be downloaded (/attempts/:id/idp-metadata.xml) */
  metadataDownload: boolean;
}

/** The file names the detail page's downloads are saved under (Content-Disposition), used in the check line. */
export function downloadName(kind: 'response' | 'idp-metadata', attemptId: string): string {
  return `${kind}-${attemptId.replace(/[^A-Za-z0-9-]/g, '_')}.xml`;
}

/** The `samlscope check` line that reproduces this verdict offline from the saved response.xml. */
export function checkCommand(a: Attempt, c: CheckContext): string {
  const metadataArg = c.metadataDownload ? downloadName('idp-metadata', a.id) : c.metadataLocation ?? 'idp-metadata.xml';
  const parts = ['samlscope', 'check', '--metadata', shq(metadataArg), '--entity-id', shq(c.entityId), '--acs-url', shq(c.acsUrl), '--now', shq(a.time)];
  const rid = a.session.authnRequest?.request.id;
  if (rid) parts.push('--request-id', shq(rid));
  if (c.allowIdpInitiated) parts.push('--allow-idp-initiated');
  parts.push(shq(downloadName('response', a.id)));
  return parts.join(' ');
}

function comparedCertRow(c: ComparedCert): string {
  const days = c.daysLeft;
  const cls = days === null ? 'muted' : days < 0 ? 'error' : days < 30 ? 'warning' : 'ok';
  const match = c.origin === 'response'
    ? (c.matches ? '<span class="ok">yes: in the metadata</span>' : '<span class="error">no: not in the metadata</span>')
    : (c.matches ? '<span class="ok">yes: the response carries it</span>' : '<span class="muted">no</span>');
  return `<tr data-origin="${c.origin}" data-thumbprint="${esc(c.thumbprintSha1 ?? '')}" data-sha256="${esc(c.sha256)}" data-matches="${c.matches}">` +
    `<th scope="row">${c.origin === 'response' ? 'response (untrusted)' : 'metadata'}<br><span class="muted">${esc(c.where)}</span></th>` +
    `<td><code>${esc(c.thumbprintSha1 ?? '— (unparseable)')}</code></td><td><code>${esc(c.sha256)}</code></td>` +
    `<td>${esc(c.notBefore ?? '—')}</td><td>${esc(c.notAfter ?? '—')}</td><td class="${cls}">${days === null ? '—' : days}</td>` +
    `<td>${esc(c.subject ?? '—')}</td><td>${match}</td></tr>`;
}

/** The response's KeyInfo certificate(s) next to every metadata certificate: the thumbprint Entra shows, SHA-256, validity, which match. */
export function certComparisonTable(xml: string | null, metadata: IdpMetadata, now: Date): string {
  const cmp = compareSigningCerts(xml, metadata.certs, now);
  const none = cmp.response.length === 0
    ? '<tr data-origin="response" data-matches="false"><th scope="row">response</th><td colspan="7" class="muted">no KeyInfo certificate in the response (Fleet then needs exactly one metadata certificate)</td></tr>' : '';
  return `<table id="cert-comparison" class="certs"><caption>The certificate the response carries and the IdP metadata's (SHA-1 thumbprint as Entra's SAML Certificates panel shows it)</caption>` +
    `<thead><tr><th scope="col">from</th><th scope="col">thumbprint (SHA-1)</th><th scope="col">SHA-256</th><th scope="col">valid from</th><th scope="col">valid until</th><th scope="col">days left</th><th scope="col">subject</th><th scope="col">match</th></tr></thead>` +
    `<tbody>${cmp.response.map(comparedCertRow).join('')}${none}${cmp.metadata.map(comparedCertRow).join('')}</tbody></table>`;
}

/** The header's user: the trusted NameID, else the one the XML states (labelled untrusted), else none. */
function userHtml(a: Attempt): string {
  if (a.nameId) return `<b class="user" data-trusted="true">${esc(a.nameId)}</b>`;
  const stated = untrustedNameId(a.report?.xml ?? null);
  if (stated) return `<b class="user" data-trusted="false">${esc(stated)}</b> <span class="warning">(untrusted: read from the XML, not verified)</span>`;
  return '<b class="user">(no NameID)</b>';
}

export interface DetailContext extends CheckContext {
  metadata: IdpMetadata;
  now: Date;
}

export function detailPage(a: Attempt, c: DetailContext): string {
  const ar = a.session.authnRequest;
  const r = a.report;
  const idpTime = r?.assertion?.issueInstant ?? r?.response?.issueInstant ?? null;
  const timeline = `<ol class="timeline" aria-label="timeline">
<li data-step="authnrequest"><span class="step">1. AuthnRequest issued</span><br>${ar ? `<code>${esc(ar.request.id)}</code><br><span class="muted">${esc(shortTime(ar.recordedAt))} → ${esc(ar.request.destination ?? '?')}</span>` : '<span class="warning">none recorded for this browser session</span>'}</li>
<li data-step="idp"><span class="step">2. IdP answered</span><br>${idpTime ? `<span class="muted">IssueInstant ${esc(shortTime(idpTime))}${offset(ar?.recordedAt, idpTime)}</span>` : '<span class="muted">no IssueInstant</span>'}<br>issuer <code>${esc(r?.response?.issuer ?? r?.assertion?.issuer ?? '?')}</code></li>
<li data-step="callback"><span class="step">3. Callback at the proxy</span><br><span class="muted">${esc(shortTime(a.time))}${offset(ar?.recordedAt, a.time)}</span><br>analysis ${ms(a.timings.analyzeMs)}, ${esc(a.bodyBytes)} bytes, ${badge(a.verdict)}</li>
<li data-step="fleet">${fleetStepHtml(a)}</li>
</ol>`;
  const findings = a.findings.length ? `<ul class="findings">${oneFindingPerCode(a.findings).map(listedFindingHtml).join('')}</ul>` : '<p class="ok">No findings.</p>';
  const sig = r?.signature ?? null;
  const signer = sig?.certSha256 ? c.metadata.certs.find((x) => x.sha256 === sig.certSha256) ?? null : null;
  const sigHtml = sig
    ? `<table class="signature"><tbody><tr><th scope="row">signed element</th><td>${esc(sig.signed)}</td></tr><tr><th scope="row">algorithm</th><td><code>${esc(sig.algorithm ?? '—')}</code></td></tr>` +
      `<tr><th scope="row">certificate thumbprint (as Entra shows it)</th><td><code id="signing-thumbprint">${esc(sig.certThumbprint ?? '— (no metadata certificate verified it)')}</code></td></tr>` +
      `<tr><th scope="row">SHA-256</th><td><code>${esc(sig.certSha256 ?? '—')}</code></td></tr>` +
      `<tr><th scope="row">valid</th><td>${signer ? `${esc(signer.notBefore)} – ${esc(signer.notAfter)} (${daysLeft(signer.notAfter, c.now)} days left); ${esc(signer.subject)}` : sig.certNotAfter ? `until ${esc(sig.certNotAfter)}` : '—'}</td></tr></tbody></table>` +
      certComparisonTable(r?.xml ?? null, c.metadata, c.now)
    : '<p class="muted">No signature information (the message was not analysed).</p>' + certComparisonTable(null, c.metadata, c.now);
  const xml = r?.xml
    ? `<p class="muted">Blue bar: the element the signature covers. Yellow: where a finding points. <a href="${attemptHref(a.id, '/response.xml')}" download>Download response.xml</a></p><pre class="xml" tabindex="0" aria-label="decoded SAML response">${xmlToHtml({ xml: r.xml, signed: sig?.signed ?? null, findings: a.findings })}</pre>`
    : '<p class="muted">No decoded XML.</p>';
  const body = `<p><a href="/">← all attempts</a></p>
<h1>SSO attempt <code>${esc(a.id)}</code> ${outcomeBadge(a)}</h1>
<p id="outcome" data-outcome="${esc(a.outcome)}"><b>${esc(OUTCOMES[a.outcome])}.</b> SAML verdict: ${badge(a.verdict)}</p>
${entraSection(a)}
<p>User ${userHtml(a)}, ${esc(a.flow)} flow, ${esc(shortTime(a.time))}. <a href="${attemptHref(a.id, '/export')}">Export for a support ticket (masked JSON)</a></p>
<h2>Timeline</h2>${timeline}
<h2>Findings</h2>${findings}
<h2>Signature</h2>${sigHtml}
<h2>Reproduce offline</h2><p>Save the response (<a id="download-response" href="${attemptHref(a.id, '/response.xml')}" download>${esc(downloadName('response', a.id))}</a>) and ${c.metadataDownload
    ? `the IdP metadata this verdict used (<a id="download-metadata" href="${attemptHref(a.id, '/idp-metadata.xml')}" download>${esc(downloadName('idp-metadata', a.id))}</a>)`
    : `the IdP metadata (it was given already parsed, so ${c.metadataLocation ? `fetch it from <code>${esc(c.metadataLocation)}</code>` : 'export it from Entra: the App Federation Metadata Url'})`}, then:</p><pre class="cmd" id="check-command">${esc(checkCommand(a, c))}</pre>
<h2>Decoded SAML response</h2>${xml}
${ar ? `<h2>AuthnRequest Fleet issued</h2><pre class="xml" tabindex="0" aria-label="AuthnRequest">${xmlToHtml({ xml: ar.request.xml, signed: null, findings: [] })}</pre>` : ''}`;
  return page(`samlscope: attempt ${a.id}`, body, { current: 'attempts' });
}

export function metadataPage(md: IdpMetadata, s: MetadataStatus, now: Date): string {
  const sso = md.ssoServices.map((x) => `<li><code>${esc(x.binding)}</code>: <code>${esc(x.location)}</code></li>`).join('');
  const body = `<h1>IdP metadata</h1>
<table><tbody>
<tr><th scope="row">entity ID (Entra's Microsoft Entra Identifier)</th><td><code id="md-entity-id">${esc(md.entityId)}</code></td></tr>
<tr><th scope="row">Fleet sends its AuthnRequest to</th><td><code>${esc(md.redirectSsoUrl ?? '— no HTTP-Redirect endpoint')}</code></td></tr>
<tr><th scope="row">source</th><td>${esc(s.source)}${s.location ? ` <code>${esc(s.location)}</code>` : ''}</td></tr>
<tr><th scope="row">loaded</th><td>${esc(s.loadedAt)}</td></tr>
<tr><th scope="row">last fetch</th><td>${esc(s.lastFetchAt ?? '—')} <span id="md-fetch" class="${s.lastError ? 'error' : 'ok'}" data-ok="${s.lastError ? 'false' : 'true'}">${s.lastError ? 'failed: ' + esc(s.lastError) + ' (the last good copy stays in use)' : 'ok'}</span></td></tr>
<tr><th scope="row">refreshes</th><td>${esc(s.refreshes)}</td></tr>
</tbody></table>
<h2>SSO endpoints</h2><ul>${sso || '<li class="error">none</li>'}</ul>
<h2>Certificates</h2>${certTable(md.certs, now)}
${md.problems.length ? `<h2>Problems</h2><ul>${md.problems.map(findingHtml).join('')}</ul>` : ''}`;
  return page('samlscope: IdP metadata', body, { current: 'metadata' });
}

function settingRows(obj: Record<string, unknown>, prefix = ''): string {
  return Object.entries(obj).map(([k, v]) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) return settingRows(v as Record<string, unknown>, `${prefix}${k}.`);
    return `<tr><th scope="row"><code>${esc(prefix + k)}</code></th><td><code>${esc(v === undefined ? '—' : JSON.stringify(v))}</code></td></tr>`;
  }).join('');
}

export function settingsPage(settings: Record<string, unknown>): string {
  const body = `<h1>Effective configuration</h1><p class="muted">Secrets (the admin token, TLS keys) are masked.</p><table id="settings"><tbody>${settingRows(settings)}</tbody></table>`;
  return page('samlscope: settings', body, { current: 'settings' });
}

export function loginPage(failed: boolean): string {
  const body = `<h1>Admin login</h1><p>This admin listener is not on loopback: give the admin token (<code>--admin-token</code>) to see SSO attempts.</p>
${failed ? '<p class="error" role="alert" id="login-failed">That token is not right.</p>' : ''}
<form method="post" action="/login"><label for="token">Admin token</label> <input id="token" name="token" type="password" autocomplete="current-password" required> <button type="submit">Log in</button></form>`;
  return page('samlscope: admin login', body, { current: 'login' });
}

export function messagePage(title: string, text: string): string {
  return page(`samlscope: ${title}`, `<h1>${esc(title)}</h1><p>${esc(text)}</p><p><a href="/">← all attempts</a></p>`);
}
