// The mock IdP's fault catalogue as data (name, description, the finding the engine reports) and how each fault changes a response.
import type { FindingCode } from '../saml/findings.js';
import {
  buildEntraErrorResponse, buildEntraResponse, CLAIM, NAMEID_FORMAT, pairwiseNameId,
  type EntraErrorSpec, type EntraResponseSpec, type SigningKey,
} from './response.js';

export const FAULT_NAMES = [
  'expired', 'not-yet-valid', 'clock-skew', 'wrong-audience', 'spn-audience', 'wrong-recipient', 'wrong-destination',
  'wrong-issuer', 'unsigned', 'unknown-key', 'tampered', 'cert-expired', 'response-only-signing', 'sha1',
  'persistent-nameid', 'missing-nameid', 'missing-email-claim', 'status-denied', 'status-nopassive',
  'status-unsupported', 'slow', 'rollover',
] as const;

export type FaultName = (typeof FAULT_NAMES)[number];

export interface FaultDef {
  name: FaultName;
  description: string;
  /** the finding samlscope's engine reports for it; null when Fleet accepts the response */
  expectedCode: FindingCode | null;
  /** what the numeric parameter (`name:N`) means, when it takes one */
  param?: { meaning: string; default: number };
  /**
   * Which signing certs the SP's metadata must hold for expectedCode to be what it reports.
   * 'active' = the mock's signing cert (the default metadata); 'active+expired' = the metadata lists the expired cert too
   * (Entra's metadata after the active cert expired: the mock serves it when an app's configured fault is cert-expired).
   */
  spTrusts: 'active' | 'active+expired';
}

/** Fault name → definition. Codes are from src/saml/findings.ts. */
export const FAULTS: Readonly<Record<FaultName, FaultDef>> = Object.freeze({
  'expired': { name: 'expired', description: 'The whole response is dated 2 hours back: Conditions and SubjectConfirmationData NotOnOrAfter have passed (a replayed or held-back response).', expectedCode: 'SAML_TIME_EXPIRED', spTrusts: 'active' },
  'not-yet-valid': { name: 'not-yet-valid', description: 'The response is dated 15 minutes ahead: NotBefore lies beyond the 180 s skew Fleet allows.', expectedCode: 'SAML_TIME_NOT_YET_VALID', spTrusts: 'active' },
  'clock-skew': { name: 'clock-skew', description: 'The IdP clock is off by N seconds (clock-skew:N, negative = behind). Ahead by more than 480 s → not yet valid; behind by more than 3780 s → expired; smaller skews are absorbed.', expectedCode: 'SAML_TIME_NOT_YET_VALID', param: { meaning: 'seconds the IdP clock is ahead (negative: behind)', default: 900 }, spTrusts: 'active' },
  'wrong-audience': { name: 'wrong-audience', description: 'Audience is another app\'s Identifier (https://other-app.contoso.example), as when Entra\'s Identifier differs from Fleet\'s entity ID.', expectedCode: 'SAML_AUDIENCE_MISMATCH', spTrusts: 'active' },
  'spn-audience': { name: 'spn-audience', description: 'Audience is "spn:" + the Identifier the request named (e.g. spn:fleet), as Entra sends when the request names the app by its application ID GUID, or on some older tenants for an Identifier that is not a URI.', expectedCode: 'SAML_AUDIENCE_SPN_PREFIX', spTrusts: 'active' },
  'wrong-recipient': { name: 'wrong-recipient', description: 'SubjectConfirmationData Recipient is another reply URL than the ACS the request named.', expectedCode: 'SAML_DEST_RECIPIENT_MISMATCH', spTrusts: 'active' },
  'wrong-destination': { name: 'wrong-destination', description: 'Response Destination is another reply URL than the ACS the request named (Recipient stays right).', expectedCode: 'SAML_DEST_MISMATCH', spTrusts: 'active' },
  'wrong-issuer': { name: 'wrong-issuer', description: 'Response and Assertion Issuer name another tenant (https://sts.windows.net/<other tenant>/), as when Fleet holds another tenant\'s metadata.', expectedCode: 'SAML_ISSUER_ASSERTION_MISMATCH', spTrusts: 'active' },
  'unsigned': { name: 'unsigned', description: 'Neither Response nor Assertion is signed.', expectedCode: 'SAML_SIG_MISSING', spTrusts: 'active' },
  'unknown-key': { name: 'unknown-key', description: 'Signed by a key that is not in the metadata (test-only-attacker), its cert in KeyInfo.', expectedCode: 'SAML_SIG_UNTRUSTED_KEY', spTrusts: 'active' },
  'tampered': { name: 'tampered', description: 'The NameID is changed after signing (alice@ → admin@): the digest no longer matches.', expectedCode: 'SAML_SIG_DIGEST_MISMATCH', spTrusts: 'active' },
  'cert-expired': { name: 'cert-expired', description: 'Signed with an expired certificate that the metadata lists (Entra keeps signing with an expired active cert). Per login against the default metadata the cert is unknown instead: SAML_SIG_UNTRUSTED_KEY.', expectedCode: 'SAML_SIG_CERT_EXPIRED', spTrusts: 'active+expired' },
  'response-only-signing': { name: 'response-only-signing', description: 'Signing option "Sign SAML response": the Response is signed, the Assertion is not. Fleet accepts it (the signature covers the assertion).', expectedCode: null, spTrusts: 'active' },
  'sha1': { name: 'sha1', description: 'Signing algorithm SHA-1 (RSA-SHA1 signature, SHA-1 digest). Fleet accepts it; samlscope warns.', expectedCode: 'SAML_SIG_SHA1', spTrusts: 'active' },
  'persistent-nameid': { name: 'persistent-nameid', description: 'NameID is Entra\'s 43-character pairwise value, format persistent: Fleet matches no user.', expectedCode: 'SAML_NAMEID_PERSISTENT', spTrusts: 'active' },
  'missing-nameid': { name: 'missing-nameid', description: 'The Subject has no NameID (the configured source attribute is empty).', expectedCode: 'SAML_NAMEID_MISSING', spTrusts: 'active' },
  'missing-email-claim': { name: 'missing-email-claim', description: 'No emailaddress claim (the user has no mail attribute, so Entra omits the claim).', expectedCode: 'SAML_ATTR_EMAIL_MISSING', spTrusts: 'active' },
  'status-denied': { name: 'status-denied', description: 'Unsigned error response Requester/RequestDenied with AADSTS50105 (user not assigned to the app).', expectedCode: 'SAML_STATUS_NOT_SUCCESS', spTrusts: 'active' },
  'status-nopassive': { name: 'status-nopassive', description: 'Unsigned error response Responder/NoPassive with AADSTS50058 (silent sign-in without a session).', expectedCode: 'SAML_STATUS_NOT_SUCCESS', spTrusts: 'active' },
  'status-unsupported': { name: 'status-unsupported', description: 'Unsigned error response Requester/RequestUnsupported with AADSTS75006 + AADSTS90011 (unsupported request element).', expectedCode: 'SAML_STATUS_NOT_SUCCESS', spTrusts: 'active' },
  'slow': { name: 'slow', description: 'The IdP waits N milliseconds before answering (slow:N). The response itself is valid.', expectedCode: null, param: { meaning: 'delay in milliseconds (at most 120000)', default: 3000 }, spTrusts: 'active' },
  'rollover': { name: 'rollover', description: 'Signed with the rollover cert, which the SP\'s copy of the metadata does not have yet (its cert is in KeyInfo).', expectedCode: 'SAML_SIG_UNTRUSTED_KEY', spTrusts: 'active' },
});

