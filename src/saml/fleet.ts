// What Fleet itself will do with a response: crewjam/saml's reading (last element wins, exact strings) and its quirks, predicted from the DOM.
import type { FindingCode } from './findings.js';
import type { SignatureCheck } from './signature.js';
import type { AnalyzeOptions, FleetPrediction } from './types.js';
import { NS, allElements, attr, childElements, textOf } from './xml.js';

const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const SAML_NAMESPACES = new Set<string>([NS.assertion, NS.protocol]);

/** Elements crewjam unmarshals from the Response copy and from each Assertion copy (a misread one changes the outcome). */
const READ_FROM_RESPONSE = new Set(['Response', 'Issuer', 'Status', 'StatusCode']);
const READ_FROM_ASSERTION = new Set(['Assertion', 'Issuer', 'Subject', 'NameID', 'SubjectConfirmationData', 'Conditions', 'AudienceRestriction', 'Audience']);

const EMPTY_DEFAULT_MESSAGE = (label: string) => `The signed ${label} undeclares the default namespace (xmlns="") where none was declared; Fleet's XML-DSig library canonicalises that differently and refuses the signature.`;

export interface FleetRefusal { code: FindingCode; message: string }

export interface FleetInputs {
  doc: Document;
  /** an empty CDATA section anywhere: the round-trip validator refuses the document */
  emptyCdata: boolean;
  opts: AnalyzeOptions;
  /** verifies the Signature child of an element (memoised by the caller); null when the element has none */
  verify: (el: Element, label: 'Response' | 'Assertion') => SignatureCheck | null;
  skewMs: number;
  maxAgeMs: number;
}

export interface FleetOutcome extends FleetPrediction {
  refusal: FleetRefusal | null;
}

/**
 * A value as crewjam finally reads it: it re-serialises the element with etree, which writes a CR (from &#13;)
 * unescaped, and encoding/xml then reads that CR, or CR LF, as LF. (The signature still covers the CR.)
 */
function reread(v: string): string {
  return v.includes('\r') ? v.replace(/\r\n?/g, '\n') : v;
}

function goAttr(e: Element, name: string): string | null {
  const v = attr(e, name);
  return v === null ? null : reread(v);
}

/** Go's view of a repeated field: the last element's text (encoding/xml overwrites a singleton field). */
function lastText(els: Element[]): string | null {
  return els.length === 0 ? null : reread(textOf(els[els.length - 1]) ?? '');
}

/** Go's view of an attribute over repeated elements unmarshalled into one struct: the last element that has it. */
function lastAttr(els: Element[], name: string): string | null {
  for (let i = els.length - 1; i >= 0; i--) if (els[i].hasAttribute(name)) return goAttr(els[i], name);
  return null;
}

function children(els: Element[], ns: string, name: string): Element[] {
  return els.flatMap((e) => childElements(e, ns, name));
}

/** crewjam's RelaxedTime: empty or absent is the zero time (year 1), RFC 3339 or a zone-less ISO form; anything else fails. */
function relaxedTime(v: string | null): number | 'invalid' {
  if (v === null || v === '') return -62135596800000;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:\d{2})?$/.exec(v);
  if (!m) return 'invalid';
  const t = Date.parse(m[1] + (m[2] ?? 'Z'));
  return Number.isNaN(t) ? 'invalid' : t;
}

/** All elements in etree's order for "//*": breadth first, which decides which binding of a prefix crewjam keeps. */
function breadthFirst(root: Element): Element[] {
  const out: Element[] = [root];
  for (let i = 0; i < out.length; i++) out.push(...childElements(out[i]));
  return out;
}

/**
 * Elements crewjam would read in another namespace: it re-serialises the Response and each Assertion with, for every
 * prefix used anywhere in the document, the namespace of the last element with it in breadth-first order, so a prefix bound to two namespaces is
 * resolved wrongly wherever no closer declaration inside the copied element saves it.
 */
