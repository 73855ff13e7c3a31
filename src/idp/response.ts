// Builds Entra-shaped SAML documents byte for byte (responses, error responses, federation metadata): pure, the clock passed in.
import { createHash, randomUUID } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { pemToBase64 } from '../saml/metadata.js';
import { usePiAwareCanonicalization } from '../saml/c14n.js';
import { xml10View } from '../saml/xml.js';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const NAMEID_FORMAT = {
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  windowsDomain: 'urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName',
} as const;

export const CLAIM = {
  tenantId: 'http://schemas.microsoft.com/identity/claims/tenantid',
  objectId: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  displayName: 'http://schemas.microsoft.com/identity/claims/displayname',
  identityProvider: 'http://schemas.microsoft.com/identity/claims/identityprovider',
  authnMethods: 'http://schemas.microsoft.com/claims/authnmethodsreferences',
  givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  groups: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
  role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
} as const;

export const AUTHN_METHOD_PASSWORD = 'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password';
export const AUTHN_METHOD_MFA = 'http://schemas.microsoft.com/claims/multipleauthn';

const STATUS_PREFIX = 'urn:oasis:names:tc:SAML:2.0:status:';
const ALG = {
  sha256: { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2001/04/xmlenc#sha256' },
  sha1: { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
} as const;
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export type SigningOption = 'assertion' | 'response' | 'both' | 'none';
export type SigningAlgorithm = 'sha256' | 'sha1';

export interface SigningKey {
  privateKeyPem: string;
  certPem: string;
}

export interface SamlAttribute {
  name: string;
  values: string[];
}

export interface EntraResponseSpec {
  tenantId: string;
  /** the ACS URL used: Destination and Recipient unless overridden */
  acsUrl: string;
  /** the Audience, already `spn:`-prefixed when Entra would prefix it (see audienceFor) */
  audience: string;
  /** the AuthnRequest ID; absent for IdP-initiated responses */
  inResponseTo?: string;
  /** the instant the response is issued (Response and Assertion IssueInstant); T0 for the windows is 93 ms earlier */
  now: Date;
  /** null or '' leaves the NameID out */
  nameId: string | null;
  nameIdFormat: string;
  /** the user's object ID (objectidentifier claim) */
  objectId?: string;
  /** the displayname claim */
  displayName?: string;
  /** authnmethodsreferences values; default [password] */
  authnMethods?: string[];
  /** configured claims, emitted after the built-in ones; empty ones are omitted */
  attributes: SamlAttribute[];
  signing: SigningOption;
  algorithm: SigningAlgorithm;
  key: SigningKey;
  /** Conditions and SubjectConfirmationData lifetime after T0, default 60 */
  lifetimeMinutes?: number;
  /** deterministic IDs for fixtures */
  ids?: { response: string; assertion: string };
  authnInstant?: Date;
  /** defaults to https://sts.windows.net/{tenant}/ */
  issuer?: string;
  /** a different Issuer on the Assertion only (faults) */
  assertionIssuer?: string;
  destination?: string;
  recipient?: string;
  /** shifts NotBefore/NotOnOrAfter and IssueInstants by this many seconds (faults: expired, not-yet-valid, clock skew) */
  timeShiftSeconds?: number;
}

/** `_` + lower-case GUID, as Entra makes IDs. */
export function entraId(): string {
  return '_' + randomUUID();
}

/** ISO-8601 UTC with exactly 3 fractional digits and Z. */
export function samlTime(d: Date): string {
  return d.toISOString();
}

/** Entra's Issuer for a tenant, trailing slash included. */
export function entraIssuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

/** Entra's notion of a URI Identifier: a scheme, then a colon. */
export function isUriIdentifier(identifier: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(identifier);
}

/**
 * The Audience Entra sends for the Identifier the request named: the Identifier itself; `spn:` + it when the request
 * named the app by its application ID GUID (`namedByAppId`), or, with the older-tenant quirk on, when it is not a URI.
 */
export function audienceFor(identifier: string, how: { namedByAppId?: boolean; legacySpnAudience?: boolean } = {}): string {
  if (how.namedByAppId) return `spn:${identifier}`;
  if (how.legacySpnAudience && !isUriIdentifier(identifier)) return `spn:${identifier}`;
  return identifier;
}

export function escapeXmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeXmlAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\r/g, '&#xD;').replace(/\n/g, '&#xA;').replace(/\t/g, '&#x9;');
}

function attr(name: string, value: string | undefined): string {
  return value === undefined ? '' : ` ${name}="${escapeXmlAttr(value)}"`;
}

