// The analysis engine: one SAMLResponse + metadata + clock → findings and a verdict, mirroring Fleet ≥ 4.71 and beyond.
import { XMLSerializer } from '@xmldom/xmldom';
import { AADSTS, extractAadsts } from './aadsts.js';
import { decodeSamlInput } from './decode.js';
import { predictFleet, type FleetOutcome } from './fleet.js';
import { finding, hasErrors, type Finding } from './findings.js';
import { verifyEnvelopedSignature, verifyLikeGoxmldsig, type SignatureCheck } from './signature.js';
import {
  DEFAULT_LIMITS,
  type AnalysisReport,
  type AnalyzeOptions,
  type AssertionSummary,
  type FleetPrediction,
  type IdpMetadata,
  type ResponseSummary,
  type SignatureSummary,
  type SignedPart,
  type Subject,
  type XmlLimits,
} from './types.js';
import { NS, allElements, ancestors, attr, childElements, descendants, firstChild, hasSplitText, parseXmlSafely, textOf } from './xml.js';

export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
export const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
export const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
export const EMAIL_CLAIMS = [
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'email',
  'mail',
  'urn:oid:0.9.2342.19200300.100.1.3',
];
const JIT_ROLE_VALUES = new Set(['admin', 'maintainer', 'observer', 'observer_plus', 'null']);
const EMAIL_RE = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

export const DEFAULT_CLOCK_SKEW_SECONDS = 180;
export const DEFAULT_MAX_ISSUE_INSTANT_AGE_SECONDS = 90;
export const CERT_EXPIRING_DAYS = 30;

function limitsOf(opts: AnalyzeOptions): XmlLimits {
  return { ...DEFAULT_LIMITS, ...opts.limits };
}

/** Fleet's outcome when the input never becomes a SAML Response it could read. */
export const FLEET_REFUSES: FleetPrediction = { verdict: 'reject', nameId: null, issuer: null, audiences: [] };

function rejectReport(findings: Finding[], opts: AnalyzeOptions, partial: Partial<AnalysisReport> = {}): AnalysisReport {
  return {
    verdict: 'reject',
    fleet: FLEET_REFUSES,
    findings,
    subject: null,
    signature: null,
    response: null,
    assertion: null,
    xml: null,
    inputKind: null,
    relayState: null,
    checkedAt: opts.now.toISOString(),
    ...partial,
  };
}

/** xs:dateTime as SAML uses it (UTC "Z" or an offset); null when absent or unparseable. */
function parseTime(value: string | null): number | null {
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

interface Confirmation { method: string | null; recipient: string | null; inResponseTo: string | null; notOnOrAfter: string | null; hasData: boolean }

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

function statusFindings(r: ResponseSummary): Finding[] {
  if (r.statusCode === null) return [finding('SAML_STATUS_MISSING', 'The Response has no Status/StatusCode.')];
  if (r.statusCode === STATUS_SUCCESS) return [];
  const codes = extractAadsts(r.statusMessage);
  const known = codes.find((c) => AADSTS[c]);
  const short = (u: string | null) => (u ?? '').replace('urn:oasis:names:tc:SAML:2.0:status:', '');
  const message = `Status ${short(r.statusCode)}${r.subStatusCode ? '/' + short(r.subStatusCode) : ''}${codes.length ? ': AADSTS' + codes.join(', AADSTS') : ''}${known ? ' (' + AADSTS[known].meaning + ')' : ''}.`;
  return [finding('SAML_STATUS_NOT_SUCCESS', message, { statusCode: r.statusCode, subStatusCode: r.subStatusCode, aadsts: codes, statusMessage: r.statusMessage?.slice(0, 500) ?? null }, known ? AADSTS[known].remedy : undefined)];
}

function timeFindings(label: string, value: string | null, now: number, maxAgeMs: number, skewMs: number): Finding[] {
  const t = parseTime(value);
  if (t === null || Number.isNaN(t)) return [finding('SAML_TIME_INVALID', `${label} IssueInstant is ${value === null ? 'missing' : `"${value.slice(0, 40)}"`}.`, { element: label, value })];
  if (now - t > maxAgeMs) return [finding('SAML_TIME_ISSUE_INSTANT_STALE', `${label} IssueInstant ${value} is ${Math.round((now - t) / 1000)} s old; Fleet allows ${maxAgeMs / 1000} s.`, { element: label, issueInstant: value, ageSeconds: Math.round((now - t) / 1000) })];
  if (t - now > skewMs) return [finding('SAML_TIME_ISSUE_INSTANT_FUTURE', `${label} IssueInstant ${value} is ${Math.round((t - now) / 1000)} s in the future.`, { element: label, issueInstant: value })];
  return [];
}

/** Any ID-like attribute value used twice anywhere in the document. */
function duplicateIds(doc: Document): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const e of allElements(doc.documentElement)) {
    for (const name of ['ID', 'Id', 'id']) {
      const v = attr(e, name);
      if (v === null) continue;
      if (seen.has(v)) dups.add(v); else seen.add(v);
    }
  }
  return [...dups];
}

