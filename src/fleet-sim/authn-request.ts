// The AuthnRequest fleet-sim sends, shaped like Fleet's: id-+40 hex, ProviderName Fleet, HTTP-POST ACS, transient NameIDPolicy, Redirect binding.
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { escapeHtml as esc } from '../html/escape.js';

export interface SimAuthnRequest {
  id: string;
  issueInstant: string;
  xml: string;
  /** the IdP Redirect endpoint with SAMLRequest (and RelayState when given) appended */
  url: string;
}

/** Fleet's request ID: "id-" + 40 lower-case hex digits. */
export function fleetRequestId(): string {
  return 'id-' + randomBytes(20).toString('hex');
}

export function buildAuthnRequest(opts: { entityId: string; acsUrl: string; destination: string; now: Date; id?: string; relayState?: string }): SimAuthnRequest {
  const id = opts.id ?? fleetRequestId();
  const issueInstant = opts.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const xml =
    `<samlp:AuthnRequest xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"` +
    ` ID="${esc(id)}" Version="2.0" ProviderName="Fleet" IssueInstant="${issueInstant}" Destination="${esc(opts.destination)}"` +
    ` ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="${esc(opts.acsUrl)}">` +
    `<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${esc(opts.entityId)}</saml:Issuer>` +
    `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" AllowCreate="true"/>` +
    `</samlp:AuthnRequest>`;
  const samlRequest = deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64');
  const u = new URL(opts.destination);
  u.searchParams.append('SAMLRequest', samlRequest);
  if (opts.relayState) u.searchParams.append('RelayState', opts.relayState);
  return { id, issueInstant, xml, url: u.toString() };
}
