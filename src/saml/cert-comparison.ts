// For display: the certificate(s) a response's signature carries next to every metadata certificate, and which match.
import { createHash } from 'node:crypto';
import { describeCert } from './metadata.js';
import { DEFAULT_LIMITS, type MetadataCert } from './types.js';
import { NS, descendants, parseXmlSafely, textOf } from './xml.js';

export interface ComparedCert {
  /** 'response': a KeyInfo X509Certificate in the response (untrusted until it matches); 'metadata': the IdP's */
  origin: 'response' | 'metadata';
  /** SHA-1, upper-case hex: what Entra's SAML Certificates panel shows as Thumbprint; null when unparseable */
  thumbprintSha1: string | null;
  /** SHA-256 of the DER bytes, lower-case hex */
  sha256: string;
  subject: string | null;
  notBefore: string | null;
  notAfter: string | null;
  /** whole days until notAfter (negative: expired) */
  daysLeft: number | null;
  /** metadata: `use`; response: where the cert sits (Response or Assertion Signature) */
  where: string;
  /** byte-equal to a cert on the other side (what Fleet requires of a KeyInfo cert) */
  matches: boolean;
}

export interface CertComparison {
  response: ComparedCert[];
  metadata: ComparedCert[];
}

function daysUntil(notAfter: string, now: Date): number {
  return Math.floor((Date.parse(notAfter) - now.getTime()) / 86_400_000);
}

function compared(origin: ComparedCert['origin'], base64: string, where: string, matches: boolean, now: Date): ComparedCert {
  const c = describeCert(base64);
  return {
    origin, where, matches,
    thumbprintSha1: c?.thumbprintSha1 ?? null,
    sha256: c?.sha256 ?? createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex'),
    subject: c?.subject ?? null,
    notBefore: c?.notBefore ?? null,
    notAfter: c?.notAfter ?? null,
    daysLeft: c ? daysUntil(c.notAfter, now) : null,
  };
}

/** The KeyInfo certificates of every Signature in the XML, each with the element (Response, Assertion) it signs. */
export function keyInfoCerts(xml: string): Array<{ base64: string; where: string }> {
  const parsed = parseXmlSafely(xml, DEFAULT_LIMITS);
  if (!parsed.ok) return [];
  const out: Array<{ base64: string; where: string }> = [];
  for (const sig of descendants(parsed.doc, NS.dsig, 'Signature')) {
    const where = (sig.parentNode as Element | null)?.localName ?? '?';
    for (const e of descendants(sig, NS.dsig, 'X509Certificate')) {
      const base64 = (textOf(e) ?? '').replace(/\s+/g, '');
      if (base64 && !out.some((o) => o.base64 === base64)) out.push({ base64, where: `${where} Signature` });
    }
  }
  return out;
}

/** The response's signing cert(s) and the metadata certs side by side, each marked when the other side holds it. */
export function compareSigningCerts(xml: string | null, metadataCerts: readonly MetadataCert[], now: Date): CertComparison {
  const inResponse = xml ? keyInfoCerts(xml) : [];
  return {
    response: inResponse.map((k) => compared('response', k.base64, k.where, metadataCerts.some((m) => m.base64 === k.base64), now)),
    metadata: metadataCerts.map((m) => compared('metadata', m.base64, m.use, inResponse.some((k) => k.base64 === m.base64), now)),
  };
}
