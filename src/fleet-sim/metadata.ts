// fleet-sim's view of IdP metadata, as Fleet reads it (parsed by the engine's bounded parser): entityID, trusted signing certs, first HTTP-Redirect SSO endpoint.
import { fetchText } from '../net/fetch-text.js';
import { parseMetadata } from '../saml/metadata.js';

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

/** Parses metadata XML with the engine's bounded parser; throws MetadataError when Fleet could not use it. */
export function parseSimMetadata(xml: string): SimMetadata {
  let md;
  try {
    md = parseMetadata(xml);
  } catch (e) {
    throw new MetadataError((e as Error).message);
  }
  if (!md.redirectSsoUrl) throw new MetadataError('IdP metadata has no HTTP-Redirect SingleSignOnService');
  if (md.certs.length === 0) throw new MetadataError('IdP metadata has no usable signing certificate');
  const certs = md.certs.map((c) => ({ pem: c.pem, notBefore: new Date(c.notBefore), notAfter: new Date(c.notAfter) }));
  return { entityId: md.entityId, certs, redirectSsoUrl: md.redirectSsoUrl };
}

/** Fetches metadata from a URL with Fleet's 5 s timeout (no cache: Fleet fetches on every initiate). */
export async function fetchSimMetadata(url: string, timeoutMs = 5000): Promise<string> {
  try {
    return await fetchText(url, { timeoutMs });
  } catch (e) {
    throw new MetadataError((e as Error).message);
  }
}
