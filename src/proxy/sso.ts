// SSO interception in its own encapsulated scope: record Fleet's AuthnRequest at initiate, judge the callback, forward or block, read Fleet's answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { Agent, Dispatcher } from 'undici';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { analyzeResponse, authnRequestFromUrl, lintAuthnRequest } from '../saml/index.js';
import { finding, hasErrors, type Finding } from '../saml/findings.js';
import type { AnalysisReport } from '../saml/types.js';
import { AnalysisUnavailableError, type AnalysisPool } from './analysis-pool.js';
import { outcomeOf, type ActualOutcome, type Attempt, type FleetAnswer, type PredictedOutcome, type RecordedAuthnRequest } from './attempt.js';
import { boundedBodyParser, captureBounded, rejoin, type CapturedBody } from './body.js';
import type { TrustedProxies } from './client-ip.js';
import { forwardedFor } from './client-ip.js';
import { forwardHeaderList, hasRequestBody, requestTargetProblem, responseHeaders, sendEdge } from './forward.js';
import { classifyUpstreamError } from './edge-errors.js';
import { decideCallback } from './callback-decision.js';
import { MAX_SSO_CALLBACK_BYTES, readCallbackRequest, type FleetCallbackRead } from '../fleet/callback-request.js';
import { explainOutcome, readFleetAnswer } from './fleet-outcome.js';
import type { MetadataSource } from './metadata-source.js';
import { acceptedAudiences, acsUrlFor, CLOCK_SKEW_SECONDS, SSO_CALLBACK_BODY_BYTES, SSO_ROUTES, SSO_SESSION_COOKIE, type SsoFlow } from '../fleet/index.js';
import { StoreUnavailableError, type ProxyStore } from './store.js';

export const SSO_LIMITS = {
  /** Fleet answers 413 to callback bodies over 256 KiB; the proxy reads no more than that (src/fleet/rules.ts) */
  callbackBodyBytes: SSO_CALLBACK_BODY_BYTES,
  /** a callback body still arriving after this is a slow-body attack (browsers post a few KiB at once) */
  callbackBodyDeadlineMs: 30_000,
  /** Fleet's JSON and HTML answers read for analysis; larger ones pass through unread */
  fleetAnswerBytes: 1024 * 1024,
  /** Fleet's clock skew: replay cache entries live until NotOnOrAfter plus this */
  skewMs: CLOCK_SKEW_SECONDS * 1000,
  /** replay cache lifetime when an assertion carries no NotOnOrAfter */
  defaultAssertionLifetimeMs: 3_600_000,
} as const;

export interface SsoContext {
  /** how long a callback body may take to arrive (default SSO_LIMITS.callbackBodyDeadlineMs) */
  callbackBodyDeadlineMs?: number;
  upstream: URL;
  agent: Agent;
  trusted: TrustedProxies;
  scheme: 'http' | 'https';
  mode: 'observe' | 'enforce';
  urlPrefix: string;
  /** the Fleet release whose rules apply (src/fleet/versions.ts) */
  fleetVersion?: string;
  store: ProxyStore;
  metadata: MetadataSource;
  now: () => Date;
  entityId: string;
  publicUrl: string;
  allowIdpInitiated: boolean;
  logSaml: boolean;
  maskNameId: boolean;
  sessionTtlMs: number;
  /** how long a started login may wait for its callback before it is a no_idp_response attempt (≤ sessionTtlMs) */
  loginTimeoutMs: number;
  log?: Logger;
  /** runs the analysis (a worker pool, see analysis-pool.ts); default: in-process */
  analysis?: AnalysisPool;
  /** called with every attempt as it is recorded (metrics) */
  onAttempt?: (a: Attempt) => void;
}

/** a***@example.com: enough to recognise, not enough to harvest. */
export function maskNameId(nameId: string | null): string | null {
  if (nameId === null) return null;
  const at = nameId.indexOf('@');
  if (at > 0) return nameId[0] + '***' + nameId.slice(at);
  return nameId.length <= 2 ? '***' : nameId[0] + '***' + nameId[nameId.length - 1];
}

