// IdP metadata: Entra federation metadata (BOM, one line, WS-Fed RoleDescriptors skipped) and plain SAML metadata.
import { X509Certificate } from 'node:crypto';
import { finding, type Finding } from './findings.js';
import { NS, attr, childElements, descendants, firstChild, parseXmlSafely, textOf } from './xml.js';
import type { IdpMetadata, MetadataCert, SsoService } from './types.js';

export const BINDING = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

/** Metadata is operator-supplied, not internet-supplied, but still parsed with bounds (common metadata is large). */
const METADATA_LIMITS = { maxBytes: 8 * 1024 * 1024, maxDepth: 64, maxElements: 200_000 };

export class MetadataError extends Error {
  constructor(message: string, readonly findings: Finding[] = []) {
    super(message);
    this.name = 'MetadataError';
  }
}

function pemOf(base64: string): string {
  return `-----BEGIN CERTIFICATE-----\n${base64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** Reads one base64 DER certificate; null when it cannot be parsed. */
export function describeCert(base64Raw: string, use: MetadataCert['use'] = 'unspecified'): MetadataCert | null {
  const base64 = base64Raw.replace(/\s+/g, '');
  try {
    const x = new X509Certificate(Buffer.from(base64, 'base64'));
    return {
      base64,
      pem: pemOf(base64),
      subject: x.subject.replace(/\n/g, ', '),
      issuer: x.issuer.replace(/\n/g, ', '),
      thumbprintSha1: x.fingerprint.replace(/:/g, '').toUpperCase(),
      sha256: x.fingerprint256.replace(/:/g, '').toLowerCase(),
      notBefore: new Date(x.validFrom).toISOString(),
      notAfter: new Date(x.validTo).toISOString(),
      use,
    };
  } catch {
    return null;
  }
}

/** A PEM (or bare base64) certificate as the base64 DER text metadata carries. */
export function pemToBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/** Parses IdP metadata. Throws MetadataError when no usable IdP description is found. */
export function parseMetadata(input: string): IdpMetadata {
  const hadBom = input.charCodeAt(0) === 0xfeff;
  const parsed = parseXmlSafely(input, METADATA_LIMITS);
  if (!parsed.ok) throw new MetadataError(`metadata is not usable XML: ${parsed.findings[0].message}`, parsed.findings);
  const root = parsed.doc.documentElement;
  const entities = root.namespaceURI === NS.metadata && root.localName === 'EntityDescriptor'
    ? [root]
    : root.namespaceURI === NS.metadata && root.localName === 'EntitiesDescriptor'
      ? descendants(root, NS.metadata, 'EntityDescriptor')
      : [];
  if (entities.length === 0) throw new MetadataError(`metadata root is <${root.localName}>, not a SAML 2.0 EntityDescriptor`);
  const entity = entities.find((e) => firstChild(e, NS.metadata, 'IDPSSODescriptor')) ?? null;
  if (!entity) throw new MetadataError('metadata has no IDPSSODescriptor (is this SP metadata, or WS-Federation only?)');
  const idp = firstChild(entity, NS.metadata, 'IDPSSODescriptor') as Element;
  const entityId = attr(entity, 'entityID');
  if (!entityId) throw new MetadataError('EntityDescriptor has no entityID');

  const problems: Finding[] = [];
  const certs: MetadataCert[] = [];
  for (const kd of childElements(idp, NS.metadata, 'KeyDescriptor')) {
    const use = attr(kd, 'use');
    if (use !== null && use !== 'signing') continue; // encryption keys are not trusted for signatures
    for (const x of descendants(kd, NS.dsig, 'X509Certificate')) {
      const text = textOf(x) ?? '';
      const c = describeCert(text, use === 'signing' ? 'signing' : 'unspecified');
      if (!c) { problems.push(finding('SAML_META_CERT_UNPARSEABLE', 'A KeyDescriptor certificate could not be parsed.', { startsWith: text.trim().slice(0, 16) })); continue; }
      if (!certs.some((k) => k.base64 === c.base64)) certs.push(c);
    }
  }
  const services = (name: string): SsoService[] =>
    childElements(idp, NS.metadata, name).map((e) => ({ binding: attr(e, 'Binding') ?? '', location: attr(e, 'Location') ?? '' }));
  const ssoServices = services('SingleSignOnService');
  const sloServices = services('SingleLogoutService');
  return {
    entityId,
    certs,
    ssoServices,
    sloServices,
    redirectSsoUrl: ssoServices.find((s) => s.binding === BINDING.redirect)?.location ?? null,
    problems,
    hadBom,
    signed: firstChild(entity, NS.dsig, 'Signature') !== null,
  };
}

/** Findings about the metadata itself at a given time: no cert, expired or expiring certs, no Redirect SSO endpoint. */
export function metadataFindings(md: IdpMetadata, now: Date, expiringDays = 30): Finding[] {
  const out: Finding[] = [...md.problems];
  if (md.certs.length === 0) out.push(finding('SAML_META_NO_SIGNING_CERT', 'No signing certificate in the IDPSSODescriptor.'));
  if (!md.redirectSsoUrl) out.push(finding('SAML_META_NO_REDIRECT_SSO', 'No SingleSignOnService with the HTTP-Redirect binding.', { bindings: md.ssoServices.map((s) => s.binding) }));
  for (const c of md.certs) {
    const left = (Date.parse(c.notAfter) - now.getTime()) / 86_400_000;
    if (left < 0) out.push(finding('SAML_META_CERT_EXPIRED', `Certificate ${c.thumbprintSha1} expired on ${c.notAfter}.`, { thumbprint: c.thumbprintSha1, notAfter: c.notAfter }));
    else if (left < expiringDays) out.push(finding('SAML_META_CERT_EXPIRING', `Certificate ${c.thumbprintSha1} expires in ${Math.floor(left)} days (${c.notAfter}).`, { thumbprint: c.thumbprintSha1, notAfter: c.notAfter, daysLeft: Math.floor(left) }));
  }
  return out;
}
