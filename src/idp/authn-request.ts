// Reads an AuthnRequest from the Redirect (base64 + raw DEFLATE) or POST (base64) binding into plain data, safely.
import { decodeAuthnRequest } from '../saml/authn-request.js';
import { parseXmlSafely } from '../saml/xml.js';
import { DEFAULT_LIMITS } from '../saml/types.js';

const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const MAX_REQUEST_BYTES = 256 * 1024;

export interface ParsedAuthnRequest {
  /** the root element's local name (always AuthnRequest: the engine's decoder refuses anything else) */
  kind: string;
  id: string | null;
  version: string | null;
  issueInstant: string | null;
  issuer: string | null;
  destination: string | null;
  acsUrl: string | null;
  protocolBinding: string | null;
  nameIdPolicyFormat: string | null;
  forceAuthn: boolean;
  isPassive: boolean;
  hasSubject: boolean;
  /** Scoping with ProxyCount, IDPList or RequesterID (what Entra refuses) */
  unsupportedScoping: boolean;
  /** RequestedAuthnContext Comparison (null without one) */
  authnContextComparison: string | null;
}

export type ReadResult = { ok: true; request: ParsedAuthnRequest } | { ok: false; reason: string };

function child(parent: Element, ns: string, name: string): Element | null {
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).namespaceURI === ns && (c as Element).localName === name) return c as Element;
  }
  return null;
}

/**
 * Decodes and parses the SAMLRequest value with the engine's decodeAuthnRequest (bounded inflate, no DTDs or entities),
 * then reads the few fields Entra's rules need that it does not return (Version, Scoping children, Comparison). Never throws.
 */
export function readAuthnRequest(samlRequest: string, binding: 'redirect' | 'post'): ReadResult {
  const decoded = decodeAuthnRequest(samlRequest, binding);
  const info = decoded.request;
  if (!info) return { ok: false, reason: decoded.findings[0]?.code ?? 'undecodable' };
  const parsed = parseXmlSafely(info.xml, { ...DEFAULT_LIMITS, maxBytes: MAX_REQUEST_BYTES });
  if (!parsed.ok) return { ok: false, reason: parsed.findings[0]?.code ?? 'malformed' };
  const root = parsed.doc.documentElement;
  const scoping = child(root, P, 'Scoping');
  const rac = child(root, P, 'RequestedAuthnContext');
  return {
    ok: true,
    request: {
      kind: root.localName,
      id: info.id,
      version: root.getAttribute('Version') || null,
      issueInstant: info.issueInstant,
      issuer: info.issuer,
      destination: info.destination,
      acsUrl: info.acsUrl,
      protocolBinding: info.protocolBinding,
      nameIdPolicyFormat: info.nameIdPolicyFormat,
      forceAuthn: info.forceAuthn,
      isPassive: info.isPassive,
      hasSubject: info.hasSubject,
      unsupportedScoping: scoping !== null && (scoping.hasAttribute('ProxyCount') || child(scoping, P, 'IDPList') !== null || child(scoping, P, 'RequesterID') !== null),
      authnContextComparison: rac ? (rac.getAttribute('Comparison') || 'exact') : null,
    },
  };
}