export function cookieValue(header: string | string[] | undefined, name: string): string | null {
  const all = Array.isArray(header) ? header.join('; ') : header ?? '';
  for (const part of all.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

function setCookieValue(header: string | string[] | undefined, name: string): string | null {
  for (const c of Array.isArray(header) ? header : header ? [header] : []) {
    const first = c.split(';', 1)[0];
    const eq = first.indexOf('=');
    if (eq > 0 && first.slice(0, eq).trim() === name) return first.slice(eq + 1).trim() || null;
  }
  return null;
}

function decodeForReading(body: Buffer, encoding: string | string[] | undefined): string {
  const enc = (Array.isArray(encoding) ? encoding[0] : encoding ?? '').trim().toLowerCase();
  const maxOutputLength = SSO_LIMITS.fleetAnswerBytes * 4;
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return gunzipSync(body, { maxOutputLength }).toString('utf8');
    if (enc === 'br') return brotliDecompressSync(body, { maxOutputLength }).toString('utf8');
    if (enc === 'deflate') return inflateSync(body, { maxOutputLength }).toString('utf8');
  } catch {
    return '';
  }
  return enc === '' || enc === 'identity' ? body.toString('utf8') : '';
}

interface UpstreamRes {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  stream: Readable;
}

/**
 * Sends the request to Fleet as the client sent it: the request-target byte for byte (never rebuilt, so `/./`, `#` and
 * an empty `?` reach Fleet as they came), headers by the one forwarding policy (forward.ts), and `body` as given.
 */
async function exchange(ctx: SsoContext, request: FastifyRequest, body: Buffer | Readable | null): Promise<UpstreamRes> {
  const r = await ctx.agent.request({
    origin: ctx.upstream.origin,
    path: request.originalUrl,
    method: (request.raw.method ?? 'POST') as Dispatcher.HttpMethod,
    headers: forwardHeaderList(ctx, request.raw),
    body,
  });
  return { statusCode: r.statusCode, headers: r.headers as UpstreamRes['headers'], stream: r.body };
}

/** Fleet's answer read bounded: the bytes to relay, and the text for analysis ('' when too large or undecodable). */
async function readAnswer(res: UpstreamRes): Promise<{ relay: Buffer | Readable; text: string }> {
  const captured = await captureBounded(res.stream, SSO_LIMITS.fleetAnswerBytes, null);
  if (captured.complete) return { relay: captured.bytes, text: decodeForReading(captured.bytes, res.headers['content-encoding']) };
  return { relay: rejoin(captured.head, captured.rest), text: '' };
}

function relay(reply: FastifyReply, res: UpstreamRes, body: Buffer | Readable): FastifyReply {
  return reply.code(res.statusCode).headers(responseHeaders(res.headers)).send(body);
}

/** A transport failure talking to Fleet (or a target undici will not send verbatim) becomes an EDGE answer. */
function upstreamFailed(reply: FastifyReply, err: unknown): FastifyReply {
  const target = requestTargetProblem(err);
  const code = target ?? classifyUpstreamError(err);
  if (!target) reply.request.log.warn({ err, edge: code }, 'upstream failed');
  return sendEdge(reply, code, { close: target === 'EDGE_BAD_REQUEST' });
}

function fleetSettings(ctx: SsoContext) {
  return { serverUrl: ctx.publicUrl, urlPrefix: ctx.urlPrefix, fleetVersion: ctx.fleetVersion, entityId: ctx.entityId };
}

function flowAcsUrl(ctx: SsoContext, flow: SsoFlow): string {
  return acsUrlFor(fleetSettings(ctx), flow);
}

export async function registerSso(app: FastifyInstance, ctx: SsoContext): Promise<void> {
  // --- initiate: the request body streams through; Fleet's JSON answer is read, its AuthnRequest recorded, then relayed
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    for (const r of SSO_ROUTES.filter((x) => x.kind === 'initiate')) {
      scope.post(ctx.urlPrefix + r.path, async (request, reply) => {
        const body = hasRequestBody(request.headers) ? ((request.body as Readable | undefined) ?? request.raw) : null;
        const client = clientOf(ctx, request);
        let res: UpstreamRes;
        try {
          res = await exchange(ctx, request, body);
        } catch (err) {
          return upstreamFailed(reply, err);
        }
        const answer = await readAnswer(res);
        // recorded before the browser has the IdP URL, so the callback can never arrive first
        if (answer.text) await recordInitiate(ctx, request, r.flow, res, answer.text, client);
        return relay(reply, res, answer.relay);
      });
    }
  });

  // --- callback: the body is captured bounded as a Buffer and forwarded byte for byte (or blocked)
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    const parser = boundedBodyParser(SSO_LIMITS.callbackBodyBytes, ctx.callbackBodyDeadlineMs ?? SSO_LIMITS.callbackBodyDeadlineMs);
    scope.addContentTypeParser('*', parser);
    for (const r of SSO_ROUTES.filter((x) => x.kind === 'callback')) {
      scope.post(ctx.urlPrefix + r.path, (request, reply) => handleCallback(ctx, r.flow, request, reply));
    }
  });
}

