// Proxy state behind one interface: recorded AuthnRequests (by SSO session), the replay cache and the attempt history.
import type { Attempt, RecordedAuthnRequest } from './attempt.js';

export interface ProxyStore {
  /** keeps the AuthnRequest Fleet issued for an SSO session until ttlMs passes */
  recordAuthnRequest(sessionId: string, req: RecordedAuthnRequest, ttlMs: number): Promise<void>;
  /** returns and forgets it (single use, like Fleet's session); null when unknown or expired */
  takeAuthnRequest(sessionId: string): Promise<RecordedAuthnRequest | null>;
  /** set-if-absent: true when this assertion ID was already seen and has not expired yet */
  seenAssertion(assertionId: string, expiresAt: Date): Promise<boolean>;
  /** a login Fleet started: a callback answering rec.request.id is expected before `deadline` */
  expectCallback(rec: RecordedAuthnRequest, deadline: Date): Promise<void>;
  /** the callback for this AuthnRequest ID arrived: it is no longer expected */
  callbackArrived(requestId: string): Promise<void>;
  /** logins still waiting for their callback (outcome in_progress), newest first */
  listExpected(limit?: number): Promise<ExpectedLogin[]>;
  /** logins whose deadline passed without a callback; each is handed to exactly one caller, across instances */
  claimUnanswered(now: Date, limit?: number): Promise<RecordedAuthnRequest[]>;
  addAttempt(a: Attempt): Promise<void>;
  /** replaces a stored attempt in place (a pasted Entra error), keeping its place in the history; false when unknown */
  updateAttempt(a: Attempt): Promise<boolean>;
  /** newest first */
  listAttempts(limit?: number): Promise<Attempt[]>;
  getAttempt(id: string): Promise<Attempt | null>;
  /** ok, or degraded with the reason (a shared backend that does not answer); bounded in time */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/** A login Fleet started whose callback has not arrived yet. */
export interface ExpectedLogin {
  rec: RecordedAuthnRequest;
  /** when it becomes a no_idp_response attempt */
  deadline: string;
}

export interface StoreHealth {
  backend: 'memory' | 'redis';
  status: 'ok' | 'degraded';
  /** why the state is degraded (the backend's last error); null when ok */
  reason: string | null;
}

/**
 * Thrown by a shared store whose backend does not answer (connection down, command timeout). The proxy keeps passing
 * traffic: an SSO callback is then judged without its state (SAML_REPLAY_STATE_UNAVAILABLE) and blocked in enforce mode.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** An attempt holds the decoded XML: above this many bytes of JSON the XML is dropped from it (findings stay). */
export const DEFAULT_ATTEMPT_MAX_BYTES = 256 * 1024;

/**
 * Keeps a stored attempt under maxBytes of JSON: first the decoded response and AuthnRequest XML go, then the engine's
 * report (the findings, verdict and Fleet's answer always stay). Returns the attempt to keep and its JSON.
 * The XML is the bulk: when its characters alone pass the cap (JSON has at least one byte per character), the attempt is
 * slimmed without serialising the XML first. A hostile 1 MiB callback thus costs no megabyte-sized JSON on the event loop.
 */
export function boundAttempt(a: Attempt, maxBytes: number): { attempt: Attempt; json: string } {
  const rec = a.session.authnRequest;
  const xmlChars = (a.report?.xml?.length ?? 0) + (rec?.request.xml.length ?? 0);
  if (xmlChars <= maxBytes) {
    const json = JSON.stringify(a);
    if (Buffer.byteLength(json) <= maxBytes) return { attempt: a, json };
  }
  const slim: Attempt = {
    ...a,
    report: a.report ? { ...a.report, xml: null } : null,
    session: { ...a.session, authnRequest: rec ? { ...rec, request: { ...rec.request, xml: '' } } : null },
  };
  const json = JSON.stringify(slim);
  if (Buffer.byteLength(json) <= maxBytes) return { attempt: slim, json };
  const bare: Attempt = { ...slim, report: null };
  return { attempt: bare, json: JSON.stringify(bare) };
}

/** boundAttempt's JSON (what a shared store writes). */
export function boundedAttemptJson(a: Attempt, maxBytes: number): string {
  return boundAttempt(a, maxBytes).json;
}

export interface MemoryStoreLimits {
  authnRequests: number;
  assertions: number;
  attempts: number;
  /** per attempt, as JSON (see boundedAttemptJson) */
  attemptBytes: number;
}

export const DEFAULT_MEMORY_LIMITS: MemoryStoreLimits = { authnRequests: 10_000, assertions: 100_000, attempts: 500, attemptBytes: DEFAULT_ATTEMPT_MAX_BYTES };

/** Bounded in-memory store: the oldest entries are evicted first when a limit is reached; expired ones are ignored on access. */
export class MemoryStore implements ProxyStore {
  private readonly authn = new Map<string, { req: RecordedAuthnRequest; expires: number }>();
  private readonly assertions = new Map<string, number>();
  private readonly attempts = new Map<string, Attempt>();
  private readonly pending = new Map<string, { rec: RecordedAuthnRequest; deadline: number }>();
  private readonly limits: MemoryStoreLimits;

