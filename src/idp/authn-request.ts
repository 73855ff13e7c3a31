// Reads an AuthnRequest from the Redirect (base64 + raw DEFLATE) or POST (base64) binding into plain data, safely.
import { decodeBase64Strict, decodeRedirectMessage } from '../saml/decode.js';
import { parseXmlSafely } from '../saml/xml.js';
import { DEFAULT_LIMITS } from '../saml/types.js';

const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const A = 'urn:oasis:names:tc:SAML:2.0:assertion';
const MAX_REQUEST_BYTES = 256 * 1024;

export interface ParsedAuthnRequest {
  /** the root element's local name: AuthnRequest (or LogoutRequest, answered with a page) */
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

/** Decodes and parses the SAMLRequest value; never throws; refuses DTDs, entities and oversize input. */
export function readAuthnRequest(samlRequest: string, binding: 'redirect' | 'post'): ReadResult {
  let xml: string;
  if (binding === 'redirect') {
    const r = decodeRedirectMessage(samlRequest, MAX_REQUEST_BYTES);
    if (!r.ok) return { ok: false, reason: r.findings[0]?.code ?? 'undecodable' };
    xml = r.xml;
  } else {
    const bytes = decodeBase64Strict(samlRequest);
    if (!bytes) return { ok: false, reason: 'not base64' };
    if (bytes.length > MAX_REQUEST_BYTES) return { ok: false, reason: 'too large' };
    xml = bytes.toString('utf8');
  }
  const parsed = parseXmlSafely(xml, { ...DEFAULT_LIMITS, maxBytes: MAX_REQUEST_BYTES });
  if (!parsed.ok) return { ok: false, reason: parsed.findings[0]?.code ?? 'malformed' };
  const root = parsed.doc.documentElement;
  if (root.namespaceURI !== P) return { ok: false, reason: 'not a SAML 2.0 protocol message' };
  const a = (n: string) => (root.hasAttribute(n) ? root.getAttribute(n) : null);
  const issuerEl = child(root, A, 'Issuer');
  const policy = child(root, P, 'NameIDPolicy');
  const scoping = child(root, P, 'Scoping');
  const rac = child(root, P, 'RequestedAuthnContext');
  return {
    ok: true,
    request: {
      kind: root.localName,
      id: a('ID'),
      version: a('Version'),
      issueInstant: a('IssueInstant'),
      issuer: issuerEl ? (issuerEl.textContent ?? '').trim() : null,
      destination: a('Destination'),
      acsUrl: a('AssertionConsumerServiceURL'),
      protocolBinding: a('ProtocolBinding'),
      nameIdPolicyFormat: policy && policy.hasAttribute('Format') ? policy.getAttribute('Format') : null,
      forceAuthn: a('ForceAuthn') === 'true' || a('ForceAuthn') === '1',
      isPassive: a('IsPassive') === 'true' || a('IsPassive') === '1',
      hasSubject: child(root, A, 'Subject') !== null,
      unsupportedScoping: scoping !== null && (scoping.hasAttribute('ProxyCount') || child(scoping, P, 'IDPList') !== null || child(scoping, P, 'RequesterID') !== null),
      authnContextComparison: rac ? (rac.getAttribute('Comparison') || 'exact') : null,
    },
  };
}