async function recordInitiate(ctx: SsoContext, request: FastifyRequest, flow: SsoFlow, res: UpstreamRes, text: string, client: RecordedAuthnRequest['client']): Promise<void> {
  try {
    if (res.statusCode !== 200 || !text) return;
    let url: unknown;
    try { url = (JSON.parse(text) as { url?: unknown }).url; } catch { return; }
    if (typeof url !== 'string') return;
    const decoded = authnRequestFromUrl(url);
    const sessionId = setCookieValue(res.headers['set-cookie'], SSO_SESSION_COOKIE);
    const findings: Finding[] = [...decoded.findings];
    if (decoded.request) {
      findings.push(...lintAuthnRequest(decoded.request, { entityId: ctx.entityId, acsUrl: flowAcsUrl(ctx, flow), metadata: ctx.metadata.current() }));
      const now = ctx.now();
      const rec: RecordedAuthnRequest = {
        request: decoded.request, findings, flow, relayState: decoded.relayState,
        recordedAt: now.toISOString(), initiateRequestId: String(request.id), client,
      };
      if (sessionId) await ctx.store.recordAuthnRequest(sessionId, rec, ctx.sessionTtlMs);
      // Fleet before the session cookie kept the session id in RelayState
      if (decoded.relayState) await ctx.store.recordAuthnRequest('relay:' + decoded.relayState, rec, ctx.sessionTtlMs);
      // a callback is expected: without one before the login timeout, the login becomes a no_idp_response attempt
      await ctx.store.expectCallback(rec, new Date(now.getTime() + ctx.loginTimeoutMs));
    }
    const line = {
      event: 'sso.initiate', reqId: request.id, flow, authnRequestId: decoded.request?.id ?? null,
      sessionCookie: sessionId !== null, codes: findings.map((f) => f.code),
      ...(ctx.logSaml ? { saml: { authnRequestXml: decoded.request?.xml ?? null } } : {}),
    };
    if (hasErrors(findings)) ctx.log?.warn(line, 'sso initiate with problems');
    else ctx.log?.info(line, 'sso initiate');
  } catch (err) {
    request.log.error({ err }, 'recording the AuthnRequest failed');
  }
}

/** The finding for a request Fleet answers with 400/413 before any SAML check (src/fleet/callback-request.ts). */
function refusalFinding(read: Extract<FleetCallbackRead, { outcome: 'refused' }>): Finding {
  const evidence = { fleetStatus: read.status, detail: read.detail.slice(0, 200) };
  if (read.reason === 'body_too_large') return finding('SAML_FLEET_BODY_TOO_LARGE', `Fleet answers HTTP 413: the callback body is over ${MAX_SSO_CALLBACK_BYTES} bytes.`, evidence);
  if (read.reason === 'missing') return finding('SAML_DECODE_EMPTY', 'Fleet answers HTTP 400 "missing SAMLResponse": the request carries no SAMLResponse value Fleet reads.', evidence);
  if (read.reason === 'base64') return finding('SAML_DECODE_BASE64_INVALID', `Fleet answers HTTP 400 "failed to decode SAMLResponse": ${read.detail.slice(0, 200)}.`, evidence);
  return finding('SAML_FLEET_FORM_REFUSED', `Fleet answers HTTP 400 "failed to parse form": ${read.detail.slice(0, 200)}.`, evidence);
}

