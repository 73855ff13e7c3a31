// An attempt as a JSON bundle for a support ticket: personal data, signatures and certificate bodies masked by default (as SAML-tracer masks its exports).
import { XMLSerializer } from '@xmldom/xmldom';
import type { Attempt } from '../attempt.js';
import type { IdpMetadata } from '../../saml/types.js';
import { DEFAULT_LIMITS } from '../../saml/types.js';
import { parseXmlSafely } from '../../saml/xml.js';

export const MASK = '***';

export interface ExportBundle {
  samlscope: { kind: 'attempt-export'; version: 1; exportedAt: string; masked: boolean };
  attempt: Attempt;
  metadata: { entityId: string; redirectSsoUrl: string | null; certs: { thumbprintSha1: string; sha256: string; subject: string; notBefore: string; notAfter: string }[] };
}

/** a***@example.com for emails, a***e otherwise: enough to tell two users apart in a ticket. */
export function maskValue(s: string): string {
  const at = s.indexOf('@');
  if (at > 0) return s[0] + MASK + s.slice(at);
  return s.length <= 2 ? MASK : s[0] + MASK + s[s.length - 1];
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
/** XML elements whose text is personal data or a signature / certificate body */
const MASKED_ELEMENTS = new Set(['NameID', 'AttributeValue', 'SignatureValue', 'X509Certificate', 'DigestValue', 'SubjectLocality']);
const PERSONAL_KEYS = new Set(['nameId', 'email', 'emails', 'upn', 'name', 'givenName', 'surname', 'displayName', 'login_hint', 'loginHint', 'subject']);
/** replaced whole: addresses, browsers, signatures and certificate bodies */
const SECRET_KEYS = new Set(['ip', 'clientIp', 'userAgent', 'signatureValue', 'certificate', 'cert', 'pem', 'base64', 'x509']);

/** Masks the text of personal and signature elements (and SubjectLocality's Address) in a SAML document. */
export function maskXml(xml: string): string {
  const parsed = parseXmlSafely(xml, DEFAULT_LIMITS);
  if (!parsed.ok) return MASK;
  const all = parsed.doc.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) {
    const e = all[i];
    if (!MASKED_ELEMENTS.has(e.localName)) continue;
    if (e.localName === 'SubjectLocality') { if (e.hasAttribute('Address')) e.setAttribute('Address', MASK); continue; }
    const text = e.textContent ?? '';
    while (e.firstChild) e.removeChild(e.firstChild);
    e.appendChild(parsed.doc.createTextNode(e.localName === 'NameID' || e.localName === 'AttributeValue' ? maskValue(text.trim()) : MASK));
  }
  return new XMLSerializer().serializeToString(parsed.doc as never);
}

function maskStrings(v: unknown, known: readonly string[], key: string | null): unknown {
  if (typeof v === 'string') {
    if (key !== null && PERSONAL_KEYS.has(key)) return maskValue(v);
    if (key !== null && SECRET_KEYS.has(key)) return MASK;
    let s = v;
    for (const k of known) if (k.length >= 3) s = s.split(k).join(maskValue(k));
    return s.replace(EMAIL, (m) => maskValue(m));
  }
  if (Array.isArray(v)) return v.map((x) => maskStrings(x, known, key));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = maskStrings(x, known, k);
    return out;
  }
  return v;
}

/** A deep copy of the attempt with personal data and signatures masked. */
export function maskAttempt(a: Attempt): Attempt {
  const known = new Set<string>();
  if (a.nameId) known.add(a.nameId);
  for (const vals of Object.values(a.report?.assertion?.attributes ?? {})) for (const x of vals) if (x.trim()) known.add(x.trim());
  if (a.client.userAgent) known.add(a.client.userAgent);
  known.add(a.client.ip);
  const attributes = a.report?.assertion ? Object.fromEntries(Object.entries(a.report.assertion.attributes).map(([k, vals]) => [k, vals.map((x) => maskValue(x))])) : null;
  const copy: Attempt = {
    ...a,
    report: a.report ? {
      ...a.report,
      xml: a.report.xml === null ? null : maskXml(a.report.xml),
      assertion: a.report.assertion && attributes ? { ...a.report.assertion, attributes } : a.report.assertion,
    } : null,
  };
  // longest first, so a value that contains another is masked whole
  return maskStrings(copy, [...known].sort((x, y) => y.length - x.length), null) as Attempt;
}

export function exportBundle(a: Attempt, md: IdpMetadata, o: { masked: boolean; now: Date }): ExportBundle {
  return {
    samlscope: { kind: 'attempt-export', version: 1, exportedAt: o.now.toISOString(), masked: o.masked },
    attempt: o.masked ? maskAttempt(a) : a,
    metadata: {
      entityId: md.entityId,
      redirectSsoUrl: md.redirectSsoUrl,
      certs: md.certs.map((c) => ({ thumbprintSha1: c.thumbprintSha1, sha256: c.sha256, subject: c.subject, notBefore: c.notBefore, notAfter: c.notAfter })),
    },
  };
}