/** The built-in claims first (tenantid, objectidentifier, displayname, identityprovider, authnmethodsreferences), then the configured ones; empty values and empty claims dropped. */
export function entraAttributes(spec: Pick<EntraResponseSpec, 'tenantId' | 'objectId' | 'displayName' | 'authnMethods' | 'attributes' | 'issuer'>): SamlAttribute[] {
  const builtIn: SamlAttribute[] = [
    { name: CLAIM.tenantId, values: [spec.tenantId] },
    { name: CLAIM.objectId, values: spec.objectId ? [spec.objectId] : [] },
    { name: CLAIM.displayName, values: spec.displayName ? [spec.displayName] : [] },
    { name: CLAIM.identityProvider, values: [spec.issuer ?? entraIssuer(spec.tenantId)] },
    { name: CLAIM.authnMethods, values: spec.authnMethods ?? [AUTHN_METHOD_PASSWORD] },
  ];
  return [...builtIn, ...spec.attributes]
    .map((a) => ({ name: a.name, values: a.values.filter((v) => v !== '') }))
    .filter((a) => a.values.length > 0);
}

function unsignedResponse(spec: EntraResponseSpec, responseId: string, assertionId: string): string {
  const shift = (spec.timeShiftSeconds ?? 0) * 1000;
  const issued = new Date(spec.now.getTime() + shift);
  const t0 = new Date(issued.getTime() - 93);
  const lifetime = (spec.lifetimeMinutes ?? 60) * 60_000;
  const notBefore = samlTime(new Date(t0.getTime() - 5 * 60_000));
  const notOnOrAfter = samlTime(new Date(t0.getTime() + lifetime));
  const authnInstant = samlTime(spec.authnInstant ?? new Date(t0.getTime() - 2_839));
  const issuer = spec.issuer ?? entraIssuer(spec.tenantId);
  const assertionIssuer = spec.assertionIssuer ?? issuer;
  const destination = spec.destination ?? spec.acsUrl;
  const recipient = spec.recipient ?? spec.acsUrl;
  const nameId = spec.nameId
    ? `<NameID Format="${escapeXmlAttr(spec.nameIdFormat)}">${escapeXmlText(spec.nameId)}</NameID>`
    : '';
  const attributes = entraAttributes(spec)
    .map((a) => `<Attribute Name="${escapeXmlAttr(a.name)}">${a.values.map((v) => `<AttributeValue>${escapeXmlText(v)}</AttributeValue>`).join('')}</Attribute>`)
    .join('');
  const assertion =
    `<Assertion ID="${assertionId}" IssueInstant="${samlTime(issued)}" Version="2.0" xmlns="${NS.assertion}">` +
    `<Issuer>${escapeXmlText(assertionIssuer)}</Issuer>` +
    `<Subject>${nameId}<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<SubjectConfirmationData${attr('InResponseTo', spec.inResponseTo)} NotOnOrAfter="${notOnOrAfter}"${attr('Recipient', recipient)}/>` +
    `</SubjectConfirmation></Subject>` +
    `<Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><AudienceRestriction><Audience>${escapeXmlText(spec.audience)}</Audience></AudienceRestriction></Conditions>` +
    (attributes ? `<AttributeStatement>${attributes}</AttributeStatement>` : '') +
    `<AuthnStatement AuthnInstant="${authnInstant}" SessionIndex="${assertionId}"><AuthnContext><AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</AuthnContextClassRef></AuthnContext></AuthnStatement>` +
    `</Assertion>`;
  return (
    `<samlp:Response ID="${responseId}" Version="2.0" IssueInstant="${samlTime(issued)}"${attr('Destination', destination)}${attr('InResponseTo', spec.inResponseTo)} xmlns:samlp="${NS.protocol}">` +
    `<Issuer xmlns="${NS.assertion}">${escapeXmlText(issuer)}</Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${STATUS_PREFIX}Success"/></samlp:Status>` +
    assertion +
    `</samlp:Response>`
  );
}

/** Signs one element (found by local name) with an enveloped signature placed right after its Issuer, in Entra's layout (no ds: prefix). */
export function signElement(xml: string, element: 'Response' | 'Assertion' | 'EntityDescriptor', key: SigningKey, algorithm: SigningAlgorithm, keyInfo?: (certB64: string) => string): string {
  const alg = ALG[algorithm];
  const sig = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certPem,
    signatureAlgorithm: alg.signature,
    canonicalizationAlgorithm: EXC_C14N,
  });
  usePiAwareCanonicalization(sig as unknown as { CanonicalizationAlgorithms: Record<string, unknown> });
  if (keyInfo) sig.getKeyInfoContent = () => keyInfo(pemToBase64(key.certPem));
  const path = element === 'Assertion'
    ? "/*[local-name(.)='Response']/*[local-name(.)='Assertion']"
    : `/*[local-name(.)='${element}']`;
  sig.addReference({ xpath: path, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: alg.digest });
  const location = element === 'EntityDescriptor'
    ? { reference: path, action: 'prepend' as const }
    : { reference: `${path}/*[local-name(.)='Issuer']`, action: 'after' as const };
  // xml-crypto parses with xmldom, which reads U+2028/U+0085 as line ends (XML 1.1); the XML 1.0 view keeps them
  sig.computeSignature(xml10View(xml).text, { prefix: '', location });
  return sig.getSignedXml();
}

