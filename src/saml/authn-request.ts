// AuthnRequests: decode (Redirect or POST binding), read the fields Fleet sets, and lint them against the configuration.
import { decodeBase64Strict, decodeRedirectMessage } from './decode.js';
import { finding, type Finding } from './findings.js';
import { NS, attr, firstChild, parseXmlSafely, textOf } from './xml.js';
import { DEFAULT_LIMITS, type IdpMetadata } from './types.js';

export interface AuthnRequestInfo {
  id: string | null;
  issuer: string | null;
  acsUrl: string | null;
  destination: string | null;
  issueInstant: string | null;
  nameIdPolicyFormat: string | null;
  allowCreate: string | null;
  protocolBinding: string | null;
  providerName: string | null;
  forceAuthn: boolean;
  isPassive: boolean;
  hasSubject: boolean;
  hasScoping: boolean;
  requestedAuthnContext: string[];
  xml: string;
}

const REQUEST_LIMITS = { ...DEFAULT_LIMITS, maxBytes: 256 * 1024, maxElements: 500, maxDepth: 20 };

/** Decodes a SAMLRequest value; `redirect` = base64 + raw DEFLATE (bounded), `post` = base64. Never throws. */
export function decodeAuthnRequest(samlRequest: string, binding: 'redirect' | 'post'): { request: AuthnRequestInfo | null; findings: Finding[] } {
  let xml: string;
  if (binding === 'redirect') {
    const r = decodeRedirectMessage(samlRequest, REQUEST_LIMITS.maxBytes);
    if (!r.ok) return { request: null, findings: r.findings };
    xml = r.xml;
  } else {
    const bytes = decodeBase64Strict(samlRequest);
    if (!bytes) return { request: null, findings: [finding('SAML_DECODE_BASE64_INVALID', 'The SAMLRequest value is not valid base64.')] };
    xml = bytes.toString('utf8');
  }
  return parseAuthnRequestXml(xml);
}

export function parseAuthnRequestXml(xml: string): { request: AuthnRequestInfo | null; findings: Finding[] } {
  const parsed = parseXmlSafely(xml, REQUEST_LIMITS);
  if (!parsed.ok) return { request: null, findings: parsed.findings };
  const root = parsed.doc.documentElement;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'AuthnRequest') {
    return { request: null, findings: [finding('SAML_XML_NOT_RESPONSE', `Expected an AuthnRequest, found {${root.namespaceURI ?? ''}}${root.localName}.`)] };
  }
  const policy = firstChild(root, NS.protocol, 'NameIDPolicy');
  const rac = firstChild(root, NS.protocol, 'RequestedAuthnContext');
  const refs: string[] = [];
  if (rac) for (let c = rac.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) refs.push(textOf(c as Element) ?? '');
  return {
    request: {
      id: attr(root, 'ID'),
      issuer: textOf(firstChild(root, NS.assertion, 'Issuer'))?.trim() ?? null,
      acsUrl: attr(root, 'AssertionConsumerServiceURL'),
      destination: attr(root, 'Destination'),
      issueInstant: attr(root, 'IssueInstant'),
      nameIdPolicyFormat: attr(policy, 'Format'),
      allowCreate: attr(policy, 'AllowCreate'),
      protocolBinding: attr(root, 'ProtocolBinding'),
      providerName: attr(root, 'ProviderName'),
      forceAuthn: attr(root, 'ForceAuthn') === 'true',
      isPassive: attr(root, 'IsPassive') === 'true',
      hasSubject: firstChild(root, NS.assertion, 'Subject') !== null,
      hasScoping: firstChild(root, NS.protocol, 'Scoping') !== null,
      requestedAuthnContext: refs,
      xml,
    },
    findings: [],
  };
}

/** The SAMLRequest query parameter of an IdP URL (what Fleet answers to POST /api/v1/fleet/sso). */
export function authnRequestFromUrl(url: string): { request: AuthnRequestInfo | null; findings: Finding[]; relayState: string | null } {
  let u: URL;
  try { u = new URL(url); } catch { return { request: null, findings: [finding('SAML_DECODE_EMPTY', 'The IdP URL is not a URL.')], relayState: null }; }
  const v = u.searchParams.get('SAMLRequest');
  if (!v) return { request: null, findings: [finding('SAML_DECODE_EMPTY', 'The IdP URL has no SAMLRequest parameter.')], relayState: u.searchParams.get('RelayState') };
  return { ...decodeAuthnRequest(v, 'redirect'), relayState: u.searchParams.get('RelayState') };
}

/** What will make Entra refuse the request or the response fail at Fleet, seen from the AuthnRequest alone. */
export function lintAuthnRequest(req: AuthnRequestInfo, opts: { entityId: string; acsUrl: string; metadata: IdpMetadata }): Finding[] {
  const out: Finding[] = [];
  if (req.issuer !== opts.entityId) {
    out.push(finding('SAML_FLEET_AUTHN_ISSUER_MISMATCH', `AuthnRequest Issuer is "${(req.issuer ?? '(none)').slice(0, 200)}"; the configured entity ID is "${opts.entityId}".`, { expected: opts.entityId, actual: req.issuer }));
  }
  if (req.acsUrl !== null && req.acsUrl !== opts.acsUrl) {
    out.push(finding('SAML_FLEET_AUTHN_ACS_MISMATCH', `AssertionConsumerServiceURL is "${req.acsUrl.slice(0, 300)}"; expected "${opts.acsUrl}".`, { expected: opts.acsUrl, actual: req.acsUrl }));
  }
  if (!opts.metadata.redirectSsoUrl) {
    out.push(finding('SAML_META_NO_REDIRECT_SSO', 'The IdP metadata has no HTTP-Redirect SingleSignOnService.'));
  } else if (req.destination !== null && req.destination !== opts.metadata.redirectSsoUrl) {
    out.push(finding('SAML_FLEET_AUTHN_DEST_MISMATCH', `Destination is "${req.destination.slice(0, 300)}"; the metadata's Redirect SSO URL is "${opts.metadata.redirectSsoUrl}".`, { expected: opts.metadata.redirectSsoUrl, actual: req.destination }));
  }
  return out;
}
