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
/** XML elements whose text is a signature or certificate body */
const SECRET_ELEMENTS = new Set(['SignatureValue', 'X509Certificate', 'DigestValue']);
/** Claims that carry configuration, not personal data: kept as they are (the tenant, the IdP, how the user signed in, Fleet roles). */
const CONFIG_CLAIMS = new Set([
  'http://schemas.microsoft.com/identity/claims/tenantid',
  'http://schemas.microsoft.com/identity/claims/identityprovider',
  'http://schemas.microsoft.com/claims/authnmethodsreferences',
]);
const PERSONAL_KEYS = new Set(['nameId', 'email', 'emails', 'upn', 'givenName', 'surname', 'displayName', 'login_hint', 'loginHint']);
/** replaced whole: addresses, browsers, session ids, signatures and certificate bodies */
const SECRET_KEYS = new Set(['ip', 'clientIp', 'userAgent', 'sessionIndex', 'sessionCookie', 'signatureValue', 'certificate', 'cert', 'pem', 'base64', 'x509']);
/** catalogue text and stable vocabulary: never personal, never rewritten */
const VERBATIM_KEYS = new Set(['code', 'severity', 'title', 'remedy']);

/** Whether a claim is configuration (kept) rather than personal data (masked). */
export function isConfigClaim(name: string): boolean {
  return CONFIG_CLAIMS.has(name) || /^FLEET_JIT_USER_ROLE_/.test(name);
}

/** Masks personal data (NameID, personal claim values, SubjectLocality's Address, SessionIndex) and signature bodies in a SAML document; configuration stays. */
export function maskXml(xml: string): string {
  const parsed = parseXmlSafely(xml, DEFAULT_LIMITS);
  if (!parsed.ok) return MASK;
  const replaceText = (e: Element, text: string) => {
    while (e.firstChild) e.removeChild(e.firstChild);
    e.appendChild(parsed.doc.createTextNode(text));
  };
  const all = parsed.doc.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) {
    const e = all[i];
    const name = e.localName;
    if (name === 'SubjectLocality' && e.hasAttribute('Address')) e.setAttribute('Address', MASK);
    else if (name === 'AuthnStatement' && e.hasAttribute('SessionIndex')) e.setAttribute('SessionIndex', MASK);
    else if (SECRET_ELEMENTS.has(name)) replaceText(e, MASK);
    else if (name === 'NameID') replaceText(e, maskValue((e.textContent ?? '').trim()));
    else if (name === 'AttributeValue') {
      const claim = (e.parentNode as Element | null)?.getAttribute?.('Name') ?? '';
      if (!isConfigClaim(claim)) replaceText(e, maskValue((e.textContent ?? '').trim()));
    }
  }
  return new XMLSerializer().serializeToString(parsed.doc as never);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces each known personal value where it stands as a whole word (so "Admin" in "Administrator" or a URL stays). */
function maskKnown(s: string, known: readonly string[]): string {
  let out = s;
  for (const k of known) {
    if (k.length < 3) continue;
    out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(k)}(?![A-Za-z0-9])`, 'g'), maskValue(k));
  }
  return out.replace(EMAIL, (m) => (m.includes(MASK) ? m : maskValue(m)));
}

function maskStrings(v: unknown, known: readonly string[], key: string | null): unknown {
  if (typeof v === 'string') {
    if (key !== null && VERBATIM_KEYS.has(key)) return v;
    if (key !== null && PERSONAL_KEYS.has(key)) return maskValue(v);
    if (key !== null && SECRET_KEYS.has(key)) return MASK;
    return maskKnown(v, known);
  }
  if (Array.isArray(v)) return v.map((x) => maskStrings(x, known, key));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = maskStrings(x, known, k);
    return out;
  }
  return v;
}

/** The personal values of an attempt: its NameID, its personal claim values and the client's user agent. */
function personalValues(a: Attempt): string[] {
  const known = new Set<string>();
  if (a.nameId) known.add(a.nameId);
  if (a.report?.subject?.nameId) known.add(a.report.subject.nameId);
  for (const [claim, vals] of Object.entries(a.report?.assertion?.attributes ?? {})) {
    if (isConfigClaim(claim)) continue;
    for (const x of vals) if (x.trim()) known.add(x.trim());
  }
  if (a.client.userAgent) known.add(a.client.userAgent);
  // longest first, so a value that contains another is masked whole
  return [...known].sort((x, y) => y.length - x.length);
}

/** A deep copy of the attempt with personal data and signatures masked; issuer, audience, URLs, tenant, thumbprints, codes and times stay. */
export function maskAttempt(a: Attempt): Attempt {
  const attributes = a.report?.assertion
    ? Object.fromEntries(Object.entries(a.report.assertion.attributes).map(([k, vals]) => [k, isConfigClaim(k) ? vals : vals.map((x) => maskValue(x))]))
    : null;
  const copy: Attempt = {
    ...a,
    report: a.report ? {
      ...a.report,
      xml: a.report.xml === null ? null : maskXml(a.report.xml),
      assertion: a.report.assertion && attributes ? { ...a.report.assertion, attributes } : a.report.assertion,
    } : null,
  };
  return maskStrings(copy, personalValues(a), null) as Attempt;
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