/** A successful Entra SAML Response, signed as the spec says. */
export function buildEntraResponse(spec: EntraResponseSpec): string {
  const ids = spec.ids ?? { response: entraId(), assertion: entraId() };
  let xml = unsignedResponse(spec, ids.response, ids.assertion);
  if (spec.signing === 'assertion' || spec.signing === 'both') xml = signElement(xml, 'Assertion', spec.key, spec.algorithm);
  if (spec.signing === 'response' || spec.signing === 'both') xml = signElement(xml, 'Response', spec.key, spec.algorithm);
  return xml;
}

export type TopStatus = 'Requester' | 'Responder' | 'VersionMismatch';
export type SubStatus = 'RequestUnsupported' | 'NoPassive' | 'RequestDenied' | 'AuthnFailed' | 'InvalidNameIDPolicy' | 'NoAuthnContext';

export interface EntraErrorSpec {
  tenantId: string;
  now: Date;
  status: TopStatus;
  subStatus?: SubStatus;
  /** e.g. 75006 */
  aadsts: number;
  /** the text after `AADSTSnnnnn: ` */
  text: string;
  destination?: string;
  inResponseTo?: string;
  traceId?: string;
  id?: string;
  issuer?: string;
}

/** Entra's StatusMessage: `AADSTSnnnnn: text\nTrace ID: guid\nTimestamp: yyyy-mm-dd hh:mm:ssZ`. */
export function aadstsMessage(code: number, text: string, traceId: string, now: Date): string {
  const ts = now.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
  return `AADSTS${code}: ${text}\nTrace ID: ${traceId}\nTimestamp: ${ts}`;
}

/** An unsigned Entra error Response (Requester/Responder with a nested status), no Assertion. */
export function buildEntraErrorResponse(spec: EntraErrorSpec): string {
  const issuer = spec.issuer ?? entraIssuer(spec.tenantId);
  const message = aadstsMessage(spec.aadsts, spec.text, spec.traceId ?? randomUUID(), spec.now);
  const inner = spec.subStatus ? `<samlp:StatusCode Value="${STATUS_PREFIX}${spec.subStatus}"/>` : '';
  const code = inner
    ? `<samlp:StatusCode Value="${STATUS_PREFIX}${spec.status}">${inner}</samlp:StatusCode>`
    : `<samlp:StatusCode Value="${STATUS_PREFIX}${spec.status}"/>`;
  return (
    `<samlp:Response ID="${spec.id ?? entraId()}" Version="2.0" IssueInstant="${samlTime(spec.now)}"${attr('Destination', spec.destination)}${attr('InResponseTo', spec.inResponseTo)} xmlns:samlp="${NS.protocol}">` +
    `<Issuer xmlns="${NS.assertion}">${escapeXmlText(issuer)}</Issuer>` +
    `<samlp:Status>${code}<samlp:StatusMessage>${escapeXmlText(message)}</samlp:StatusMessage></samlp:Status>` +
    `</samlp:Response>`
  );
}

const CLAIM_TYPES: Array<[string, string, string]> = [
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', 'Name', 'The mutable display name of the user.'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier', 'Subject', 'An immutable, globally unique, non-reusable identifier of the user that is unique to the application for which a token is issued.'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', 'Given Name', 'First name of the user.'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', 'Surname', 'Last name of the user.'],
  ['http://schemas.microsoft.com/identity/claims/displayname', 'Display Name', 'Display name of the user.'],
  ['http://schemas.microsoft.com/identity/claims/nickname', 'Nick Name', 'Nick name of the user.'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationinstant', 'Authentication Instant', 'The time (UTC) when the user is authenticated to Windows Azure Active Directory.'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod', 'Authentication Method', 'The method that Windows Azure Active Directory uses to authenticate users.'],
  ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'ObjectIdentifier', 'Primary identifier for the user in the directory. Immutable, globally unique, non-reusable.'],
  ['http://schemas.microsoft.com/identity/claims/tenantid', 'TenantId', "Identifier for the user's tenant."],
  ['http://schemas.microsoft.com/identity/claims/identityprovider', 'IdentityProvider', 'Identity provider for the user.'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'Email', 'Email address of the user.'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/groups', 'Groups', 'Groups of the user.'],
  ['http://schemas.microsoft.com/identity/claims/accesstoken', 'External Access Token', 'Access token issued by external identity provider.'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/expiration', 'External Access Token Expiration', 'UTC expiration time of access token issued by external identity provider.'],
  ['http://schemas.microsoft.com/identity/claims/openid2_id', 'External OpenID 2.0 Identifier', 'OpenID 2.0 identifier issued by external identity provider.'],
  ['http://schemas.microsoft.com/claims/groups.link', 'GroupsOverageClaim', "Issued when number of user's group claims exceeds return limit."],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/role', 'Role Claim', 'Roles that the user or Service Principal is attached to'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/wids', 'RoleTemplate Id Claim', 'Role template id of the Built-in Directory Roles that the user is a member of'],
];

