// Logins that never came back: the attempt for an initiate whose callback did not arrive, its ranked likely causes, and the sweep that finds them.
import { AADSTS } from '../saml/aadsts.js';
import { finding, type Finding } from '../saml/findings.js';
import type { Attempt, RecordedAuthnRequest } from './attempt.js';
import type { ProxyStore } from './store.js';

/** The NameIDPolicy formats Entra accepts in an AuthnRequest (ENTRA.md "What Entra requires"); others get AADSTS900236. */
const ENTRA_NAMEID_FORMATS = new Set([
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
]);

export interface LikelyCause {
  aadsts: string;
  /** why samlscope ranks it here: what it saw in the AuthnRequest, or that it cannot see this side */
  why: string;
  meaning: string;
  remedy: string;
}

function cause(aadsts: string, why: string): LikelyCause {
  const e = AADSTS[aadsts];
  return { aadsts, why, meaning: e?.meaning ?? '', remedy: e?.remedy ?? '' };
}

/**
 * The Entra errors that stop a login before any callback, most likely first: those the AuthnRequest itself shows
 * (its Issuer is not the entity ID samlscope knows, its ACS URL is not Fleet's, a NameIDPolicy Entra refuses), then
 * the ones only Entra's side can show (assignment, Conditional Access, the user).
 */
export function rankNoResponseCauses(rec: RecordedAuthnRequest): LikelyCause[] {
  const codes = new Set(rec.findings.map((f) => f.code));
  const seen: LikelyCause[] = [];
  if (codes.has('SAML_FLEET_AUTHN_ISSUER_MISMATCH')) seen.push(cause('700016', `the AuthnRequest's Issuer "${rec.request.issuer ?? ''}" is not the entity ID samlscope was given: Entra finds no app with that Identifier`));
  if (codes.has('SAML_FLEET_AUTHN_ACS_MISMATCH')) seen.push(cause('50011', `the AuthnRequest asks for ACS URL "${rec.request.acsUrl ?? ''}", which is not the one Fleet should compute: it is likely not a registered Reply URL`));
  const format = rec.request.nameIdPolicyFormat;
  if (format && !ENTRA_NAMEID_FORMATS.has(format)) seen.push(cause('900236', `the AuthnRequest's NameIDPolicy Format "${format}" is not one Entra accepts`));
  if (rec.request.isPassive) seen.push(cause('50058', 'the AuthnRequest asks for a passive (silent) sign-in'));
  const unseen = [
    cause('50105', 'most common when the request itself is fine: the user is not assigned to the enterprise app (samlscope cannot see assignments without Graph access)'),
    cause('53003', 'a Conditional Access policy blocked the sign-in (or MFA was required and not completed)'),
    cause('50034', 'the user does not exist in this tenant (or typed another account)'),
    cause('50020', 'the user belongs to another tenant'),
  ];
  return [...seen, ...unseen];
}

/** The attempt for a login Fleet started and no callback answered within the login timeout. */
export function noResponseAttempt(rec: RecordedAuthnRequest, o: { id: string; now: Date; mode: 'observe' | 'enforce'; timeoutMs: number }): Attempt {
  const causes = rankNoResponseCauses(rec);
  const waited = Math.round((o.now.getTime() - Date.parse(rec.recordedAt)) / 1000);
  const f: Finding = finding('SAML_IDP_NO_RESPONSE',
    `Fleet sent the browser to Entra with AuthnRequest ${(rec.request.id ?? '(no ID)').slice(0, 80)} and no callback came back in ${waited} s (login timeout ${Math.round(o.timeoutMs / 1000)} s). Most likely: AADSTS${causes[0].aadsts}, ${causes[0].meaning}.`,
    { authnRequestId: rec.request.id, waitedSeconds: waited, likelyCauses: causes });
  return {
    id: o.id, time: o.now.toISOString(), flow: rec.flow, mode: o.mode,
    outcome: 'no_idp_response', fleetStatus: null, verdict: null,
    findings: [f, ...rec.findings],
    fleet: { predicted: 'error', actual: 'no_callback', answer: null }, action: 'none', nameId: null,
    session: { cookie: false, known: true, authnRequest: rec },
    client: rec.client ?? { ip: '', userAgent: null },
    timings: { analyzeMs: 0, upstreamMs: null, totalMs: 0 },
    bodyBytes: 0, fleetRead: null, judgedSha256: null, report: null,
  };
}

export interface UnansweredSweep {
  /** one pass now (tests; the timer calls it too) */
  run(): Promise<number>;
  stop(): void;
}

/**
 * Every intervalMs, claims the logins whose deadline passed (each instance claims a login at most once, so with
 * Redis exactly one instance reports it) and records their no_idp_response attempts. A store that does not answer
 * skips the pass: the logins stay claimable.
 */
export function startUnansweredSweep(o: {
  store: ProxyStore; now: () => Date; mode: 'observe' | 'enforce'; timeoutMs: number; intervalMs: number;
  nextId: () => string; onAttempt: (a: Attempt) => void; onError?: (err: unknown) => void;
}): UnansweredSweep {
  let running: Promise<number> | null = null;
  const pass = async (): Promise<number> => {
    const now = o.now();
    const due = await o.store.claimUnanswered(now);
    for (const rec of due) {
      const a = noResponseAttempt(rec, { id: o.nextId(), now, mode: o.mode, timeoutMs: o.timeoutMs });
      await o.store.addAttempt(a);
      o.onAttempt(a);
    }
    return due.length;
  };
  const run = (): Promise<number> => {
    running ??= pass().catch((err: unknown) => { o.onError?.(err); return 0; }).finally(() => { running = null; });
    return running;
  };
  const timer = setInterval(() => { void run(); }, o.intervalMs);
  timer.unref();
  return { run, stop: () => clearInterval(timer) };
}
