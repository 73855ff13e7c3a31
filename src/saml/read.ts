// Reading a Response and an Assertion into plain summaries, and the SAML constants and time parsing the checks share.
import type { AssertionSummary, ResponseSummary, Subject } from './types.js';
import { NS, attr, childElements, firstChild, textOf } from './xml.js';
import { CLOCK_SKEW_SECONDS, ISSUE_INSTANT_MAX_AGE_SECONDS } from '../fleet/rules.js';

export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
export const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
export const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
export const EMAIL_CLAIMS = [
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'email',
  'mail',
  'urn:oid:0.9.2342.19200300.100.1.3',
];
export const JIT_ROLE_VALUES = new Set(['admin', 'maintainer', 'observer', 'observer_plus', 'null']);
export const EMAIL_RE = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

/** Fleet's clock skew and IssueInstant age (src/fleet/rules.ts says where they come from) */
export const DEFAULT_CLOCK_SKEW_SECONDS = CLOCK_SKEW_SECONDS;
export const DEFAULT_MAX_ISSUE_INSTANT_AGE_SECONDS = ISSUE_INSTANT_MAX_AGE_SECONDS;
export const CERT_EXPIRING_DAYS = 30;

/** xs:dateTime as SAML uses it (UTC "Z" or an offset); null when absent or unparseable. */
export function parseTime(value: string | null): number | null {
  if (value === null) return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return NaN;
  const t = Date.parse(value);
  return Number.isNaN(t) ? NaN : t;
}

/** The Response envelope's fields as they stand in `r` (also works on an AuthnRequest root for ID, Issuer, times, Destination). */
export function readResponse(r: Element): ResponseSummary {
  const status = firstChild(r, NS.protocol, 'Status');
  const top = status ? firstChild(status, NS.protocol, 'StatusCode') : null;
  const sub = top ? firstChild(top, NS.protocol, 'StatusCode') : null;
  return {
    id: attr(r, 'ID'),
    issuer: textOf(firstChild(r, NS.assertion, 'Issuer')),
    destination: attr(r, 'Destination'),
    inResponseTo: attr(r, 'InResponseTo'),
    issueInstant: attr(r, 'IssueInstant'),
    statusCode: attr(top, 'Value'),
    subStatusCode: attr(sub, 'Value'),
    statusMessage: status ? textOf(firstChild(status, NS.protocol, 'StatusMessage')) : null,
  };
}

export interface Confirmation { method: string | null; recipient: string | null; inResponseTo: string | null; notOnOrAfter: string | null; hasData: boolean }

/** Everything the checks read from one Assertion element. */
export function readAssertion(a: Element): { summary: AssertionSummary; subject: Subject | null; nameIdEl: Element | null; confirmations: Confirmation[]; restrictions: string[][]; hasConditions: boolean } {
  const subjectEl = firstChild(a, NS.assertion, 'Subject');
  const nameIdEl = subjectEl ? firstChild(subjectEl, NS.assertion, 'NameID') : null;
  const confirmations: Confirmation[] = (subjectEl ? childElements(subjectEl, NS.assertion, 'SubjectConfirmation') : []).map((sc) => {
    const d = firstChild(sc, NS.assertion, 'SubjectConfirmationData');
    return { method: attr(sc, 'Method'), recipient: attr(d, 'Recipient'), inResponseTo: attr(d, 'InResponseTo'), notOnOrAfter: attr(d, 'NotOnOrAfter'), hasData: d !== null };
  });
  const conditions = firstChild(a, NS.assertion, 'Conditions');
  const restrictions = conditions
    ? childElements(conditions, NS.assertion, 'AudienceRestriction').map((ar) => childElements(ar, NS.assertion, 'Audience').map((e) => textOf(e) ?? ''))
    : [];
  const attributes: Record<string, string[]> = {};
  for (const st of childElements(a, NS.assertion, 'AttributeStatement')) {
    for (const at of childElements(st, NS.assertion, 'Attribute')) {
      const name = attr(at, 'Name') ?? '';
      (attributes[name] ??= []).push(...childElements(at, NS.assertion, 'AttributeValue').map((v) => textOf(v) ?? ''));
    }
  }
  const authn = firstChild(a, NS.assertion, 'AuthnStatement');
  const bearer = confirmations.find((c) => c.method === CM_BEARER) ?? confirmations[0];
  return {
    summary: {
      id: attr(a, 'ID'),
      issuer: textOf(firstChild(a, NS.assertion, 'Issuer')),
      issueInstant: attr(a, 'IssueInstant'),
      notBefore: attr(conditions, 'NotBefore'),
      notOnOrAfter: attr(conditions, 'NotOnOrAfter'),
      audiences: restrictions.flat(),
      recipient: bearer?.recipient ?? null,
      confirmationInResponseTo: bearer?.inResponseTo ?? null,
      confirmationNotOnOrAfter: bearer?.notOnOrAfter ?? null,
      sessionIndex: attr(authn, 'SessionIndex'),
      authnInstant: attr(authn, 'AuthnInstant'),
      attributes,
    },
    subject: nameIdEl ? { nameId: textOf(nameIdEl) ?? '', format: attr(nameIdEl, 'Format') } : null,
    nameIdEl,
    confirmations,
    restrictions,
    hasConditions: conditions !== null,
  };
}