export interface EntraMetadataSpec {
  tenantId: string;
  /** where the mock answers, e.g. http://127.0.0.1:8081 (Entra: https://login.microsoftonline.com) */
  baseUrl: string;
  /** signing certs listed in every KeyDescriptor: the active one first, then an inactive rollover cert */
  certsPem: string[];
  /** signs the document (Entra: the active cert) */
  signingKey: SigningKey;
  id?: string;
  entityId?: string;
}

/** App federation metadata in Entra's layout: BOM, XML declaration, one line, signed, two WS-Fed RoleDescriptors, IDPSSODescriptor. */
export function buildEntraMetadata(spec: EntraMetadataSpec): string {
  const base = spec.baseUrl.replace(/\/+$/, '');
  const tenantBase = `${base}/${spec.tenantId}`;
  const entityId = spec.entityId ?? entraIssuer(spec.tenantId);
  const id = spec.id ?? entraId();
  const keys = spec.certsPem
    .map((c) => `<KeyDescriptor use="signing"><KeyInfo xmlns="${NS.dsig}"><X509Data><X509Certificate>${pemToBase64(c)}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`)
    .join('');
  const fed = 'http://docs.oasis-open.org/wsfed/federation/200706';
  const roleAttrs = `protocolSupportEnumeration="${fed}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="${fed}"`;
  const epr = (url: string) => `<wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>${escapeXmlText(url)}</wsa:Address></wsa:EndpointReference>`;
  const claims = CLAIM_TYPES.map(([uri, name, desc]) =>
    `<auth:ClaimType Uri="${uri}" xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706"><auth:DisplayName>${escapeXmlText(name)}</auth:DisplayName><auth:Description>${escapeXmlText(desc)}</auth:Description></auth:ClaimType>`).join('');
  const wsfed = `${tenantBase}/wsfed`;
  const saml2 = escapeXmlAttr(`${tenantBase}/saml2`);
  const doc =
    `<EntityDescriptor ID="${id}" entityID="${escapeXmlAttr(entityId)}" xmlns="${NS.metadata}">` +
    `<RoleDescriptor xsi:type="fed:SecurityTokenServiceType" ${roleAttrs}>${keys}<fed:ClaimTypesOffered>${claims}</fed:ClaimTypesOffered>` +
    `<fed:SecurityTokenServiceEndpoint>${epr(wsfed)}</fed:SecurityTokenServiceEndpoint><fed:PassiveRequestorEndpoint>${epr(wsfed)}</fed:PassiveRequestorEndpoint></RoleDescriptor>` +
    `<RoleDescriptor xsi:type="fed:ApplicationServiceType" ${roleAttrs}>${keys}<fed:TargetScopes>${epr(entityId)}</fed:TargetScopes>` +
    `<fed:ApplicationServiceEndpoint>${epr(wsfed)}</fed:ApplicationServiceEndpoint><fed:PassiveRequestorEndpoint>${epr(wsfed)}</fed:PassiveRequestorEndpoint></RoleDescriptor>` +
    `<IDPSSODescriptor protocolSupportEnumeration="${NS.protocol}">${keys}` +
    `<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${saml2}"/>` +
    `<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${saml2}"/>` +
    `<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${saml2}"/>` +
    `</IDPSSODescriptor></EntityDescriptor>`;
  const signed = signElement(doc, 'EntityDescriptor', spec.signingKey, 'sha256', (b64) =>
    `<ds:X509Data xmlns:ds="${NS.dsig}"><ds:X509Certificate>${b64}</ds:X509Certificate></ds:X509Data>`);
  // Entra writes empty elements as `<X a="..." />`; exclusive c14n makes both forms identical, so the signature holds.
  return '\uFEFF<?xml version="1.0" encoding="utf-8"?>' + signed.replace(/"\/>/g, '" />');
}

/** Entra's pairwise NameID (persistent/unspecified): 43 characters of base64url, stable per user and app. */
export function pairwiseNameId(objectId: string, appIdentifier: string): string {
  return createHash('sha256').update(`${objectId}\u0000${appIdentifier}`).digest('base64url');
}
