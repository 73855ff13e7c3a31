// Entra's side of a login that never came back: polls the app's sign-in log (backoff, bounded) and attaches SAML_ENTRA_SIGNIN_FAILED to the attempt.
import { AADSTS } from '../saml/aadsts.js';
import { finding, type Finding } from '../saml/findings.js';
import type { Attempt } from '../proxy/attempt.js';
import type { ProxyStore } from '../proxy/store.js';
import { GraphError } from './graph-client.js';
import type { GraphSignIn } from './reads.js';

export interface SignInSource {
  /** the Fleet app's sign-ins from `since` on */
  signIns(since: Date): Promise<GraphSignIn[]>;
}

export interface SignInMatcherOptions {
  source: SignInSource;
  store: ProxyStore;
  now: () => Date;
  /** waits before each poll; Entra's sign-in log lags by minutes (default 20 s, 40 s, 80 s, 160 s, 320 s: about 10 min in all) */
  pollDelaysMs?: number[];
  /** how far before the AuthnRequest and after the attempt a sign-in may lie (default 2 min) */
  slackMs?: number;
  log?: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void };
  /** called after an attempt was updated (metrics, tests) */
  onMatched?: (a: Attempt, s: GraphSignIn) => void;
  /** called when the polls for an attempt ended without a match (tests) */
  onGaveUp?: (a: Attempt, reason: string) => void;
}

export const DEFAULT_POLL_DELAYS_MS = [20_000, 40_000, 80_000, 160_000, 320_000];

/** Attempts Entra's sign-in log can explain: a login that never came back, and a callback Fleet (or samlscope) rejected. */
export function explainable(a: Attempt): boolean {
  return a.outcome === 'no_idp_response' || a.outcome === 'fleet_rejected' || a.outcome === 'saml_rejected';
}

/**
 * The sign-in that best explains the attempt, inside its window and not taken: for a login that never came back a
 * failure (the client's IP first, then nearest in time); for a rejected callback the entry of its NameID's user.
 */
export function pickSignIn(a: Attempt, entries: GraphSignIn[], taken: Set<string>, slackMs: number): GraphSignIn | null {
  const started = Date.parse(a.session.authnRequest?.recordedAt ?? a.time);
  const ended = Date.parse(a.time);
  const answered = a.outcome !== 'no_idp_response';
  const inWindow = entries.filter((s) => {
    const t = Date.parse(s.createdDateTime);
    if (taken.has(s.id) || t < started - slackMs || t > ended + slackMs) return false;
    if (!answered) return s.status?.errorCode !== 0;
    return Boolean(a.nameId) && s.userPrincipalName.toLowerCase() === String(a.nameId).toLowerCase();
  });
  if (inWindow.length === 0) return null;
  const ip = a.client?.ip ?? '';
  const sameIp = inWindow.filter((s) => ip && s.ipAddress === ip);
  const pool = sameIp.length > 0 ? sameIp : inWindow;
  return pool.sort((x, y) => Math.abs(Date.parse(x.createdDateTime) - started) - Math.abs(Date.parse(y.createdDateTime) - started))[0];
}

export function signInFinding(s: GraphSignIn): Finding {
  const code = String(s.status.errorCode);
  if (s.status.errorCode === 0) {
    return finding('SAML_ENTRA_SIGNIN_SUCCEEDED', `Entra's sign-in log: ${s.userPrincipalName} signed in successfully at ${s.createdDateTime} (correlation ID ${s.correlationId}); the failure is on Fleet's side.`,
      { aadsts: '0', userPrincipalName: s.userPrincipalName, userId: s.userId, correlationId: s.correlationId, createdDateTime: s.createdDateTime, ipAddress: s.ipAddress, signInId: s.id, appId: s.appId });
  }
  const entry = AADSTS[code];
  return finding('SAML_ENTRA_SIGNIN_FAILED',
    `Entra's sign-in log: ${s.userPrincipalName || '(unknown user)'} failed with AADSTS${code}${entry ? ` (${entry.meaning})` : ''} at ${s.createdDateTime}${s.status.failureReason ? `: ${s.status.failureReason}` : ''}. Correlation ID ${s.correlationId}.`,
    {
      aadsts: code, failureReason: s.status.failureReason, userPrincipalName: s.userPrincipalName, userId: s.userId,
      correlationId: s.correlationId, createdDateTime: s.createdDateTime, ipAddress: s.ipAddress, signInId: s.id, appId: s.appId,
    },
    entry?.remedy);
}

export interface SignInMatcher {
  /** starts polling for this attempt (no_idp_response, fleet_rejected, saml_rejected; others are ignored); returns at once (never blocks a login) */
  enqueue(a: Attempt): void;
  /** attempts still being polled for */
  pending(): number;
  close(): void;
}

export function startSignInMatcher(o: SignInMatcherOptions): SignInMatcher {
  const delays = o.pollDelaysMs ?? DEFAULT_POLL_DELAYS_MS;
  const slack = o.slackMs ?? 120_000;
  const taken = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let active = 0;

  const poll = async (a: Attempt, round: number): Promise<void> => {
    if (closed) return;
    let entries: GraphSignIn[];
    try {
      const since = new Date(Date.parse(a.session.authnRequest?.recordedAt ?? a.time) - slack);
      entries = await o.source.signIns(since);
    } catch (e) {
      const kind = e instanceof GraphError ? e.kind : 'error';
      o.log?.warn({ event: 'entra.signins_unavailable', attempt: a.id, kind, message: (e as Error).message }, 'Entra sign-in log could not be read');
      // a missing permission or licence does not fix itself within the polls
      if (kind === 'permission_missing' || kind === 'license_required' || kind === 'auth_failed') return giveUp(a, kind);
      return schedule(a, round + 1);
    }
    const s = pickSignIn(a, entries, taken, slack);
    if (!s) return schedule(a, round + 1);
    taken.add(s.id);
    const current = (await o.store.getAttempt(a.id).catch(() => null)) ?? a;
    if (current.findings.some((f) => f.code === 'SAML_ENTRA_SIGNIN_FAILED' || f.code === 'SAML_ENTRA_SIGNIN_SUCCEEDED')) return done();
    const f = signInFinding(s);
    const updated: Attempt = { ...current, findings: [f, ...current.findings] };
    await o.store.updateAttempt(updated).catch((e: unknown) => o.log?.warn({ event: 'entra.update_failed', attempt: a.id, err: e }, 'attempt could not be updated'));
    o.log?.info({ event: 'entra.signin_matched', attempt: a.id, code: f.code, aadsts: f.evidence?.aadsts, correlationId: s.correlationId }, 'Entra sign-in log explains a login that never came back');
    done();
    o.onMatched?.(updated, s);
  };
  const done = () => { active--; };
  const giveUp = (a: Attempt, reason: string) => { done(); o.onGaveUp?.(a, reason); };
  const schedule = (a: Attempt, round: number): void => {
    if (closed) return;
    if (round >= delays.length) { giveUp(a, 'no_match'); return; }
    const t = setTimeout(() => { timers.delete(t); void poll(a, round).catch(() => giveUp(a, 'error')); }, delays[round]);
    timers.add(t); // ref'd: close() clears them (the proxy's close does)
  };

  return {
    enqueue(a) {
      if (closed || !explainable(a)) return;
      active++;
      schedule(a, 0);
    },
    pending: () => active,
    close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
