// The analysis engine: one SAMLResponse + metadata + clock → decode → parse → trusted view → the checks (src/saml/checks/) → a verdict and Fleet's predicted outcome.
import { XMLSerializer } from '@xmldom/xmldom';
import { CHECKS, type CheckContext, type TrustedView } from './checks/index.js';
import { decodeFleetBytes, decodeSamlInput } from './decode.js';
import { predictFleet, type FleetOutcome } from './fleet.js';
import { finding, hasErrors, type Finding } from './findings.js';
import { DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_ISSUE_INSTANT_AGE_SECONDS, STATUS_SUCCESS, readAssertion, readResponse } from './read.js';
import { verifyEnvelopedSignature, verifyLikeGoxmldsig, type SignatureCheck } from './signature.js';
import {
  DEFAULT_LIMITS,
  type AnalysisReport,
  type AnalyzeOptions,
  type FleetPrediction,
  type IdpMetadata,
  type SignatureSummary,
  type SignedPart,
  type XmlLimits,
} from './types.js';
import { NS, allElements, attr, childElements, descendants, parseXmlSafely } from './xml.js';

export { CERT_EXPIRING_DAYS, CM_BEARER, DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_ISSUE_INSTANT_AGE_SECONDS, EMAIL_CLAIMS, NAMEID_PERSISTENT, STATUS_SUCCESS, readAssertion, readResponse } from './read.js';
export { duplicateSingleton } from './checks/xml.js';

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

type Verify = (el: Element, label: 'Response' | 'Assertion') => SignatureCheck | null;

/**
 * Verifies the signatures and re-reads what they cover: the Response and Assertion summaries the checks may trust come
 * from the signed bytes, never from the original DOM (the assertion is still read unsigned, to explain everything).
 */
function trustedView(root: Element, policy: Finding[], verify: Verify, fleet: FleetOutcome, limits: XmlLimits): TrustedView {
  const rawResponse = readResponse(root);
  const success = rawResponse.statusCode === STATUS_SUCCESS;
  const direct = childElements(root, NS.assertion, 'Assertion');
  const nested = descendants(root, NS.assertion, 'Assertion').filter((a) => a.parentNode !== root);
  const encrypted = descendants(root, NS.assertion, 'EncryptedAssertion');
  const respSigs = childElements(root, NS.dsig, 'Signature');
  const assertionEl = direct.length === 1 ? direct[0] : null;
  const aSigs = assertionEl ? childElements(assertionEl, NS.dsig, 'Signature') : [];
  const respCheck = respSigs.length === 1 ? verify(root, 'Response') : null;
  const aCheck = aSigs.length === 1 && assertionEl ? verify(assertionEl, 'Assertion') : null;
  const respOk = respCheck?.valid === true;
  const aOk = aCheck?.valid === true;
  const signed: SignedPart = respOk && aOk ? 'both' : respOk ? 'response' : aOk ? 'assertion' : 'none';
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
  const viewEl = trustedAssertion ?? assertionEl;
  return {
    root, policy, rawResponse, response, success, direct, nested, encrypted, assertionEl, respSigs, aSigs, respCheck, aCheck, signed,
    signedOriginals: [respOk ? root : null, aOk ? assertionEl : null].filter((e): e is Element => e !== null),
    verified: [respOk ? respCheck : null, aOk ? aCheck : null].filter((c): c is SignatureCheck => c !== null),
    viewEl,
    view: viewEl ? readAssertion(viewEl) : null,
    trustedAssertion,
    fleet,
  };
}

/**
 * Judges one SAMLResponse as Fleet would (and stricter where Fleet is unsafe). Pure and synchronous:
 * the clock is `opts.now`, nothing is fetched, nothing throws on hostile input.
 */
export function analyze(input: string | Buffer, opts: AnalyzeOptions): AnalysisReport {
  const limits = limitsOf(opts);
  const md = opts.metadata;
  const ctx: CheckContext = {
    opts,
    md,
    now: opts.now.getTime(),
    skewMs: (opts.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000,
    maxAgeMs: (opts.maxIssueInstantAgeSeconds ?? DEFAULT_MAX_ISSUE_INSTANT_AGE_SECONDS) * 1000,
    allowIdp: opts.allowIdpInitiated === true,
  };

  // ---- decode and parse
  const decoded = opts.input === 'fleet-bytes' && typeof input !== 'string' ? decodeFleetBytes(input, limits) : decodeSamlInput(input, limits);
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

  // ---- signatures (memoised: the checks and the Fleet prediction share them) and Fleet's own outcome
  // xml-crypto re-parses the text it is given: hand it the XML 1.0 view xmldom parsed, so both see the same characters
  const checked = new Map<Element, SignatureCheck | null>();
  const verify: Verify = (el, label) => {
    if (!checked.has(el)) {
      const sigs = childElements(el, NS.dsig, 'Signature');
      checked.set(el, sigs.length === 1 ? verifyEnvelopedSignature(parsed.text, el, sigs[0], md.certs, label) : null);
    }
    return checked.get(el) ?? null;
  };
  const fleet = predictFleet({ doc, emptyCdata: parsed.emptyCdata, opts, verify: (el, label) => verifyAsFleet(el, label, verify(el, label), md.certs, limits), skewMs: ctx.skewMs, maxAgeMs: ctx.maxAgeMs });
  const dups = duplicateIds(doc);
  if (dups.length > 0) {
    // Nothing can be trusted once IDs are ambiguous: stop here.
    return rejectReport([finding('SAML_XML_DUPLICATE_ID', `ID "${dups[0].slice(0, 80)}" appears more than once.`, { ids: dups.slice(0, 5) })], opts, { ...base, response: readResponse(root), fleet: fleetPrediction(fleet) });
  }

  // ---- the trusted view, then every area's checks
  const view = trustedView(root, policy, verify, fleet, limits);
  const findings = CHECKS.flatMap(([, check]) => check(view, ctx));
  // never accept what Fleet refuses: its reason becomes a finding when samlscope had none of that kind
  if (fleet.refusal && !findings.some((f) => f.code === fleet.refusal?.code)) {
    findings.push(finding(fleet.refusal.code, fleet.refusal.message, { fleet: true }));
  }
  const trusted = view.trustedAssertion ? readAssertion(view.trustedAssertion) : null;
  return {
    verdict: hasErrors(findings) ? 'reject' : 'accept',
    fleet: fleetPrediction(fleet),
    findings: orderFindings(findings),
    subject: trusted?.subject ? { nameId: trusted.subject.nameId, format: trusted.subject.format } : null,
    signature: signatureSummary(view.signed, [view.respCheck, view.aCheck]),
    response: view.response,
    assertion: trusted?.summary ?? null,
    ...base,
    checkedAt: opts.now.toISOString(),
  };
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