export function prefixRebindings(doc: Document): Element[] {
  const root = doc.documentElement;
  const last = new Map<string, string>();
  for (const e of breadthFirst(root)) if (e.prefix) last.set(e.prefix, e.namespaceURI ?? '');
  if (last.size === 0) return [];
  const copies: Array<[Element, Set<string>]> = [[root, READ_FROM_RESPONSE], ...childElements(root, NS.assertion, 'Assertion').map((a): [Element, Set<string>] => [a, READ_FROM_ASSERTION])];
  const misread: Element[] = [];
  for (const [top, read] of copies) {
    for (const x of [top, ...allElements(top)]) {
      if (!x.prefix || !read.has(x.localName)) continue;
      let effective: string | undefined;
      for (let n: Node | null = x; n && n !== top; n = n.parentNode) {
        const decl = (n as Element).getAttribute?.('xmlns:' + x.prefix);
        if ((n as Element).hasAttribute?.('xmlns:' + x.prefix)) { effective = decl ?? ''; break; }
      }
      effective ??= last.get(x.prefix);
      const actual = x.namespaceURI ?? '';
      if (effective !== actual && (SAML_NAMESPACES.has(actual) || SAML_NAMESPACES.has(effective ?? ''))) misread.push(x);
    }
  }
  return misread;
}

/** The default namespace an element's nearest xmlns declaration gives it, or null when nothing declares one. */
function declaredDefault(e: Element): string | null {
  for (let n: Node | null = e; n && n.nodeType === 1; n = n.parentNode) {
    if ((n as Element).hasAttribute('xmlns')) return (n as Element).getAttribute('xmlns') ?? '';
  }
  return null;
}

/**
 * True when goxmldsig's exclusive canonicalisation of `signed` differs from XML-C14N's on the default namespace: it
 * renders xmlns="" on an unprefixed element whose default namespace was explicitly undeclared although no default
 * namespace was rendered above it (the specification leaves that declaration out), so the digest cannot match.
 */
export function goxmldsigEmptyDefaultDiffers(signed: Element): boolean {
  const walk = (e: Element, goRendered: string | null, specRendered: string): boolean => {
    let go = goRendered;
    let spec = specRendered;
    if (!e.prefix) {
      const scope = declaredDefault(e);
      const inScope = e.namespaceURI ?? '';
      const goRenders = scope !== goRendered;
      if (goRenders !== (inScope !== specRendered)) return true;
      if (goRenders) { go = scope; spec = inScope; }
    }
    return childElements(e).some((c) => !(e === signed && c.namespaceURI === NS.dsig && c.localName === 'Signature') && walk(c, go, spec));
  };
  return walk(signed, null, '');
}

function refuse(code: FindingCode, message: string): FleetOutcome {
  return { verdict: 'reject', nameId: null, issuer: null, audiences: [], refusal: { code, message } };
}

/** A signature check as goxmldsig ends it: the cryptography verified and the certificate is valid at `now`. */
function signatureHolds(c: SignatureCheck, now: number): boolean {
  if (!c.valid || !c.cert) return false;
  return now >= Date.parse(c.cert.notBefore) && now <= Date.parse(c.cert.notAfter);
}

function signatureRefusal(c: SignatureCheck, label: string): FleetOutcome {
  if (c.valid) return refuse('SAML_SIG_CERT_EXPIRED', `Fleet refuses the ${label} signature: the certificate is not valid at this time.`);
  const f = c.findings[0];
  return refuse(f?.code ?? 'SAML_SIG_INVALID', `Fleet refuses the ${label} signature (${f?.code ?? 'invalid'}).`);
}

interface AssertionRead { nameId: string | null; issuer: string; audiences: string[] }

