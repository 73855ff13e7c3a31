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
  /**
   * Per-input hang guard in CPU milliseconds of this process (default 500): CPU time, not wall time, so a busy shared
   * machine does not fake a hang; a case over it is measured once more before it counts.
   */
  timeLimitMs?: number;
  /** wall-clock bound for a promise that never settles (default 10 s) */
  wallLimitMs?: number;
}

class WallTimeout extends Error {}

async function timed(input: string | Buffer, opts: AnalyzeOptions, wallLimitMs: number): Promise<{ report: AnalysisReport | null; error: unknown; ms: number }> {
  const c0 = process.cpuUsage();
  let timer: NodeJS.Timeout | undefined;
  try {
    const report = await Promise.race([
      analyzeResponse(input, opts),
      new Promise<never>((_r, reject) => { timer = setTimeout(() => reject(new WallTimeout(`no verdict after ${wallLimitMs} ms`)), wallLimitMs); }),
    ]);
    return { report, error: null, ms: cpuMs(c0) };
  } catch (error) {
    return { report: null, error, ms: error instanceof WallTimeout ? Infinity : cpuMs(c0) };
  } finally {
    clearTimeout(timer);
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

/** Judges one mutant against the original's identity. Never throws. */
export async function judge(input: string | Buffer, original: Identity, o: OracleOptions): Promise<Judgement> {
  const limit = o.timeLimitMs ?? 500;
  const wall = o.wallLimitMs ?? 10_000;
  let { report, error, ms } = await timed(input, o.analyze, wall);
  if (ms > limit && ms !== Infinity) {
    // a garbage collection can land in one run: a hang is slow twice
    const again = await timed(input, o.analyze, wall);
    ms = Math.min(ms, again.ms);
  }
  if (ms === Infinity) return { verdict: 'error', ms, codes: [], failure: { kind: 'slow', detail: String(error), ms } };
  if (!report) return { verdict: 'error', ms, codes: [], failure: { kind: 'throw', detail: String((error as Error)?.stack ?? error).slice(0, 2000) } };
  const codes = report.findings.map((f) => f.code);
  if (ms > limit) return { verdict: report.verdict, ms, codes, failure: { kind: 'slow', detail: `${ms.toFixed(0)} ms of CPU (limit ${limit} ms)`, ms } };
  if (report.verdict === 'accept') {
    const diffs = identityDiff(original, reportIdentity(report));
    const doc = report.xml !== null ? documentIdentity(report.xml) : null;
    if (doc === null) diffs.push('the accepted XML does not parse on its own');
    else diffs.push(...identityDiff(original, doc).map((d) => `document ${d}`));
    if (diffs.length > 0) return { verdict: 'accept', ms, codes, failure: { kind: 'identity', detail: diffs.join('; ') } };
  }
  return { verdict: report.verdict, ms, codes, failure: null };
}
