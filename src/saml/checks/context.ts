// What every check reads: the trusted view analyze() builds (parsed document, verified signatures, what they cover) and the options.
import type { FleetOutcome } from '../fleet.js';
import type { Finding } from '../findings.js';
import type { readAssertion } from '../read.js';
import type { SignatureCheck } from '../signature.js';
import type { AnalyzeOptions, IdpMetadata, ResponseSummary, SignedPart } from '../types.js';

export interface TrustedView {
  root: Element;
  /** findings the decode and parse steps collected without stopping (PIs, DTDs, an encoding label, duplicate attributes) */
  policy: Finding[];
  /** the Response as it arrived (unsigned view) */
  rawResponse: ResponseSummary;
  /** the Response as signed when its signature verified, else as it arrived */
  response: ResponseSummary;
  success: boolean;
  direct: Element[];
  nested: Element[];
  encrypted: Element[];
  /** the only direct Assertion, or null */
  assertionEl: Element | null;
  respSigs: Element[];
  aSigs: Element[];
  respCheck: SignatureCheck | null;
  aCheck: SignatureCheck | null;
  signed: SignedPart;
  /** the original elements whose signature verified */
  signedOriginals: Element[];
  /** the checks that verified (their certificates are checked for validity) */
  verified: SignatureCheck[];
  /** the assertion read from the signed bytes when there are any, else from the document (to explain everything) */
  viewEl: Element | null;
  view: ReturnType<typeof readAssertion> | null;
  /** the Assertion element parsed from the signed bytes, or null */
  trustedAssertion: Element | null;
  fleet: FleetOutcome;
}

export interface CheckContext {
  opts: AnalyzeOptions;
  md: IdpMetadata;
  /** the clock, ms since the epoch */
  now: number;
  skewMs: number;
  maxAgeMs: number;
  allowIdp: boolean;
}

/** One catalogue area's checks: findings only, never throws. */
export type Check = (view: TrustedView, ctx: CheckContext) => Finding[];