/** Children that SAML allows once per parent (Go's unmarshalling keeps the last of them, samlscope reads the first). */
const SINGLETONS: Array<[string, string, string, string]> = [
  [NS.protocol, 'Response', NS.assertion, 'Issuer'],
  [NS.protocol, 'Response', NS.protocol, 'Status'],
  [NS.protocol, 'Status', NS.protocol, 'StatusCode'],
  [NS.protocol, 'StatusCode', NS.protocol, 'StatusCode'],
  [NS.assertion, 'Assertion', NS.assertion, 'Issuer'],
  [NS.assertion, 'Assertion', NS.assertion, 'Subject'],
  [NS.assertion, 'Assertion', NS.assertion, 'Conditions'],
  [NS.assertion, 'Subject', NS.assertion, 'NameID'],
  [NS.assertion, 'SubjectConfirmation', NS.assertion, 'SubjectConfirmationData'],
];

/** The first singleton element that appears twice under one parent, as "Parent/Child", or null. */
export function duplicateSingleton(root: Element): string | null {
  for (const parent of [root, ...allElements(root)]) {
    for (const [pns, pname, cns, cname] of SINGLETONS) {
      if (parent.namespaceURI === pns && parent.localName === pname && childElements(parent, cns, cname).length > 1) return `${pname}/${cname}`;
    }
  }
  return null;
}

function signatureSummary(signed: SignedPart, checks: Array<SignatureCheck | null>): SignatureSummary {
  const ok = checks.find((c) => c?.valid) ?? checks.find((c) => c !== null) ?? null;
  return {
    signed,
    algorithm: ok?.algorithm ?? null,
    certSha256: ok?.cert?.sha256 ?? null,
    certThumbprint: ok?.cert?.thumbprintSha1 ?? null,
    certNotAfter: ok?.cert?.notAfter ?? null,
  };
}

/**
 * Judges one SAMLResponse as Fleet would (and stricter where Fleet is unsafe). Pure and synchronous:
 * the clock is `opts.now`, nothing is fetched, nothing throws on hostile input.
 */