export interface FaultRequest {
  name: FaultName;
  param?: number;
}

/** Parses `name` or `name:N`; returns an error string for anything else. */
export function parseFault(s: string): FaultRequest | { error: string } {
  const m = /^([a-z0-9-]+)(?::(-?\d{1,7}))?$/.exec(s.trim());
  if (!m || !(FAULT_NAMES as readonly string[]).includes(m[1])) return { error: `unknown fault "${s}" (known: ${FAULT_NAMES.join(', ')})` };
  const def = FAULTS[m[1] as FaultName];
  if (m[2] !== undefined && !def.param) return { error: `fault "${m[1]}" takes no parameter` };
  const param = m[2] !== undefined ? Number(m[2]) : undefined;
  if (def.name === 'slow' && param !== undefined && (param < 0 || param > 120_000)) return { error: 'slow:N takes 0..120000 milliseconds' };
  return param === undefined ? { name: def.name } : { name: def.name, param };
}

/** The finding code the engine reports for this fault with its parameter (clock-skew depends on sign and size). */
export function expectedCodeFor(f: FaultRequest): FindingCode | null {
  if (f.name === 'clock-skew') {
    const n = f.param ?? FAULTS['clock-skew'].param!.default;
    // NotBefore = T0 − 5 min, NotOnOrAfter = T0 + 60 min, Fleet's skew 180 s.
    if (n > 5 * 60 + 180) return 'SAML_TIME_NOT_YET_VALID';
    if (n < -(60 * 60 + 180)) return 'SAML_TIME_EXPIRED';
    return null;
  }
  return FAULTS[f.name].expectedCode;
}

/** The other keys faults sign with. */
export interface FaultKeys {
  expired: SigningKey;
  attacker: SigningKey;
  rollover: SigningKey;
}

export type FaultOutcome =
  | { kind: 'response'; spec: EntraResponseSpec; tamper: boolean; delayMs: number }
  | { kind: 'status'; error: EntraErrorSpec; delayMs: number };