const SIGNATURE_TRUST = new Set(['SAML_SIG_INVALID', 'SAML_SIG_UNTRUSTED_KEY']);

/** Everything samlscope concluded about one callback before deciding to forward or block it. */
interface Judged {
  read: FleetCallbackRead;
  report: AnalysisReport | null;
  proxyFindings: Finding[];
  rec: RecordedAuthnRequest | null;
  predicted: PredictedOutcome;
  stateDown: boolean;
  unavailable: boolean;
}

/** Judges the value Fleet will read, exactly those bytes: the request as Go parses it, then the engine, replay and session. */
async function judgeCallback(ctx: SsoContext, flow: SsoFlow, request: FastifyRequest, captured: CapturedBody, cookieSid: string | null): Promise<Judged> {
  const now = ctx.now();
  const read = readCallbackRequest({
    method: request.raw.method ?? 'POST',
    target: request.originalUrl,
    contentType: firstHeader(request.headers['content-type']),
    body: captured.complete ? captured.bytes : captured.head,
    bodyOverCap: !captured.complete,
  });
  const j: Judged = { read, report: null, proxyFindings: [], rec: null, predicted: 'error', stateDown: false, unavailable: false };
  let stateDownReason: string | null = null;
  // shared state (Redis) that does not answer: judged without it, a finding says so, enforce fails closed
  const stateful = async <T>(call: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      stateDownReason ??= err.message;
      return fallback;
    }
  };
  if (read.outcome === 'refused') {
    j.proxyFindings.push(refusalFinding(read));
    j.predicted = 'bad_request';
    return j;
  }
  if (cookieSid) j.rec = await stateful(() => ctx.store.takeAuthnRequest(cookieSid), null);
  if (!j.rec && stateDownReason === null && read.relayState) {
    const relay = Buffer.from(read.relayState, 'latin1').toString('utf8');
    j.rec = await stateful(() => ctx.store.takeAuthnRequest('relay:' + relay), null);
  }
  const rec = j.rec;
  const analyze = (): Promise<AnalysisReport> => (ctx.analysis?.analyze ?? analyzeResponse)(read.decoded, {
    input: 'fleet-bytes', metadata: ctx.metadata.current(), entityId: ctx.entityId, acsUrl: flowAcsUrl(ctx, flow),
    extraAudiences: acceptedAudiences(fleetSettings(ctx), flow),
    now, requestId: rec?.request.id ?? undefined, allowIdpInitiated: ctx.allowIdpInitiated,
  });
  try {
    j.report = await analyze();
    if (j.report.findings.some((f) => SIGNATURE_TRUST.has(f.code)) && await ctx.metadata.refreshAfterSignatureFailure()) {
      j.report = await analyze();
    }
  } catch (err) {
    if (!(err instanceof AnalysisUnavailableError)) throw err;
    // too busy, too slow or crashed: observe forwards it unjudged, enforce fails closed (EDGE_ANALYSIS_UNAVAILABLE)
    j.unavailable = true;
    j.proxyFindings.push(finding('SAML_FLEET_ANALYSIS_UNAVAILABLE', `samlscope did not analyse this callback: ${err.message}.`, { reason: err.reason }));
    request.log.warn({ reason: err.reason }, 'SAML analysis unavailable');
  }
  const report = j.report;
  if (report) {
    const solicited = Boolean(report.response?.inResponseTo || report.assertion?.confirmationInResponseTo);
    if (!rec && stateDownReason === null && (solicited || !ctx.allowIdpInitiated)) {
      j.proxyFindings.push(finding('SAML_FLEET_SESSION_UNKNOWN', cookieSid
        ? 'The SSO session cookie names no AuthnRequest samlscope recorded (expired, used already, or started elsewhere).'
        : 'The callback carries no SSO session cookie.', { sessionCookie: cookieSid !== null }));
    }
    const a = report.assertion;
    if (a?.id) {
      const until = a.confirmationNotOnOrAfter ?? a.notOnOrAfter;
      const t = until ? Date.parse(until) : NaN;
      const expiresAt = new Date((Number.isNaN(t) ? now.getTime() + SSO_LIMITS.defaultAssertionLifetimeMs : t) + SSO_LIMITS.skewMs);
      if (await stateful(() => ctx.store.seenAssertion(a.id as string, expiresAt), false)) {
        j.proxyFindings.push(finding('SAML_REPLAY_DETECTED', `Assertion ${a.id.slice(0, 80)} was seen before and is still valid.`, { assertionId: a.id }));
      }
    }
    j.predicted = report.verdict === 'accept' && !(cookieSid === null && solicited && !ctx.allowIdpInitiated) ? 'success' : 'error';
  }
  if (stateDownReason !== null) {
    j.stateDown = true;
    j.proxyFindings.push(finding('SAML_REPLAY_STATE_UNAVAILABLE', 'samlscope\'s shared state did not answer: this callback was judged without its AuthnRequest and without the replay check.', { reason: stateDownReason }));
  }
  return j;
}