export function analyze(input: string | Buffer, opts: AnalyzeOptions): AnalysisReport {
  const limits = limitsOf(opts);
  const now = opts.now.getTime();
  const skewMs = (opts.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
  const maxAgeMs = (opts.maxIssueInstantAgeSeconds ?? DEFAULT_MAX_ISSUE_INSTANT_AGE_SECONDS) * 1000;
  const md = opts.metadata;

  const decoded = decodeSamlInput(input, limits);
  if (!decoded.ok) return rejectReport(decoded.findings, opts, { inputKind: decoded.kind, relayState: decoded.relayState });
  const base = { xml: decoded.xml, inputKind: decoded.kind, relayState: decoded.relayState };
  const policy: Finding[] = [...(decoded.findings ?? [])];
  const parsed = parseXmlSafely(decoded.xml, limits, { policy });
  if (!parsed.ok) return rejectReport(parsed.findings, opts, base);
  const doc = parsed.doc;
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'Response') {
    return rejectReport([finding('SAML_XML_NOT_RESPONSE', `Root element is {${root.namespaceURI ?? ''}}${root.localName}.`, { namespace: root.namespaceURI, localName: root.localName })], opts, base);
  }
  // xml-crypto re-parses the text it is given: hand it the XML 1.0 view xmldom parsed, so both see the same characters
  const xmlText = parsed.text;
  const checked = new Map<Element, SignatureCheck | null>();
  const verify = (el: Element, label: 'Response' | 'Assertion'): SignatureCheck | null => {
    if (!checked.has(el)) {
      const sigs = childElements(el, NS.dsig, 'Signature');
      checked.set(el, sigs.length === 1 ? verifyEnvelopedSignature(xmlText, el, sigs[0], md.certs, label) : null);
    }
    return checked.get(el) ?? null;
  };
  const fleet = predictFleet({ doc, emptyCdata: parsed.emptyCdata, opts, verify: (el, label) => verifyAsFleet(el, label, verify(el, label), md.certs, limits), skewMs, maxAgeMs });
  const findings: Finding[] = [...policy];
  const dups = duplicateIds(doc);
  if (dups.length > 0) {
    // Nothing can be trusted once IDs are ambiguous: stop here.
    return rejectReport([finding('SAML_XML_DUPLICATE_ID', `ID "${dups[0].slice(0, 80)}" appears more than once.`, { ids: dups.slice(0, 5) })], opts, { ...base, response: readResponse(root), fleet: fleetPrediction(fleet) });
  }
  const dupElement = duplicateSingleton(root);
  if (dupElement) {
    findings.push(finding('SAML_XML_DUPLICATE_ELEMENT', `<${dupElement.split('/')[0]}> has more than one <${dupElement.split('/')[1]}>.`, { element: dupElement, fleetNameId: fleet.nameId?.slice(0, 200) ?? null }));
  }

  // ---- the envelope as it arrived (unsigned view)
  const rawResponse = readResponse(root);
  const status = statusFindings(rawResponse);
  const success = rawResponse.statusCode === STATUS_SUCCESS;

  // ---- assertions: exactly one, plaintext, a direct child of the Response
  const allAssertions = descendants(root, NS.assertion, 'Assertion');
  const direct = childElements(root, NS.assertion, 'Assertion');
  const nested = allAssertions.filter((a) => a.parentNode !== root);
  const encrypted = descendants(root, NS.assertion, 'EncryptedAssertion');
  if (encrypted.length > 0) findings.push(finding('SAML_XML_ENCRYPTED_ASSERTION', `${encrypted.length} EncryptedAssertion element(s).`, { count: encrypted.length }));
  if (nested.length > 0) {
    findings.push(finding('SAML_XML_NESTED_ASSERTION', `An Assertion sits inside <${ancestors(nested[0])[0]?.localName ?? '?'}> instead of directly under the Response.`, { parents: nested.map((a) => ancestors(a).map((p) => p.localName).reverse().join('/')).slice(0, 5) }));
  }
  if (direct.length > 1) findings.push(finding('SAML_XML_MULTIPLE_ASSERTIONS', `${direct.length} Assertion elements under the Response.`, { count: direct.length }));
  if (direct.length === 0 && encrypted.length === 0 && success) findings.push(finding('SAML_XML_NO_ASSERTION', 'A Success response without an Assertion.'));
  findings.push(...status);

  // ---- signatures
  const respSigs = childElements(root, NS.dsig, 'Signature');
  const assertionEl = direct.length === 1 ? direct[0] : null;
  const aSigs = assertionEl ? childElements(assertionEl, NS.dsig, 'Signature') : [];
  let respCheck: SignatureCheck | null = null;
  let aCheck: SignatureCheck | null = null;
  if (respSigs.length > 1) findings.push(finding('SAML_SIG_MULTIPLE_SIGNATURES', `The Response carries ${respSigs.length} Signature elements.`, { element: 'Response' }));
  else if (respSigs.length === 1) respCheck = verify(root, 'Response');
  if (aSigs.length > 1) findings.push(finding('SAML_SIG_MULTIPLE_SIGNATURES', `The Assertion carries ${aSigs.length} Signature elements.`, { element: 'Assertion' }));
  else if (aSigs.length === 1 && assertionEl) aCheck = verify(assertionEl, 'Assertion');
  if (respCheck) findings.push(...respCheck.findings);
  if (aCheck) findings.push(...aCheck.findings);
  const respOk = respCheck?.valid === true;
  const aOk = aCheck?.valid === true;
  const signed: SignedPart = respOk && aOk ? 'both' : respOk ? 'response' : aOk ? 'assertion' : 'none';
  if (signed === 'none' && respSigs.length === 0 && aSigs.length === 0 && (assertionEl || success)) {
    findings.push(finding('SAML_SIG_MISSING', 'Neither the Response nor the Assertion carries a Signature.'));
  }

  // ---- the trusted view: re-read what the signature covered, never the original DOM
  let response = rawResponse;
  let trustedAssertion: Element | null = null;
  if (respOk && respCheck?.signedXml) {
    const p = parseXmlSafely(respCheck.signedXml, limits);
    if (p.ok) {
      response = readResponse(p.doc.documentElement);
      const inner = childElements(p.doc.documentElement, NS.assertion, 'Assertion');
      if (inner.length === 1) trustedAssertion = inner[0];
    }
  }
  if (!trustedAssertion && aOk && aCheck?.signedXml) {
    const p = parseXmlSafely(aCheck.signedXml, limits);
    if (p.ok) trustedAssertion = p.doc.documentElement;
  }
  // comments or split text inside anything signed (exc-c14n drops comments, so they survive verification)
  const signedOriginals = [respOk ? root : null, aOk ? assertionEl : null].filter((e): e is Element => e !== null);
  for (const el of signedOriginals) {
    const split = [el, ...allElements(el)].find((e) => e.namespaceURI !== NS.dsig && hasSplitText(e));
    if (split) {
      findings.push(finding('SAML_XML_COMMENT_IN_SIGNED_CONTENT', `<${split.localName}> inside the signed ${el === root ? 'Response' : 'Assertion'} contains a comment or split text.`, { element: split.localName, signedValue: (textOf(split) ?? '').slice(0, 200) }));
      break;
    }
  }

  // Diagnose the assertion even when unsigned (to explain everything at once); identity only from the trusted view.
  const viewEl = trustedAssertion ?? assertionEl;
  const view = viewEl ? readAssertion(viewEl) : null;
  const checkCert = [respOk ? respCheck : null, aOk ? aCheck : null].filter((c): c is SignatureCheck => c !== null);

  // ---- signing certificate validity and algorithm
  for (const c of checkCert.filter((c, i, all) => all.findIndex((o) => o.cert?.sha256 === c.cert?.sha256) === i)) {
    if (!c.cert) continue;
    const nb = Date.parse(c.cert.notBefore);
    const na = Date.parse(c.cert.notAfter);
    const ev = { thumbprint: c.cert.thumbprintSha1, notBefore: c.cert.notBefore, notAfter: c.cert.notAfter };
    if (now < nb) findings.push(finding('SAML_SIG_CERT_NOT_YET_VALID', `Signing certificate ${c.cert.thumbprintSha1} is valid from ${c.cert.notBefore}.`, ev));
    else if (now > na) findings.push(finding('SAML_SIG_CERT_EXPIRED', `Signing certificate ${c.cert.thumbprintSha1} expired on ${c.cert.notAfter}.`, ev));
    else if (na - now < CERT_EXPIRING_DAYS * 86_400_000) findings.push(finding('SAML_SIG_CERT_EXPIRING', `Signing certificate ${c.cert.thumbprintSha1} expires in ${Math.floor((na - now) / 86_400_000)} days.`, ev));
  }
  if (checkCert.some((c) => c.algorithm === 'rsa-sha1' || c.digestAlgorithm === 'sha1')) {
    findings.push(finding('SAML_SIG_SHA1', 'The signature uses SHA-1.', { algorithms: checkCert.map((c) => [c.algorithm, c.digestAlgorithm]) }));
  }

  // ---- issuers
  if (response.issuer !== null && response.issuer !== md.entityId) {
    findings.push(finding('SAML_ISSUER_RESPONSE_MISMATCH', `Response Issuer is "${response.issuer.slice(0, 200)}"; the metadata entityID is "${md.entityId}".`, { expected: md.entityId, actual: response.issuer.slice(0, 200) }));
  }
  if (view) {
    if (view.summary.issuer === null) findings.push(finding('SAML_ISSUER_ASSERTION_MISSING', 'The Assertion has no Issuer.'));
    else if (view.summary.issuer !== md.entityId) {
      findings.push(finding('SAML_ISSUER_ASSERTION_MISMATCH', `Assertion Issuer is "${view.summary.issuer.slice(0, 200)}"; the metadata entityID is "${md.entityId}".`, { expected: md.entityId, actual: view.summary.issuer.slice(0, 200) }));
    }
  }

  // ---- Destination
  if (response.destination !== null) {
    if (response.destination !== opts.acsUrl) findings.push(finding('SAML_DEST_MISMATCH', `Destination is "${response.destination.slice(0, 300)}"; Fleet's ACS URL is "${opts.acsUrl}".`, { expected: opts.acsUrl, actual: response.destination.slice(0, 300) }));
  } else if (respSigs.length > 0) {
    findings.push(finding('SAML_DEST_MISSING', 'The Response is signed but has no Destination.'));
  }

  // ---- InResponseTo (Response: envelope; SubjectConfirmationData: inside the signed assertion)
  const allowIdp = opts.allowIdpInitiated === true;
  const irt = response.inResponseTo;
  if (irt === null || irt === '') {
    if (allowIdp) findings.push(finding('SAML_IRT_IDP_INITIATED', 'The Response has no InResponseTo: IdP-initiated login.'));
    else findings.push(finding('SAML_IRT_UNSOLICITED', 'The Response has no InResponseTo and IdP-initiated login is not allowed.', opts.requestId ? { expected: opts.requestId } : undefined));
  } else if (opts.requestId !== undefined) {
    if (irt !== opts.requestId) findings.push(finding('SAML_IRT_MISMATCH', `InResponseTo is "${irt.slice(0, 120)}"; the AuthnRequest ID is "${opts.requestId}".`, { expected: opts.requestId, actual: irt.slice(0, 120) }));
  } else {
    findings.push(finding('SAML_IRT_NOT_MATCHED', `InResponseTo "${irt.slice(0, 120)}" was not compared with an AuthnRequest ID.`, { actual: irt.slice(0, 120) }));
  }

  if (view) {
    // ---- Subject and NameID
    if (!view.subject) {
      const enc = viewEl && firstChild(viewEl, NS.assertion, 'Subject') && descendants(viewEl, NS.assertion, 'EncryptedID').length > 0;
      findings.push(finding('SAML_NAMEID_MISSING', enc ? 'The NameID is encrypted (EncryptedID); Fleet cannot read it.' : 'The Assertion has no Subject/NameID.'));
    } else if (view.subject.nameId.trim() === '') {
      findings.push(finding('SAML_NAMEID_MISSING', 'The NameID is empty.'));
    } else {
      const v = view.subject.nameId.trim();
      if (!EMAIL_RE.test(v)) {
        const unspecified = view.subject.format === null || view.subject.format.endsWith(':unspecified');
        const pairwise = view.subject.format === NAMEID_PERSISTENT || (unspecified && /^[A-Za-z0-9_-]{43}$/.test(v));
        findings.push(pairwise
          ? finding('SAML_NAMEID_PERSISTENT', `NameID "${v.slice(0, 80)}" is a pairwise identifier (format ${view.subject.format ?? 'unspecified'}); Fleet looks users up by email.`, { nameId: v.slice(0, 80), format: view.subject.format })
          : finding('SAML_NAMEID_NOT_EMAIL', `NameID "${v.slice(0, 80)}" is not an email address; Fleet looks users up by email.`, { nameId: v.slice(0, 80), format: view.subject.format }));
      }
    }
    // ---- SubjectConfirmation: a bearer one; every present SubjectConfirmationData checked as Fleet does
    if (!view.confirmations.some((c) => c.method === CM_BEARER)) {
      findings.push(finding('SAML_NAMEID_NO_BEARER_CONFIRMATION', `SubjectConfirmation methods: [${view.confirmations.map((c) => c.method ?? '(none)').join(', ')}].`));
    }
    for (const c of view.confirmations.filter((c) => c.hasData)) {
      if (c.recipient !== opts.acsUrl) {
        findings.push(finding('SAML_DEST_RECIPIENT_MISMATCH', `Recipient is ${c.recipient === null ? 'missing' : `"${c.recipient.slice(0, 300)}"`}; Fleet's ACS URL is "${opts.acsUrl}".`, { expected: opts.acsUrl, actual: c.recipient?.slice(0, 300) ?? null }));
      }
      const expected = opts.requestId ?? (irt || undefined);
      if ((c.inResponseTo !== null && c.inResponseTo !== '') || !allowIdp) {
        if (expected !== undefined && c.inResponseTo !== expected) {
          findings.push(finding('SAML_IRT_CONFIRMATION_MISMATCH', `SubjectConfirmationData InResponseTo is ${c.inResponseTo ? `"${c.inResponseTo.slice(0, 120)}"` : 'missing'}; expected "${expected.slice(0, 120)}".`, { expected: expected.slice(0, 120), actual: c.inResponseTo?.slice(0, 120) ?? null }));
        }
      }
      const t = parseTime(c.notOnOrAfter);
      if (t === null || Number.isNaN(t)) findings.push(finding('SAML_TIME_INVALID', `SubjectConfirmationData NotOnOrAfter is ${c.notOnOrAfter === null ? 'missing' : `"${c.notOnOrAfter.slice(0, 40)}"`}.`, { element: 'SubjectConfirmationData', value: c.notOnOrAfter }));
      else if (now >= t + skewMs) findings.push(finding('SAML_TIME_CONFIRMATION_EXPIRED', `SubjectConfirmationData NotOnOrAfter ${c.notOnOrAfter} passed ${Math.round((now - t) / 1000)} s ago (skew ${skewMs / 1000} s).`, { notOnOrAfter: c.notOnOrAfter, now: opts.now.toISOString() }));
    }
    // ---- Conditions: times and audiences
    if (!view.hasConditions || view.restrictions.length === 0) {
      findings.push(finding('SAML_AUDIENCE_MISSING', view.hasConditions ? 'Conditions has no AudienceRestriction.' : 'The Assertion has no Conditions.'));
    } else {
      const accepted = new Set([opts.entityId, opts.acsUrl, ...(opts.extraAudiences ?? [])]);
      const satisfied = view.restrictions.map((ar) => ar.some((a) => accepted.has(a)));
      const all = view.restrictions.flat();
      if (!satisfied.some(Boolean)) {
        const spn = all.find((a) => a.startsWith('spn:'));
        findings.push(spn
          ? finding('SAML_AUDIENCE_SPN_PREFIX', `Audience is "${spn.slice(0, 200)}"; Fleet expects "${opts.entityId}".`, { expected: opts.entityId, actual: all.slice(0, 5) })
          : finding('SAML_AUDIENCE_MISMATCH', `Audience is ${all.length ? all.map((a) => `"${a.slice(0, 200)}"`).slice(0, 3).join(', ') : 'empty'}; Fleet expects "${opts.entityId}".`, { expected: opts.entityId, actual: all.slice(0, 5) }));
      } else if (!satisfied.every(Boolean)) {
        findings.push(finding('SAML_AUDIENCE_RESTRICTION_UNSATISFIED', `${satisfied.filter((s) => !s).length} of ${satisfied.length} AudienceRestrictions do not name Fleet.`, { restrictions: view.restrictions.slice(0, 5) }));
      }
    }
    const nb = parseTime(view.summary.notBefore);
    const na = parseTime(view.summary.notOnOrAfter);
    if (Number.isNaN(nb) || Number.isNaN(na)) findings.push(finding('SAML_TIME_INVALID', 'Conditions NotBefore or NotOnOrAfter is not an xs:dateTime.', { notBefore: view.summary.notBefore, notOnOrAfter: view.summary.notOnOrAfter }));
    if (nb !== null && !Number.isNaN(nb) && now < nb - skewMs) findings.push(finding('SAML_TIME_NOT_YET_VALID', `Conditions NotBefore ${view.summary.notBefore} is ${Math.round((nb - now) / 1000)} s ahead of the clock (skew ${skewMs / 1000} s).`, { notBefore: view.summary.notBefore, now: opts.now.toISOString() }));
    if (na !== null && !Number.isNaN(na) && now >= na + skewMs) findings.push(finding('SAML_TIME_EXPIRED', `Conditions NotOnOrAfter ${view.summary.notOnOrAfter} passed ${Math.round((now - na) / 1000)} s ago (skew ${skewMs / 1000} s).`, { notOnOrAfter: view.summary.notOnOrAfter, now: opts.now.toISOString() }));
    findings.push(...timeFindings('Assertion', view.summary.issueInstant, now, maxAgeMs, skewMs));
    // ---- attributes Fleet reads
    const attrs = view.summary.attributes;
    if (!EMAIL_CLAIMS.some((n) => (attrs[n] ?? []).some((v) => v.trim() !== ''))) {
      findings.push(finding('SAML_ATTR_EMAIL_MISSING', 'No email address claim among the attributes.', { attributes: Object.keys(attrs).slice(0, 20) }));
    }
    const roles = Object.keys(attrs).filter((n) => n.startsWith('FLEET_JIT_USER_ROLE_'));
    if (roles.includes('FLEET_JIT_USER_ROLE_GLOBAL') && roles.some((n) => /^FLEET_JIT_USER_ROLE_(TEAM|FLEET)_/.test(n))) {
      findings.push(finding('SAML_ATTR_JIT_ROLE_CONFLICT', `Both a global and team roles: ${roles.join(', ')}.`, { attributes: roles }));
    }
    const badRole = roles.flatMap((n) => attrs[n].map((v) => [n, v] as const)).find(([, v]) => !JIT_ROLE_VALUES.has(v.trim()));
    if (badRole) findings.push(finding('SAML_ATTR_JIT_ROLE_INVALID', `${badRole[0]} = "${badRole[1].slice(0, 40)}".`, { attribute: badRole[0], value: badRole[1].slice(0, 40) }));
  }
  findings.push(...timeFindings('Response', response.issueInstant, now, maxAgeMs, skewMs));

  // never accept what Fleet refuses: its reason becomes a finding when samlscope had none of that kind
  if (fleet.refusal && !findings.some((f) => f.code === fleet.refusal?.code)) {
    findings.push(finding(fleet.refusal.code, fleet.refusal.message, { fleet: true }));
  }
  const trusted = trustedAssertion ? readAssertion(trustedAssertion) : null;
  const report: AnalysisReport = {
    verdict: hasErrors(findings) ? 'reject' : 'accept',
    fleet: fleetPrediction(fleet),
    findings: orderFindings(findings),
    subject: trusted?.subject ? { nameId: trusted.subject.nameId, format: trusted.subject.format } : null,
    signature: signatureSummary(signed, [respCheck, aCheck]),
    response,
    assertion: trusted?.summary ?? null,
    ...base,
    checkedAt: opts.now.toISOString(),
  };
  return report;
}