const OTHER_TENANT = '00000000-0000-4000-8000-0000000000ee';

function elsewhere(url: string): string {
  try {
    const u = new URL(url);
    u.hostname = 'wrong-reply-url.contoso.example';
    return u.toString();
  } catch {
    return 'https://wrong-reply-url.contoso.example/api/v1/fleet/sso/callback';
  }
}

/** Applies one fault (or none) to a response spec; pure. */
export function applyFault(spec: EntraResponseSpec, fault: FaultRequest | null, keys: FaultKeys): FaultOutcome {
  const s: EntraResponseSpec = { ...spec, attributes: [...spec.attributes] };
  const ok = (over: Partial<EntraResponseSpec> = {}, tamper = false, delayMs = 0): FaultOutcome =>
    ({ kind: 'response', spec: { ...s, ...over }, tamper, delayMs });
  const status = (e: Pick<EntraErrorSpec, 'status' | 'subStatus' | 'aadsts' | 'text'>): FaultOutcome => ({
    kind: 'status',
    delayMs: 0,
    error: { ...e, tenantId: s.tenantId, now: s.now, destination: s.destination ?? s.acsUrl, inResponseTo: s.inResponseTo, issuer: s.issuer },
  });
  if (!fault) return ok();
  switch (fault.name) {
    case 'expired': return ok({ timeShiftSeconds: -2 * 60 * 60 });
    case 'not-yet-valid': return ok({ timeShiftSeconds: 15 * 60 });
    case 'clock-skew': return ok({ timeShiftSeconds: fault.param ?? FAULTS['clock-skew'].param!.default });
    case 'wrong-audience': return ok({ audience: 'https://other-app.contoso.example' });
    case 'spn-audience': return ok({ audience: s.audience.startsWith('spn:') ? s.audience : `spn:${s.audience}` });
    case 'wrong-recipient': return ok({ recipient: elsewhere(s.recipient ?? s.acsUrl) });
    case 'wrong-destination': return ok({ destination: elsewhere(s.destination ?? s.acsUrl) });
    case 'wrong-issuer': return ok({ issuer: `https://sts.windows.net/${OTHER_TENANT}/` });
    case 'unsigned': return ok({ signing: 'none' });
    case 'unknown-key': return ok({ key: keys.attacker });
    case 'tampered': return ok({}, true);
    case 'cert-expired': return ok({ key: keys.expired });
    case 'response-only-signing': return ok({ signing: 'response' });
    case 'sha1': return ok({ algorithm: 'sha1' });
    case 'persistent-nameid':
      return ok({ nameId: pairwiseNameId(s.objectId ?? s.nameId ?? '', s.audience), nameIdFormat: NAMEID_FORMAT.persistent });
    case 'missing-nameid': return ok({ nameId: null });
    case 'missing-email-claim': return ok({ attributes: s.attributes.filter((a) => a.name !== CLAIM.email) });
    case 'status-denied':
      return status({ status: 'Requester', subStatus: 'RequestDenied', aadsts: 50105, text: `The signed in user '${s.nameId ?? ''}' is not assigned to a role for the application. (MOCK)` });
    case 'status-nopassive':
      return status({ status: 'Responder', subStatus: 'NoPassive', aadsts: 50058, text: 'A silent sign-in request was sent but no user is signed in. (MOCK)' });
    case 'status-unsupported':
      return status({ status: 'Requester', subStatus: 'RequestUnsupported', aadsts: 75006, text: 'An error occurred while processing a SAML2 Authentication request. AADSTS90011: Request param \'Scoping\' is not supported. (MOCK)' });
    case 'slow': return ok({}, false, fault.param ?? FAULTS.slow.param!.default);
    case 'rollover': return ok({ key: keys.rollover });
  }
}

/** Changes the signed NameID (or, without one, the displayname claim) after signing: the digest no longer matches. */
export function tamper(xml: string): string {
  const changed = xml.replace(/(<NameID[^>]*>)([^<@]*)@/, '$1admin@');
  if (changed !== xml) return changed;
  return xml.replace(/(<AttributeValue>)([^<]*)(<\/AttributeValue>)/, '$1$2 (tampered)$3');
}

/** Builds the XML a login with this fault produces, plus how long to wait before sending it. */
export function buildFaultedResponse(spec: EntraResponseSpec, fault: FaultRequest | null, keys: FaultKeys): { xml: string; delayMs: number; signed: boolean } {
  const out = applyFault(spec, fault, keys);
  if (out.kind === 'status') return { xml: buildEntraErrorResponse(out.error), delayMs: out.delayMs, signed: false };
  const xml = buildEntraResponse(out.spec);
  return { xml: out.tamper ? tamper(xml) : xml, delayMs: out.delayMs, signed: out.spec.signing !== 'none' };
}
