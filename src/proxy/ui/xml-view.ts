// The decoded SAML XML as escaped HTML lines: one element per line, the signed element marked, the elements findings point at highlighted.
import type { Finding } from '../../saml/findings.js';
import type { SignedPart } from '../../saml/types.js';
import { DEFAULT_LIMITS } from '../../saml/types.js';
import { parseXmlSafely } from '../../saml/xml.js';
import { escapeHtml as esc } from '../../html/escape.js';

/** Which elements (local names) each finding area points at; evidence.element sharpens it. */
const AREA_TARGETS: Record<string, string[]> = {
  AUDIENCE: ['Audience', 'AudienceRestriction'],
  DEST: ['Response', 'SubjectConfirmationData'],
  ISSUER: ['Issuer'],
  TIME: ['Conditions', 'SubjectConfirmationData'],
  IRT: ['Response', 'SubjectConfirmationData'],
  SIG: ['Signature'],
  STATUS: ['StatusCode', 'StatusMessage'],
  NAMEID: ['NameID'],
  ATTR: ['AttributeStatement'],
  REPLAY: ['Assertion'],
};

const SPECIFIC: Record<string, string[]> = {
  SAML_TIME_ISSUE_INSTANT_STALE: ['Response', 'Assertion'],
  SAML_TIME_ISSUE_INSTANT_FUTURE: ['Response', 'Assertion'],
  SAML_DEST_MISMATCH: ['Response'],
  SAML_XML_ENCRYPTED_ASSERTION: ['EncryptedAssertion'],
  SAML_XML_MULTIPLE_ASSERTIONS: ['Assertion'],
  SAML_XML_NESTED_ASSERTION: ['Assertion'],
  SAML_DEST_RECIPIENT_MISMATCH: ['SubjectConfirmationData'],
  SAML_FLEET_ACCOUNT_INVALID: ['NameID'],
  SAML_FLEET_ACCOUNT_DISABLED: ['NameID'],
};

/** The element local names a finding points at in the response XML. */
export function findingTargets(f: Finding): string[] {
  const names = new Set<string>(SPECIFIC[f.code] ?? AREA_TARGETS[f.code.split('_')[1] ?? ''] ?? []);
  const el = f.evidence?.element;
  if (typeof el === 'string' && /^[A-Za-z]+$/.test(el)) names.add(el);
  return [...names];
}

export interface XmlViewInput {
  xml: string;
  signed: SignedPart | null;
  findings: readonly Finding[];
}

const MAX_LINES = 2000;

/** Renders to `<pre>` content; every text and attribute escaped. Unparseable XML is shown as escaped raw text. */
export function xmlToHtml(v: XmlViewInput): string {
  const parsed = parseXmlSafely(v.xml, DEFAULT_LIMITS);
  if (!parsed.ok) return `<span class="line">${esc(v.xml.slice(0, 200_000))}</span>`;
  const targets = new Map<string, string[]>();
  for (const f of v.findings) {
    if (f.severity === 'info') continue;
    for (const n of findingTargets(f)) targets.set(n, [...(targets.get(n) ?? []), f.code]);
  }
  const root = parsed.doc.documentElement;
  const signedEls = new Set<Element>();
  if (v.signed === 'response' || v.signed === 'both') signedEls.add(root);
  if (v.signed === 'assertion' || v.signed === 'both') {
    for (let c = root.firstChild; c; c = c.nextSibling) if (c.nodeType === 1 && (c as Element).localName === 'Assertion') { signedEls.add(c as Element); break; }
  }
  const out: string[] = [];
  const line = (depth: number, html: string, cls: string[], codes: string[] = []) => {
    if (out.length >= MAX_LINES) return;
    const c = [...cls, ...(codes.length ? ['hit'] : [])];
    out.push(`<span class="line${c.length ? ' ' + c.join(' ') : ''}"${codes.length ? ` data-codes="${esc(codes.join(' '))}" title="${esc(codes.join(', '))}"` : ''}>${'  '.repeat(depth)}${html}</span>`);
  };
  const walk = (node: Node, depth: number, inSigned: boolean) => {
    if (node.nodeType === 8) { line(depth, `<span class="c">&lt;!--${esc(node.nodeValue)}--&gt;</span>`, inSigned ? ['signed'] : []); return; }
    if (node.nodeType === 3 || node.nodeType === 4) {
      const t = (node.nodeValue ?? '').trim();
      if (t) line(depth, `<span class="t">${esc(t)}</span>`, inSigned ? ['signed'] : []);
      return;
    }
    if (node.nodeType !== 1) return;
    const e = node as Element;
    const signedHere = inSigned || signedEls.has(e);
    const cls = signedHere ? ['signed'] : [];
    if (signedEls.has(e)) cls.push('signed-start');
    const codes = targets.get(e.localName) ?? [];
    const attrs: string[] = [];
    for (let i = 0; i < e.attributes.length; i++) {
      const a = e.attributes[i];
      attrs.push(` <span class="an">${esc(a.name)}</span>=<span class="av">"${esc(a.value)}"</span>`);
    }
    const open = `&lt;<span class="tn">${esc(e.tagName)}</span>${attrs.join('')}`;
    const kids: Node[] = [];
    for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType !== 3 || (c.nodeValue ?? '').trim() !== '') kids.push(c);
    const mark = signedEls.has(e) ? ' <span class="signed-label">⟵ signed</span>' : '';
    if (kids.length === 0) { line(depth, open + '/&gt;' + mark, cls, codes); return; }
    if (kids.length === 1 && (kids[0].nodeType === 3 || kids[0].nodeType === 4)) {
      line(depth, `${open}&gt;<span class="t">${esc(kids[0].nodeValue)}</span>&lt;/<span class="tn">${esc(e.tagName)}</span>&gt;${mark}`, cls, codes);
      return;
    }
    line(depth, open + '&gt;' + mark, cls, codes);
    for (const k of kids) walk(k, depth + 1, signedHere);
    line(depth, `&lt;/<span class="tn">${esc(e.tagName)}</span>&gt;`, signedHere ? ['signed'] : []);
  };
  walk(root, 0, false);
  if (out.length >= MAX_LINES) out.push('<span class="line">… (truncated)</span>');
  return out.join('');
}