/**
 * A signature as Fleet's goxmldsig judges it: samlscope's own check when that verified or failed on the cryptography;
 * when samlscope refused the structure (or IDs are ambiguous), the lenient check on a detached copy of the element.
 */
function verifyAsFleet(el: Element, label: 'Response' | 'Assertion', strict: SignatureCheck | null, certs: IdpMetadata['certs'], limits: XmlLimits): SignatureCheck | null {
  if (!strict || strict.valid || strict.findings.some((f) => f.code === 'SAML_SIG_DIGEST_MISMATCH' || f.code === 'SAML_SIG_INVALID')) return strict;
  const detached = parseXmlSafely(new XMLSerializer().serializeToString(el), limits);
  if (!detached.ok) return strict;
  const sig = childElements(detached.doc.documentElement, NS.dsig, 'Signature');
  return sig.length === 1 ? verifyLikeGoxmldsig(detached.text, sig[0], certs, label) : strict;
}

function fleetPrediction(o: FleetOutcome): FleetPrediction {
  return { verdict: o.verdict, nameId: o.nameId, issuer: o.issuer, audiences: o.audiences };
}

const SEVERITY_RANK = { error: 0, warning: 1, info: 2 } as const;

/** Errors first, then warnings, then notes; stable within a severity. */
export function orderFindings(findings: Finding[]): Finding[] {
  return findings.map((f, i) => [f, i] as const).sort((a, b) => SEVERITY_RANK[a[0].severity] - SEVERITY_RANK[b[0].severity] || a[1] - b[1]).map(([f]) => f);
}

export { hasErrors };