/** crewjam's validateAssertion on Go's reading of one assertion; a nil dereference is a panic, i.e. a failed login. */
function checkAssertion(a: Element, inp: FleetInputs, now: number): AssertionRead | FleetRefusal {
  const { opts } = inp;
  const allowIdp = opts.allowIdpInitiated === true;
  const issueInstant = relaxedTime(goAttr(a, 'IssueInstant'));
  if (issueInstant === 'invalid') return { code: 'SAML_TIME_INVALID', message: 'Fleet cannot parse the Assertion IssueInstant.' };
  if (issueInstant + inp.maxAgeMs < now) return { code: 'SAML_TIME_ISSUE_INSTANT_STALE', message: 'Fleet finds the Assertion IssueInstant too old.' };
  const issuer = lastText(childElements(a, NS.assertion, 'Issuer')) ?? '';
  if (issuer !== opts.metadata.entityId) return { code: 'SAML_ISSUER_ASSERTION_MISMATCH', message: `Fleet reads the Assertion Issuer as "${issuer.slice(0, 200)}" and compares it exactly with "${opts.metadata.entityId}".` };
  const subjects = childElements(a, NS.assertion, 'Subject');
  if (subjects.length === 0) return { code: 'SAML_NAMEID_MISSING', message: 'Without a Subject crewjam/saml dereferences nil and panics: Fleet fails the login.' };
  for (const sc of children(subjects, NS.assertion, 'SubjectConfirmation')) {
    const data = childElements(sc, NS.assertion, 'SubjectConfirmationData');
    if (data.length === 0) return { code: 'SAML_FLEET_QUIRK_CONFIRMATION_WITHOUT_DATA', message: 'A SubjectConfirmation has no SubjectConfirmationData: crewjam/saml panics and Fleet fails the login.' };
    const irt = lastAttr(data, 'InResponseTo') ?? '';
    if (!allowIdp && opts.requestId !== undefined && irt !== opts.requestId) return { code: 'SAML_IRT_CONFIRMATION_MISMATCH', message: `Fleet reads SubjectConfirmationData InResponseTo "${irt.slice(0, 120)}".` };
    const recipient = lastAttr(data, 'Recipient') ?? '';
    if (recipient !== opts.acsUrl) return { code: 'SAML_DEST_RECIPIENT_MISMATCH', message: `Fleet reads Recipient "${recipient.slice(0, 300)}".` };
    const na = relaxedTime(lastAttr(data, 'NotOnOrAfter'));
    if (na === 'invalid') return { code: 'SAML_TIME_INVALID', message: 'Fleet cannot parse SubjectConfirmationData NotOnOrAfter.' };
    if (na + inp.skewMs < now) return { code: 'SAML_TIME_CONFIRMATION_EXPIRED', message: 'Fleet finds SubjectConfirmationData expired.' };
  }
  const conditions = childElements(a, NS.assertion, 'Conditions');
  if (conditions.length === 0) return { code: 'SAML_AUDIENCE_MISSING', message: 'Without Conditions crewjam/saml dereferences nil and panics: Fleet fails the login.' };
  const nb = relaxedTime(lastAttr(conditions, 'NotBefore'));
  const na = relaxedTime(lastAttr(conditions, 'NotOnOrAfter'));
  if (nb === 'invalid' || na === 'invalid') return { code: 'SAML_TIME_INVALID', message: 'Fleet cannot parse Conditions NotBefore or NotOnOrAfter.' };
  if (nb - inp.skewMs > now) return { code: 'SAML_TIME_NOT_YET_VALID', message: 'Fleet finds the Conditions not yet valid.' };
  if (na + inp.skewMs < now) return { code: 'SAML_TIME_EXPIRED', message: 'Fleet finds the Conditions expired (a missing NotOnOrAfter reads as the year 1).' };
  const restrictions = children(conditions, NS.assertion, 'AudienceRestriction');
  if (restrictions.length === 0) return { code: 'SAML_AUDIENCE_MISSING', message: 'Fleet requires an AudienceRestriction.' };
  // crewjam's AudienceRestriction holds one Audience: the last one of each restriction
  const audiences = restrictions.map((r) => lastText(childElements(r, NS.assertion, 'Audience')) ?? '');
  const accepted = new Set([opts.entityId, opts.acsUrl, ...(opts.extraAudiences ?? [])]);
  if (!audiences.some((x) => accepted.has(x))) return { code: 'SAML_AUDIENCE_MISMATCH', message: `Fleet reads the audiences as ${audiences.map((x) => `"${x.slice(0, 200)}"`).join(', ')} (the last Audience of each restriction, exactly).` };
  const nameIds = children(subjects, NS.assertion, 'NameID');
  return { nameId: lastText(nameIds), issuer, audiences };
}

/**
 * Predicts Fleet's outcome the way crewjam/saml reaches it (ParseXMLResponse → parseResponse → parseAssertion →
 * validateAssertion, with Fleet's audience rule), on `doc` as XML 1.0 reads it. Pure; the caller supplies the
 * signature checks. Returns the identity Fleet would sign in, or the first reason it refuses.
 */