  constructor(limits: Partial<MemoryStoreLimits> = {}, private readonly clock: () => number = Date.now) {
    this.limits = { ...DEFAULT_MEMORY_LIMITS, ...limits };
  }

  async recordAuthnRequest(sessionId: string, req: RecordedAuthnRequest, ttlMs: number): Promise<void> {
    this.authn.delete(sessionId);
    this.authn.set(sessionId, { req, expires: this.clock() + ttlMs });
    this.trim(this.authn, this.limits.authnRequests);
  }

  async takeAuthnRequest(sessionId: string): Promise<RecordedAuthnRequest | null> {
    const e = this.authn.get(sessionId);
    if (!e) return null;
    this.authn.delete(sessionId);
    return e.expires > this.clock() ? e.req : null;
  }

  async seenAssertion(assertionId: string, expiresAt: Date): Promise<boolean> {
    const now = this.clock();
    const prev = this.assertions.get(assertionId);
    if (prev !== undefined && prev > now) return true;
    this.assertions.delete(assertionId);
    this.assertions.set(assertionId, expiresAt.getTime());
    this.trim(this.assertions, this.limits.assertions);
    return false;
  }

  async expectCallback(rec: RecordedAuthnRequest, deadline: Date): Promise<void> {
    if (!rec.request.id) return;
    this.pending.delete(rec.request.id);
    this.pending.set(rec.request.id, { rec, deadline: deadline.getTime() });
    this.trim(this.pending, this.limits.authnRequests);
  }

  async callbackArrived(requestId: string): Promise<void> {
    this.pending.delete(requestId);
  }

  async listExpected(limit = 100): Promise<ExpectedLogin[]> {
    const all = [...this.pending.values()];
    const out: ExpectedLogin[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) out.push({ rec: all[i].rec, deadline: new Date(all[i].deadline).toISOString() });
    return out;
  }

  async claimUnanswered(now: Date, limit = 100): Promise<RecordedAuthnRequest[]> {
    const out: RecordedAuthnRequest[] = [];
    for (const [id, p] of this.pending) {
      if (out.length >= limit) break;
      if (p.deadline > now.getTime()) continue;
      this.pending.delete(id);
      out.push(p.rec);
    }
    return out;
  }

  async updateAttempt(a: Attempt): Promise<boolean> {
    if (!this.attempts.has(a.id)) return false;
    this.attempts.set(a.id, boundAttempt(a, this.limits.attemptBytes).attempt);
    return true;
  }

  async addAttempt(a: Attempt): Promise<void> {
    const kept = boundAttempt(a, this.limits.attemptBytes).attempt;
    this.attempts.delete(a.id);
    this.attempts.set(a.id, kept);
    while (this.attempts.size > this.limits.attempts) {
      const oldest = this.attempts.keys().next().value as string;
      this.attempts.delete(oldest);
    }
  }

  async listAttempts(limit = this.limits.attempts): Promise<Attempt[]> {
    const all = [...this.attempts.values()];
    const out: Attempt[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) out.push(all[i]);
    return out;
  }

  async getAttempt(id: string): Promise<Attempt | null> {
    return this.attempts.get(id) ?? null;
  }

  async health(): Promise<StoreHealth> {
    return { backend: 'memory', status: 'ok', reason: null };
  }

  async close(): Promise<void> {
    this.authn.clear();
    this.assertions.clear();
    this.attempts.clear();
    this.pending.clear();
  }

  /** sizes, for health reporting and tests */
  sizes(): { authnRequests: number; assertions: number; attempts: number } {
    return { authnRequests: this.authn.size, assertions: this.assertions.size, attempts: this.attempts.size };
  }

  /** over the limit: drops the oldest inserted entries (O(1) each; expired ones are also dropped on access) */
  private trim<V>(map: Map<string, V>, max: number): void {
    while (map.size > max) map.delete(map.keys().next().value as string);
  }
}
