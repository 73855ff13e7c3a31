// fleet-sim's callback validation: @node-saml/node-saml for the signature, plus the rules Fleet adds on top (FLEET.md "What the callback checks").
import { parseXmlSafely, xml10View } from '../saml/xml.js';
import { DEFAULT_LIMITS } from '../saml/types.js';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { SimMetadata } from './metadata.js';
import { CLOCK_SKEW_SECONDS, ISSUE_INSTANT_MAX_AGE_SECONDS } from '../fleet/rules.js';

const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const A = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

/** Why fleet-sim refused a response: stable reasons, inspectable in tests (Fleet only says status=error). */
export type RejectReason =
  | 'not_xml'
  | 'status'
  | 'encrypted_assertion'
  | 'no_valid_cert'
  | 'signature'
  | 'destination'
  | 'issuer'
  | 'issue_instant'
  | 'in_response_to'
  | 'recipient'
  | 'subject_expired'
  | 'conditions'
  | 'audience'
  | 'no_nameid';

export interface ValidateInput {
  samlResponseB64: string;
  metadata: SimMetadata;
  entityId: string;
  acsUrl: string;
  /** audiences Fleet accepts: entity_id, server_url, the ACS URL */
  audiences: string[];
  /** the stored AuthnRequest ID; null when no session was found (unsolicited) */
  requestId: string | null;
  allowIdpInitiated: boolean;
  now: Date;
  clockSkewMs?: number;
  maxIssueInstantAgeMs?: number;
}

export type ValidateResult =
  | { ok: true; nameId: string; nameIdFormat: string | null; issuer: string; attributes: Record<string, string[]> }
  | { ok: false; reason: RejectReason; detail: string };

function children(parent: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let i = 0; i < parent.childNodes.length; i++) {
    const n = parent.childNodes.item(i) as Element;
    if (n.nodeType === 1 && n.namespaceURI === ns && n.localName === local) out.push(n);
  }
  return out;
}

function child(parent: Element | null | undefined, ns: string, local: string): Element | null {
  return parent ? children(parent, ns, local)[0] ?? null : null;
}

/** Fleet's XML rules (no DTD, depth ≤ 100, ≤ 5000 elements) through the engine's bounded parser. */
function parse(xml: string): Element | null {
  const r = parseXmlSafely(xml, DEFAULT_LIMITS);
  return r.ok ? r.doc.documentElement : null;
}

function fail(reason: RejectReason, detail: string): ValidateResult {
  return { ok: false, reason, detail };
}

