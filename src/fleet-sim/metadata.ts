// fleet-sim's own reading of IdP metadata, as Fleet does it: entityID, trusted signing certs, first HTTP-Redirect SSO endpoint.
import { DOMParser } from '@xmldom/xmldom';
import { X509Certificate } from 'node:crypto';
import { request } from 'undici';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export interface SimCert {
  pem: string;
  notBefore: Date;
  notAfter: Date;
}

export interface SimMetadata {
  entityId: string;
  /** KeyDescriptors of the IDPSSODescriptor with use="signing" or no use */
  certs: SimCert[];
  /** the first HTTP-Redirect SingleSignOnService */
  redirectSsoUrl: string;
}

export class MetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataError';
  }
}

function toPem(b64: string): string {
  const body = b64.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** Parses metadata XML; throws MetadataError when Fleet could not use it. */
export function parseSimMetadata(xml: string): SimMetadata {
  const text = xml.replace(/^\uFEFF/, '');
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new MetadataError('metadata contains a DTD');
  const errors: string[] = [];
  const doc = new DOMParser({ errorHandler: { error: (m: string) => errors.push(m), fatalError: (m: string) => errors.push(m) } }).parseFromString(text, 'text/xml');
  const root = doc?.documentElement;
  if (errors.length > 0 || !root) throw new MetadataError(`metadata is not XML: ${errors[0] ?? 'empty'}`);
  let ed: Element | null = null;
  if (root.namespaceURI === MD && root.localName === 'EntityDescriptor') ed = root;
  else if (root.namespaceURI === MD && root.localName === 'EntitiesDescriptor') ed = root.getElementsByTagNameNS(MD, 'EntityDescriptor').item(0);
  if (!ed) throw new MetadataError('no EntityDescriptor in metadata');
  const entityId = ed.getAttribute('entityID') ?? '';
  const idp = ed.getElementsByTagNameNS(MD, 'IDPSSODescriptor').item(0);
  if (!idp) throw new MetadataError('no IDPSSODescriptor in metadata');
  const certs: SimCert[] = [];
  for (let i = 0; i < idp.childNodes.length; i++) {
    const kd = idp.childNodes.item(i) as Element;
    if (kd.nodeType !== 1 || kd.namespaceURI !== MD || kd.localName !== 'KeyDescriptor') continue;
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue;
    const x = kd.getElementsByTagNameNS(DS, 'X509Certificate');
    for (let j = 0; j < x.length; j++) {
      const pem = toPem(x.item(j)?.textContent ?? '');
      try {
        const c = new X509Certificate(pem);
        certs.push({ pem, notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo) });
      } catch {
        // an unparseable cert is not trusted, as in Fleet
      }
    }
  }
  let redirectSsoUrl = '';
  const ssos = idp.getElementsByTagNameNS(MD, 'SingleSignOnService');
  for (let i = 0; i < ssos.length; i++) {
    const s = ssos.item(i);
    if (s && s.getAttribute('Binding') === REDIRECT) { redirectSsoUrl = s.getAttribute('Location') ?? ''; break; }
  }
  if (!redirectSsoUrl) throw new MetadataError('IdP metadata has no HTTP-Redirect SingleSignOnService');
  if (certs.length === 0) throw new MetadataError('IdP metadata has no usable signing certificate');
  return { entityId, certs, redirectSsoUrl };
}

/** Fetches metadata from a URL with Fleet's 5 s timeout (no cache: Fleet fetches on every initiate). */
export async function fetchSimMetadata(url: string, timeoutMs = 5000): Promise<string> {
  const res = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new MetadataError(`metadata URL answered HTTP ${res.statusCode}`);
  return body;
}