export function predictFleet(inp: FleetInputs): FleetOutcome {
  const { doc, opts } = inp;
  const now = opts.now.getTime();
  if (inp.emptyCdata) return refuse('SAML_FLEET_QUIRK_EMPTY_CDATA', 'The document contains <![CDATA[]]>; Fleet\'s round-trip validator refuses it.');
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'Response') return refuse('SAML_XML_NOT_RESPONSE', 'Fleet cannot unmarshal a non-Response root.');
  const misread = prefixRebindings(doc);
  if (misread.length > 0) return refuse('SAML_FLEET_QUIRK_PREFIX_REBINDING', `Fleet would read <${misread[0].tagName}> in another namespace: prefix "${misread[0].prefix}" is bound to two namespaces in the document.`);
  const respSigs = childElements(root, NS.dsig, 'Signature');
  if (respSigs.length > 1) return refuse('SAML_SIG_MULTIPLE_SIGNATURES', 'Fleet refuses a Response with two Signature children.');
  const destination = goAttr(root, 'Destination') ?? '';
  if ((respSigs.length > 0 || destination !== '') && destination !== opts.acsUrl) return refuse('SAML_DEST_MISMATCH', `Fleet reads Destination "${destination.slice(0, 300)}".`);
  const irt = goAttr(root, 'InResponseTo') ?? '';
  if (opts.allowIdpInitiated !== true && opts.requestId !== undefined && irt !== opts.requestId) {
    return refuse(irt === '' ? 'SAML_IRT_UNSOLICITED' : 'SAML_IRT_MISMATCH', `Fleet reads Response InResponseTo "${irt.slice(0, 120)}".`);
  }
  const issueInstant = relaxedTime(goAttr(root, 'IssueInstant'));
  if (issueInstant === 'invalid') return refuse('SAML_TIME_INVALID', 'Fleet cannot parse the Response IssueInstant.');
  if (issueInstant + inp.maxAgeMs < now) return refuse('SAML_TIME_ISSUE_INSTANT_STALE', 'Fleet finds the Response IssueInstant too old.');
  const issuers = childElements(root, NS.assertion, 'Issuer');
  const respIssuer = lastText(issuers);
  if (respIssuer !== null && respIssuer !== opts.metadata.entityId) return refuse('SAML_ISSUER_RESPONSE_MISMATCH', `Fleet reads the Response Issuer as "${respIssuer.slice(0, 200)}" and compares it exactly.`);
  const status = lastAttr(children(childElements(root, NS.protocol, 'Status'), NS.protocol, 'StatusCode'), 'Value');
  if (status !== STATUS_SUCCESS) return refuse('SAML_STATUS_NOT_SUCCESS', `Fleet reads the status as "${(status ?? '').slice(0, 120)}".`);
  let assertionsNeedSignatures = true;
  if (respSigs.length === 1) {
    const c = inp.verify(root, 'Response');
    if (!c || !signatureHolds(c, now)) return c ? signatureRefusal(c, 'Response') : refuse('SAML_SIG_INVALID', 'Fleet refuses the Response signature.');
    if (goxmldsigEmptyDefaultDiffers(root)) return refuse('SAML_FLEET_QUIRK_EMPTY_DEFAULT_NAMESPACE', EMPTY_DEFAULT_MESSAGE('Response'));
    assertionsNeedSignatures = false;
  }
  let firstRefusal: FleetRefusal | null = childElements(root, NS.assertion, 'EncryptedAssertion').length > 0
    ? { code: 'SAML_XML_ENCRYPTED_ASSERTION', message: 'Fleet cannot decrypt an EncryptedAssertion.' } : null;
  for (const a of childElements(root, NS.assertion, 'Assertion')) {
    if (assertionsNeedSignatures) {
      const sigs = childElements(a, NS.dsig, 'Signature');
      if (sigs.length !== 1) { firstRefusal ??= { code: sigs.length === 0 ? 'SAML_SIG_MISSING' : 'SAML_SIG_MULTIPLE_SIGNATURES', message: `Fleet needs exactly one signature on an Assertion of an unsigned Response (found ${sigs.length}).` }; continue; }
      const c = inp.verify(a, 'Assertion');
      if (!c || !signatureHolds(c, now)) { firstRefusal ??= (c ? signatureRefusal(c, 'Assertion') : refuse('SAML_SIG_INVALID', 'Fleet refuses the Assertion signature.')).refusal; continue; }
      if (goxmldsigEmptyDefaultDiffers(a)) { firstRefusal ??= { code: 'SAML_FLEET_QUIRK_EMPTY_DEFAULT_NAMESPACE', message: EMPTY_DEFAULT_MESSAGE('Assertion') }; continue; }
    }
    const read = checkAssertion(a, inp, now);
    if ('code' in read) { firstRefusal ??= read; continue; }
    if (read.nameId === null || read.nameId === '') return refuse('SAML_NAMEID_MISSING', 'Fleet finds no user id (NameID) in the assertion it accepts.');
    return { verdict: 'accept', nameId: read.nameId, issuer: read.issuer, audiences: read.audiences, refusal: null };
  }
  const r = firstRefusal ?? { code: 'SAML_XML_NO_ASSERTION' as const, message: 'Fleet finds no valid Assertion.' };
  return refuse(r.code, r.message);
}