/** Who sent a request: the client address by the forwarding policy, and the User-Agent. */
function clientOf(ctx: SsoContext, request: FastifyRequest): { ip: string; userAgent: string | null } {
  const ip = forwardedFor(request.raw.socket?.remoteAddress, request.headers['x-forwarded-for'], ctx.trusted).clientIp;
  return { ip, userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null };
}

/** The login this callback answers is no longer waiting (by the session's AuthnRequest, and by the InResponseTo it names). */
async function markAnswered(ctx: SsoContext, j: Judged): Promise<void> {
  const ids = new Set([j.rec?.request.id, j.report?.response?.inResponseTo, j.report?.assertion?.confirmationInResponseTo]);
  for (const id of ids) if (id) await ctx.store.callbackArrived(id);
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function handleCallback(ctx: SsoContext, flow: SsoFlow, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const t0 = performance.now();
  const now = ctx.now();
  const captured = (request.body as CapturedBody | undefined) ?? { complete: true as const, bytes: Buffer.alloc(0) };
  const cookieSid = cookieValue(request.headers.cookie, SSO_SESSION_COOKIE);
  const client = clientOf(ctx, request);
  const j = await judgeCallback(ctx, flow, request, captured, cookieSid);
  if (!j.stateDown) void markAnswered(ctx, j).catch((err: unknown) => request.log.warn({ err }, 'marking the login answered failed'));
  const { read, report, proxyFindings, rec, predicted } = j;
  const acsUrl = flowAcsUrl(ctx, flow);
  const analyzeMs = performance.now() - t0;
  const findings = [...(report?.findings ?? []), ...proxyFindings];
  const verdict: 'accept' | 'reject' = report && report.verdict === 'accept' && !hasErrors(proxyFindings) ? 'accept' : 'reject';
  const nameId = report?.subject?.nameId ?? null;
  const bodyBytes = captured.complete ? captured.bytes.length : (captured.declaredLength ?? captured.head.length);

  const finish = (actual: ActualOutcome, answer: FleetAnswer | null, action: 'forwarded' | 'blocked', upstreamMs: number | null) => {
    const extra = action === 'forwarded'
      ? explainOutcome(predicted, actual, {
        nameId, entityId: ctx.entityId, acsUrl, sessionKnown: rec !== null,
        idpInitiated: report !== null && !report.response?.inResponseTo && !report.assertion?.confirmationInResponseTo,
        allowIdpInitiated: ctx.allowIdpInitiated,
      })
      : [];
    const attempt: Attempt = {
      id: String(request.id), time: now.toISOString(), flow, mode: ctx.mode, ...outcomeOf(action, actual, predicted), verdict,
      // what was wrong with the AuthnRequest Fleet issued travels with the attempt it started
      findings: [...findings, ...(rec?.findings ?? []).filter((f) => !findings.some((g) => g.code === f.code)), ...extra],
      fleet: { predicted, actual, answer }, action, nameId,
      session: { cookie: cookieSid !== null, known: rec !== null, authnRequest: rec },
      client,
      timings: { analyzeMs: round(analyzeMs), upstreamMs: upstreamMs === null ? null : round(upstreamMs), totalMs: round(performance.now() - t0) },
      bodyBytes,
      fleetRead: read.outcome === 'read' ? { outcome: 'read', source: read.source } : { outcome: 'refused', status: read.status, reason: read.reason },
      judgedSha256: read.outcome === 'read' ? createHash('sha256').update(read.decoded).digest('hex') : null,
      report,
    };
    void ctx.store.addAttempt(attempt).catch((err: Error) => request.log.error({ err }, 'storing the attempt failed'));
    ctx.onAttempt?.(attempt);
    logAttempt(ctx, attempt, captured);
  };

  const decision = decideCallback({
    mode: ctx.mode, verdict, bodyOverCap: read.outcome === 'refused' && read.reason === 'body_too_large', analysisUnavailable: j.unavailable,
    judged: report !== null || read.outcome === 'refused', stateDown: j.stateDown,
    errorCodes: findings.filter((f) => f.severity === 'error').map((f) => f.code),
  });
  if (decision.action === 'block') {
    finish('blocked', null, 'blocked', null);
    return sendEdge(reply, decision.edge, { findings: decision.findings, close: decision.close, loginUrl: flow === 'sso' ? `${ctx.urlPrefix}/login` : undefined });
  }

  // forward the original bytes, whatever the verdict (observe) or because it passed (enforce)
  const t1 = performance.now();
  const body = captured.complete ? (captured.bytes.length > 0 || hasRequestBody(request.headers) ? captured.bytes : null) : rejoin(captured.head, captured.rest);
  let res: UpstreamRes;
  try {
    res = await exchange(ctx, request, body);
  } catch (err) {
    finish('upstream_failed', null, 'forwarded', performance.now() - t1);
    return upstreamFailed(reply, err);
  }
  let answer: { relay: Buffer | Readable; text: string };
  try {
    answer = await readAnswer(res);
  } catch (err) {
    request.log.warn({ err }, 'reading Fleet\'s callback answer failed');
    finish('unknown', null, 'forwarded', performance.now() - t1);
    reply.raw.destroy();
    return reply;
  }
  const outcome = readFleetAnswer(flow, res.statusCode, res.headers, answer.text);
  finish(outcome.actual, outcome.answer, 'forwarded', performance.now() - t1);
  return relay(reply, res, answer.relay);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export function logAttempt(ctx: Pick<SsoContext, 'log' | 'logSaml' | 'maskNameId'>, a: Attempt, captured: CapturedBody | null): void {
  if (!ctx.log) return;
  const line: Record<string, unknown> = {
    event: 'sso.attempt', outcome: a.outcome, fleetStatus: a.fleetStatus, reqId: a.id, flow: a.flow, mode: a.mode, action: a.action, verdict: a.verdict,
    codes: a.findings.map((f) => f.code),
    fleet: { predicted: a.fleet.predicted, actual: a.fleet.actual, status: a.fleet.answer?.status ?? null },
    nameId: ctx.maskNameId ? maskNameId(a.nameId) : a.nameId,
    authnRequestId: a.session.authnRequest?.request.id ?? null,
    inResponseTo: a.report?.response?.inResponseTo ?? null,
    client: a.client.ip,
    timings: a.timings,
  };
  if (ctx.logSaml) {
    line.saml = {
      body: captured?.complete ? captured.bytes.toString('latin1') : null,
      xml: a.report?.xml ?? null,
    };
  }
  const agree = a.findings.every((f) => !f.code.startsWith('SAML_FLEET_') || f.severity !== 'error');
  if (a.outcome === 'signed_in' && a.verdict === 'accept' && agree) ctx.log.info(line, 'sso attempt');
  else ctx.log.warn(line, 'sso attempt');
}
