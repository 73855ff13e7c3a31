// The fuzzer's oracle: a mutant must not throw, must finish within a bound, and may be accepted only with the original's identity.
import { analyzeResponse, readAssertion, readResponse, type AnalysisReport, type AnalyzeOptions } from '../saml/index.js';
import { childElements, NS, parseXmlSafely } from '../saml/xml.js';

/** What must not change in an accepted mutant: the identity and everything Fleet binds the login to. */
export interface Identity {
  nameId: string | null;
  nameIdFormat: string | null;
  assertionId: string | null;
  assertionIssuer: string | null;
  audiences: string[];
  recipient: string | null;
  confirmationInResponseTo: string | null;
  notOnOrAfter: string | null;
  attributes: Record<string, string[]>;
  responseIssuer: string | null;
  destination: string | null;
  inResponseTo: string | null;
}

export type Failure =
  | { kind: 'throw'; detail: string }
  | { kind: 'slow'; detail: string; ms: number }
  | { kind: 'identity'; detail: string };

export interface Judgement {
  verdict: 'accept' | 'reject' | 'error';
  ms: number;
  codes: string[];
  failure: Failure | null;
}

/** The identity as the engine reports it (read from the signed element only). */
export function reportIdentity(r: AnalysisReport): Identity {
  return {
    nameId: r.subject?.nameId ?? null,
    nameIdFormat: r.subject?.format ?? null,
    assertionId: r.assertion?.id ?? null,
    assertionIssuer: r.assertion?.issuer ?? null,
    audiences: r.assertion?.audiences ?? [],
    recipient: r.assertion?.recipient ?? null,
    confirmationInResponseTo: r.assertion?.confirmationInResponseTo ?? null,
    notOnOrAfter: r.assertion?.notOnOrAfter ?? null,
    attributes: r.assertion?.attributes ?? {},
    responseIssuer: r.response?.issuer ?? null,
    destination: r.response?.destination ?? null,
    inResponseTo: r.response?.inResponseTo ?? null,
  };
}

/** The identity as a plain SP would read it from the document as delivered: the Response and its first direct Assertion. */
export function documentIdentity(xml: string): Identity | null {
  const p = parseXmlSafely(xml, { maxBytes: 2 * 1024 * 1024, maxDepth: 200, maxElements: 100_000 });
  if (!p.ok) return null;
  const root = p.doc.documentElement;
  const resp = readResponse(root);
  const a = childElements(root, NS.assertion, 'Assertion')[0];
  const view = a ? readAssertion(a) : null;
  return {
    nameId: view?.subject?.nameId ?? null,
    nameIdFormat: view?.subject?.format ?? null,
    assertionId: view?.summary.id ?? null,
    assertionIssuer: view?.summary.issuer ?? null,
    audiences: view?.summary.audiences ?? [],
    recipient: view?.summary.recipient ?? null,
    confirmationInResponseTo: view?.summary.confirmationInResponseTo ?? null,
    notOnOrAfter: view?.summary.notOnOrAfter ?? null,
    attributes: view?.summary.attributes ?? {},
    responseIssuer: resp.issuer,
    destination: resp.destination,
    inResponseTo: resp.inResponseTo,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The differences that make an accept wrong. The Response's Issuer and Destination are optional outside the
 * signature: leaving them out is allowed, changing them is not.
 */
export function identityDiff(original: Identity, mutant: Identity): string[] {
  const out: string[] = [];
  for (const k of Object.keys(original) as Array<keyof Identity>) {
    if ((k === 'responseIssuer' || k === 'destination') && mutant[k] === null) continue;
    if (!same(original[k], mutant[k])) out.push(`${k}: ${JSON.stringify(original[k])?.slice(0, 80)} -> ${JSON.stringify(mutant[k])?.slice(0, 80)}`);
  }
  return out;
}

export interface OracleOptions {
  analyze: AnalyzeOptions;
  /** per-input hang guard (default 500 ms); a case over it is measured once more before it counts */
  timeLimitMs?: number;
}

async function timed(input: string | Buffer, opts: AnalyzeOptions): Promise<{ report: AnalysisReport | null; error: unknown; ms: number }> {
  const t0 = performance.now();
  try {
    const report = await analyzeResponse(input, opts);
    return { report, error: null, ms: performance.now() - t0 };
  } catch (error) {
    return { report: null, error, ms: performance.now() - t0 };
  }
}

/** Judges one mutant against the original's identity. Never throws. */
export async function judge(input: string | Buffer, original: Identity, o: OracleOptions): Promise<Judgement> {
  const limit = o.timeLimitMs ?? 500;
  let { report, error, ms } = await timed(input, o.analyze);
  if (ms > limit) {
    // a busy shared machine can stall one run: a hang is slow twice
    const again = await timed(input, o.analyze);
    ms = Math.min(ms, again.ms);
  }
  if (!report) return { verdict: 'error', ms, codes: [], failure: { kind: 'throw', detail: String((error as Error)?.stack ?? error).slice(0, 2000) } };
  const codes = report.findings.map((f) => f.code);
  if (ms > limit) return { verdict: report.verdict, ms, codes, failure: { kind: 'slow', detail: `${ms.toFixed(0)} ms (limit ${limit} ms)`, ms } };
  if (report.verdict === 'accept') {
    const diffs = identityDiff(original, reportIdentity(report));
    const doc = report.xml !== null ? documentIdentity(report.xml) : null;
    if (doc === null) diffs.push('the accepted XML does not parse on its own');
    else diffs.push(...identityDiff(original, doc).map((d) => `document ${d}`));
    if (diffs.length > 0) return { verdict: 'accept', ms, codes, failure: { kind: 'identity', detail: diffs.join('; ') } };
  }
  return { verdict: report.verdict, ms, codes, failure: null };
}