/** Validates a callback's SAMLResponse the way Fleet ≥ 4.71 does. Never throws on hostile input. */
export async function validateFleetResponse(inp: ValidateInput): Promise<ValidateResult> {
  const skew = inp.clockSkewMs ?? CLOCK_SKEW_SECONDS * 1000;
  const maxAge = inp.maxIssueInstantAgeMs ?? ISSUE_INSTANT_MAX_AGE_SECONDS * 1000;
  const nowMs = inp.now.getTime();
  const xml = Buffer.from(inp.samlResponseB64, 'base64').toString('utf8');
  const response = parse(xml);
  if (!response || response.namespaceURI !== P || response.localName !== 'Response') return fail('not_xml', 'not a SAML Response document');

  const statusCode = child(child(response, P, 'Status'), P, 'StatusCode')?.getAttribute('Value') ?? '';
  if (statusCode !== SUCCESS) return fail('status', `top StatusCode is ${statusCode || '(none)'}`);
  if (children(response, A, 'EncryptedAssertion').length > 0) return fail('encrypted_assertion', 'encrypted assertions are not supported (Fleet has no SP key)');

  const trusted = inp.metadata.certs.filter((c) => c.notBefore.getTime() <= nowMs && nowMs <= c.notAfter.getTime());
  if (trusted.length === 0) return fail('no_valid_cert', 'no metadata signing certificate is valid now');

  const saml = new SAML({
    callbackUrl: inp.acsUrl,
    issuer: inp.entityId,
    idpCert: trusted.map((c) => c.pem),
    audience: false,
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    idpIssuer: inp.metadata.entityId,
    validateInResponseTo: ValidateInResponseTo.never,
    acceptedClockSkewMs: skew,
  });
  let assertionXml: string;
  try {
    // node-saml parses with xmldom: the XML 1.0 view keeps U+2028/U+0085 as Fleet's Go parser does
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: Buffer.from(xml10View(xml).text, 'utf8').toString('base64') });
    if (!profile?.getAssertionXml) return fail('signature', 'node-saml returned no assertion');
    assertionXml = profile.getAssertionXml();
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/signature/i.test(msg)) return fail('signature', msg);
    if (/audience/i.test(msg)) return fail('audience', msg);
    if (/SAML assertion (expired|not yet valid)|NotBefore|NotOnOrAfter|expired/i.test(msg)) return fail('conditions', msg);
    return fail('signature', msg);
  }
  // From here on the assertion is read only from the bytes node-saml verified.
  const assertion = parse(assertionXml);
  if (!assertion) return fail('signature', 'verified assertion does not parse');

  const responseSigned = child(response, DS, 'Signature') !== null;
  const destination = response.getAttribute('Destination');
  if ((destination !== null && destination !== '') || responseSigned) {
    if (destination !== inp.acsUrl) return fail('destination', `Destination "${destination ?? ''}" is not the ACS URL "${inp.acsUrl}"`);
  }

  const responseIssuer = child(response, A, 'Issuer');
  if (responseIssuer && (responseIssuer.textContent ?? '') !== inp.metadata.entityId) {
    return fail('issuer', `Response Issuer "${responseIssuer.textContent ?? ''}" is not the metadata entityID "${inp.metadata.entityId}"`);
  }
  const assertionIssuer = child(assertion, A, 'Issuer')?.textContent ?? null;
  if (assertionIssuer !== inp.metadata.entityId) {
    return fail('issuer', `Assertion Issuer "${assertionIssuer ?? '(missing)'}" is not the metadata entityID "${inp.metadata.entityId}"`);
  }

  for (const [what, el] of [['Response', response], ['Assertion', assertion]] as const) {
    const t = Date.parse(el.getAttribute('IssueInstant') ?? '');
    if (Number.isNaN(t)) return fail('issue_instant', `${what} IssueInstant missing or unreadable`);
    if (nowMs - t > maxAge) return fail('issue_instant', `${what} IssueInstant is ${Math.round((nowMs - t) / 1000)} s old (Fleet allows ${ISSUE_INSTANT_MAX_AGE_SECONDS} s)`);
  }

  if (!inp.allowIdpInitiated) {
    const irt = response.getAttribute('InResponseTo') || null;
    if (inp.requestId === null) return fail('in_response_to', 'no SSO session: unsolicited response while IdP-initiated login is disabled');
    if (irt !== inp.requestId) return fail('in_response_to', `Response InResponseTo "${irt ?? ''}" is not the request ID "${inp.requestId}"`);
  }

  const subject = child(assertion, A, 'Subject');
  for (const sc of subject ? children(subject, A, 'SubjectConfirmation') : []) {
    const scd = child(sc, A, 'SubjectConfirmationData');
    if (!scd) continue;
    const recipient = scd.getAttribute('Recipient');
    if (recipient !== inp.acsUrl) return fail('recipient', `Recipient "${recipient ?? ''}" is not the ACS URL "${inp.acsUrl}"`);
    if (!inp.allowIdpInitiated) {
      const irt = scd.getAttribute('InResponseTo');
      if (irt !== inp.requestId) return fail('in_response_to', `SubjectConfirmationData InResponseTo "${irt ?? ''}" is not the request ID`);
    }
    const noa = scd.getAttribute('NotOnOrAfter');
    if (noa && Date.parse(noa) + skew < nowMs) return fail('subject_expired', `SubjectConfirmationData NotOnOrAfter ${noa} has passed`);
  }

  const conditions = child(assertion, A, 'Conditions');
  if (!conditions) return fail('conditions', 'Conditions missing');
  const nb = conditions.getAttribute('NotBefore');
  const noa = conditions.getAttribute('NotOnOrAfter');
  if (nb && Date.parse(nb) - skew > nowMs) return fail('conditions', `Conditions NotBefore ${nb} is in the future`);
  if (noa && nowMs >= Date.parse(noa) + skew) return fail('conditions', `Conditions NotOnOrAfter ${noa} has passed`);
  const restrictions = children(conditions, A, 'AudienceRestriction');
  if (restrictions.length === 0) return fail('audience', 'no AudienceRestriction');
  const seen = restrictions.flatMap((r) => children(r, A, 'Audience').map((a) => a.textContent ?? ''));
  if (!seen.some((a) => inp.audiences.includes(a))) return fail('audience', `Audience ${JSON.stringify(seen)} is none of ${JSON.stringify(inp.audiences)}`);

  const nameIdEl = child(subject, A, 'NameID');
  const nameId = (nameIdEl?.textContent ?? '').trim();
  if (!nameId) return fail('no_nameid', 'no NameID in the assertion');

  const attributes: Record<string, string[]> = {};
  for (const st of children(assertion, A, 'AttributeStatement')) {
    for (const a of children(st, A, 'Attribute')) {
      attributes[a.getAttribute('Name') ?? ''] = children(a, A, 'AttributeValue').map((v) => v.textContent ?? '');
    }
  }
  return { ok: true, nameId, nameIdFormat: nameIdEl?.getAttribute('Format') ?? null, issuer: assertionIssuer, attributes };
}
