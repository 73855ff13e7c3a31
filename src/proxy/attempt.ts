// The record of one SSO attempt (callback): what samlscope saw, judged and predicted, and what Fleet actually answered.
import type { Finding, Outcome, Severity } from '../saml/findings.js';
import type { AnalysisReport } from '../saml/types.js';
import type { AuthnRequestInfo } from '../saml/authn-request.js';
import type { SsoFlow } from './paths.js';

/** What samlscope expects Fleet to do with the callback: a session, status=error, or a 400/413 before any SAML check. */
export type PredictedOutcome = 'success' | 'error' | 'bad_request';

/** What Fleet answered, read from its status, Location, page and cookies. */
export type ActualOutcome =
  | 'success'
  | 'error'
  | 'account_invalid'
  | 'account_disabled'
  | 'org_disabled'
  /** Fleet answered 4xx before SAML (missing or non-base64 SAMLResponse) */
  | 'bad_request'
  /** enforce mode: the callback never reached Fleet */
  | 'blocked'
  /** Fleet could not be reached or failed */
  | 'upstream_failed'
  /** an answer samlscope cannot read */
  | 'unknown'
  /** no callback ever reached the proxy (a login that never came back) */
  | 'no_callback';

export interface FleetAnswer {
  status: number | null;
  /** Location header or the page's redirect target, when there is one */
  location: string | null;
  /** the status=... of /login?status=..., when present */
  loginStatus: string | null;
  /** a session token was issued (cookie or page script) */
  tokenIssued: boolean;
}

/** The AuthnRequest Fleet issued for this browser session, as recorded at initiate. */
export interface RecordedAuthnRequest {
  /** decoded from the url Fleet answered with (includes the XML) */
  request: AuthnRequestInfo;
  /** lint findings for the request (issuer, ACS, destination) */
  findings: Finding[];
  flow: SsoFlow;
  relayState: string | null;
  recordedAt: string;
  /** the proxy request id of the initiate */
  initiateRequestId: string;
  /** who started the login (shown on a login that never came back) */
  client?: { ip: string; userAgent: string | null };
}

/** An Entra error a user pasted on a login's page (or `samlscope explain` read). */
export interface ReportedEntraError {
  code: string;
  meaning: string | null;
  remedy: string | null;
  /** the pasted text, trimmed and bounded */
  text: string;
  at: string;
}

export interface Attempt {
  /** the proxy's request id of the callback */
  id: string;
  time: string;
  flow: SsoFlow;
  mode: 'observe' | 'enforce';
  /** what became of the login (OUTCOMES in src/saml/findings.ts): shown first everywhere */
  outcome: Outcome;
  /** with outcome fleet_rejected: Fleet's status= (account_invalid, ..., error), or bad_request, upstream_failed, unknown */
  fleetStatus: string | null;
  /** samlscope's verdict on the SAML message; null when there was none (no_idp_response) */
  verdict: 'accept' | 'reject' | null;
  /** engine findings plus the proxy's own (replay, session, Fleet disagreement) */
  findings: Finding[];
  fleet: { predicted: PredictedOutcome; actual: ActualOutcome; answer: FleetAnswer | null };
  /** forwarded to Fleet, blocked by enforce mode, or none (no callback came) */
  action: 'forwarded' | 'blocked' | 'none';
  nameId: string | null;
  session: { cookie: boolean; known: boolean; authnRequest: RecordedAuthnRequest | null };
  client: { ip: string; userAgent: string | null };
  timings: { analyzeMs: number; upstreamMs: number | null; totalMs: number };
  bodyBytes: number;
  /** how Fleet reads this request (src/fleet/callback-request.ts): the field it takes, or the 400/413 it answers first */
  fleetRead: { outcome: 'read'; source: 'body' | 'query' | 'absent' } | { outcome: 'refused'; status: 400 | 413; reason: string } | null;
  /** sha256 (hex) of the SAMLResponse bytes Fleet decodes and samlscope judged; null when Fleet refuses the request first */
  judgedSha256: string | null;
  /** the engine's full report (with the decoded XML); null when the body was never analysed (oversize) */
  report: AnalysisReport | null;
  /** Entra errors reported for this login (pasted AADSTS text) */
  entraErrors?: ReportedEntraError[];
}

export interface AttemptSummary {
  id: string;
  time: string;
  outcome: Outcome;
  fleetStatus: string | null;
  verdict: 'accept' | 'reject' | null;
  findings: { code: string; severity: Severity }[];
  fleet: { predicted: PredictedOutcome; actual: ActualOutcome };
  nameId: string | null;
  /** Entra's sign-in log entry matched to this attempt (SAML_ENTRA_SIGNIN_FAILED / _SUCCEEDED, aadsts "0"), when Graph is configured */
  entraSignIn?: { user: string; aadsts: string; correlationId: string };
}

export function summarizeAttempt(a: Attempt): AttemptSummary {
  const ev = a.findings.find((f) => f.code === 'SAML_ENTRA_SIGNIN_FAILED' || f.code === 'SAML_ENTRA_SIGNIN_SUCCEEDED')?.evidence;
  return {
    id: a.id,
    time: a.time,
    outcome: a.outcome,
    fleetStatus: a.fleetStatus,
    verdict: a.verdict,
    findings: a.findings.map((f) => ({ code: f.code, severity: f.severity })),
    fleet: { predicted: a.fleet.predicted, actual: a.fleet.actual },
    nameId: a.nameId,
    ...(ev ? { entraSignIn: { user: String(ev.userPrincipalName ?? ''), aadsts: String(ev.aadsts ?? ''), correlationId: String(ev.correlationId ?? '') } } : {}),
  };
}

/**
 * The login's outcome from what happened: Fleet's answer when there is one (the prediction differing from it is a
 * finding, not the outcome), enforce's block, else the prediction.
 */
export function outcomeOf(action: Attempt['action'], actual: ActualOutcome, predicted: PredictedOutcome): { outcome: Outcome; fleetStatus: string | null } {
  if (action === 'blocked') return { outcome: 'blocked', fleetStatus: null };
  if (action === 'none' || actual === 'no_callback') return { outcome: 'no_idp_response', fleetStatus: null };
  if (actual === 'success') return { outcome: 'signed_in', fleetStatus: null };
  if (actual === 'upstream_failed' || actual === 'unknown') {
    return predicted === 'success' ? { outcome: 'fleet_rejected', fleetStatus: actual } : { outcome: 'saml_rejected', fleetStatus: null };
  }
  return { outcome: 'fleet_rejected', fleetStatus: actual };
}
