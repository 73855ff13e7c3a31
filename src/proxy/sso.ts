// SSO interception in its own encapsulated scope: record Fleet's AuthnRequest at initiate, judge the callback, forward or block, read Fleet's answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import replyFrom from '@fastify/reply-from';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { Agent } from 'undici';
import type { Logger } from 'pino';
import { analyzeResponse, authnRequestFromUrl, lintAuthnRequest } from '../saml/index.js';
import { finding, hasErrors, type Finding } from '../saml/findings.js';
import type { AnalysisReport } from '../saml/types.js';
import { AnalysisUnavailableError, type AnalysisPool } from './analysis-pool.js';
import type { ActualOutcome, Attempt, FleetAnswer, PredictedOutcome, RecordedAuthnRequest } from './attempt.js';
import { boundedBodyParser, captureBounded, rejoin, type CapturedBody } from './body.js';
import type { TrustedProxies } from './client-ip.js';
import { forwardedFor } from './client-ip.js';
import { clientResponseHeaders, onUpstreamError, sendEdge, upstreamRequestHeaders } from './forward.js';
import { explainOutcome, readFleetAnswer } from './fleet-outcome.js';
import type { MetadataSource } from './metadata-source.js';
import { acceptedAudiences, acsUrlFor, SSO_ROUTES, SSO_SESSION_COOKIE, type SsoFlow } from '../fleet/index.js';
import { StoreUnavailableError, type ProxyStore } from './store.js';

export const SSO_LIMITS = {
  /** Fleet refuses callback bodies over 1 MiB */
  callbackBodyBytes: 1024 * 1024,
  /** a callback body still arriving after this is a slow-body attack (browsers post a few KiB at once) */
  callbackBodyDeadlineMs: 30_000,
  /** Fleet's JSON and HTML answers read for analysis; larger ones pass through unread */
  fleetAnswerBytes: 1024 * 1024,
  /** Fleet's clock skew: replay cache entries live until NotOnOrAfter plus this */
  skewMs: 180_000,
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

/** Reads Fleet's answer bounded, sends exactly those bytes on to the client, returns the text for analysis ('' when too large). */
async function relayAnswer(reply: FastifyReply, res: UpstreamRes): Promise<string> {
  const captured = await captureBounded(res.stream, SSO_LIMITS.fleetAnswerBytes, null);
  if (captured.complete) {
    reply.send(captured.bytes);
    return decodeForReading(captured.bytes, res.headers['content-encoding']);
  }
  reply.send(rejoin(captured.head, captured.rest));
  return '';
}

function fleetSettings(ctx: SsoContext) {
  return { serverUrl: ctx.publicUrl, urlPrefix: ctx.urlPrefix, fleetVersion: ctx.fleetVersion, entityId: ctx.entityId };
}

function flowAcsUrl(ctx: SsoContext, flow: SsoFlow): string {
  return acsUrlFor(fleetSettings(ctx), flow);
}

export async function registerSso(app: FastifyInstance, ctx: SsoContext): Promise<void> {
  await app.register(replyFrom, { base: ctx.upstream.origin, undici: ctx.agent as never, disableRequestLogging: true });
  const rewriteRequestHeaders = upstreamRequestHeaders.bind(null, ctx);

  // --- initiate: the request body streams through; Fleet's JSON answer is read for the AuthnRequest
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    for (const r of SSO_ROUTES.filter((x) => x.kind === 'initiate')) {
      scope.post(ctx.urlPrefix + r.path, (request, reply) => {
        reply.from(request.originalUrl, {
          rewriteRequestHeaders: rewriteRequestHeaders as never,
          rewriteHeaders: clientResponseHeaders as never,
          onError: onUpstreamError as never,
          onResponse: (_req, rep, res) => {
            const up = res as unknown as UpstreamRes;
            relayAnswer(rep as FastifyReply, up).then((text) => recordInitiate(ctx, request, r.flow, up, text), (err: Error) => {
              request.log.warn({ err }, 'reading Fleet\'s SSO initiate answer failed');
              rep.raw.destroy();
            });
          },
        });
        return reply;
      });
    }
  });

  // --- callback: the form body is captured bounded as a Buffer and forwarded byte for byte (or blocked)
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    const parser = boundedBodyParser(SSO_LIMITS.callbackBodyBytes, ctx.callbackBodyDeadlineMs ?? SSO_LIMITS.callbackBodyDeadlineMs);
    scope.addContentTypeParser('application/x-www-form-urlencoded', parser);
    scope.addContentTypeParser('*', parser);
    for (const r of SSO_ROUTES.filter((x) => x.kind === 'callback')) {
      scope.post(ctx.urlPrefix + r.path, (request, reply) => handleCallback(ctx, r.flow, request, reply, rewriteRequestHeaders as never));
    }
  });
}

async function recordInitiate(ctx: SsoContext, request: FastifyRequest, flow: SsoFlow, res: UpstreamRes, text: string): Promise<void> {
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
      const rec: RecordedAuthnRequest = {
        request: decoded.request, findings, flow, relayState: decoded.relayState,
        recordedAt: ctx.now().toISOString(), initiateRequestId: String(request.id),
      };
      if (sessionId) await ctx.store.recordAuthnRequest(sessionId, rec, ctx.sessionTtlMs);
      // Fleet before the session cookie kept the session id in RelayState
      if (decoded.relayState) await ctx.store.recordAuthnRequest('relay:' + decoded.relayState, rec, ctx.sessionTtlMs);
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

/**
 * The raw (still escaped) first value of `name` in an urlencoded body, keys unescaped as Go's url.ParseQuery does
 * ('+' and %XX; a key it cannot unescape matches nothing). Linear, and only keys are decoded: a 1 MiB SAMLResponse
 * value is never copied or decoded here on the event loop.
 */
export function rawFormField(body: Buffer | string, name: string): string | null {
  const s = typeof body === 'string' ? body : body.toString('latin1');
  for (let start = 0; start <= s.length;) {
    let end = s.indexOf('&', start);
    if (end === -1) end = s.length;
    const eq = s.indexOf('=', start);
    const keyEnd = eq === -1 || eq > end ? end : eq;
    let key = s.slice(start, keyEnd);
    if (key.includes('%') || key.includes('+')) {
      try { key = decodeURIComponent(key.replace(/\+/g, ' ')); } catch { key = ''; }
    }
    if (key === name && keyEnd > start) return keyEnd === end ? '' : s.slice(keyEnd + 1, end);
    start = end + 1;
  }
  return null;
}

/** The first value of a small field (RelayState), unescaped; null when absent or not unescapable. */
function formField(body: Buffer | string, name: string): string | null {
  const raw = rawFormField(body, name);
  if (raw === null) return null;
  try { return decodeURIComponent(raw.replace(/\+/g, ' ')); } catch { return null; }
}

/**
 * The message Fleet will read, as Go's Request.FormValue finds it: the urlencoded body's SAMLResponse, else the
 * query string's (a body of another type is not parsed at all). Judging only the body would let a SAMLResponse in
 * the query slip past enforce mode.
 */
export function fleetsView(body: Buffer, contentType: string | string[] | undefined, url: string, latin1 = body.toString('latin1')): Buffer {
  const type = (Array.isArray(contentType) ? contentType[0] : contentType ?? '').split(';')[0].trim().toLowerCase();
  const isForm = type === 'application/x-www-form-urlencoded';
  if (isForm && rawFormField(latin1, 'SAMLResponse') !== null) return body;
  const q = url.indexOf('?');
  const query = q === -1 ? null : new URLSearchParams(url.slice(q + 1));
  const fromQuery = query?.getAll('SAMLResponse') ?? [];
  if (fromQuery.length === 0) return isForm ? body : Buffer.alloc(0);
  const form = new URLSearchParams();
  for (const v of fromQuery) form.append('SAMLResponse', v);
  const relay = query?.get('RelayState');
  if (relay !== null && relay !== undefined) form.append('RelayState', relay);
  return Buffer.from(form.toString(), 'latin1');
}

const SIGNATURE_TRUST = new Set(['SAML_SIG_INVALID', 'SAML_SIG_UNTRUSTED_KEY']);

async function handleCallback(
  ctx: SsoContext, flow: SsoFlow, request: FastifyRequest, reply: FastifyReply,
  rewriteRequestHeaders: (req: FastifyRequest, h: Record<string, unknown>) => Record<string, unknown>,
): Promise<FastifyReply> {
  const t0 = performance.now();
  const now = ctx.now();
  const captured = (request.body as CapturedBody | undefined) ?? { complete: true as const, bytes: Buffer.alloc(0) };
  const acsUrl = flowAcsUrl(ctx, flow);
  const cookieSid = cookieValue(request.headers.cookie, SSO_SESSION_COOKIE);
  const peer = forwardedFor(request.raw.socket.remoteAddress, request.headers['x-forwarded-for'], ctx.trusted).clientIp;
  const ua = typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null;
  const proxyFindings: Finding[] = [];
  let report: AnalysisReport | null = null;
  let rec: RecordedAuthnRequest | null = null;
  let predicted: PredictedOutcome = 'error';
  let bodyBytes = 0;
  // shared state (Redis) that does not answer: judged without it, a finding says so, enforce fails closed
  let stateDown: string | null = null;
  let unavailable: string | null = null;
  const stateful = async <T>(call: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      stateDown ??= err.message;
      return fallback;
    }
  };

  if (!captured.complete) {
    const seen = captured.declaredLength ?? captured.head.length;
    bodyBytes = seen;
    proxyFindings.push(finding('SAML_DECODE_TOO_LARGE', `The callback body is larger than Fleet's 1 MiB limit (${captured.declaredLength !== null ? captured.declaredLength + ' bytes declared' : 'more than ' + SSO_LIMITS.callbackBodyBytes + ' bytes sent'}).`, { limit: SSO_LIMITS.callbackBodyBytes, declaredLength: captured.declaredLength }));
  } else {
    const bytes = captured.bytes;
    bodyBytes = bytes.length;
    // the body as latin1 once: both field look-ups scan it (a 1 MiB body costs a millisecond per conversion)
    const text = bytes.toString('latin1');
    if (cookieSid) rec = await stateful(() => ctx.store.takeAuthnRequest(cookieSid), null);
    if (!rec && stateDown === null) {
      const relay = formField(text, 'RelayState');
      if (relay) rec = await stateful(() => ctx.store.takeAuthnRequest('relay:' + relay), null);
    }
    const input = fleetsView(bytes, request.headers['content-type'], request.originalUrl, text);
    const analyze = (): Promise<AnalysisReport> => (ctx.analysis?.analyze ?? analyzeResponse)(input, {
      metadata: ctx.metadata.current(), entityId: ctx.entityId, acsUrl,
      extraAudiences: acceptedAudiences(fleetSettings(ctx), flow),
      now, requestId: rec?.request.id ?? undefined, allowIdpInitiated: ctx.allowIdpInitiated,
    });
    try {
      report = await analyze();
      if (report.findings.some((f) => SIGNATURE_TRUST.has(f.code)) && await ctx.metadata.refreshAfterSignatureFailure()) {
        report = await analyze();
      }
    } catch (err) {
      if (err instanceof AnalysisUnavailableError) {
        // too busy, too slow or crashed: observe forwards it unjudged, enforce fails closed (EDGE_ANALYSIS_UNAVAILABLE)
        unavailable = err.reason;
        proxyFindings.push(finding('SAML_FLEET_ANALYSIS_UNAVAILABLE', `samlscope did not analyse this callback: ${err.message}.`, { reason: err.reason }));
        request.log.warn({ reason: err.reason }, 'SAML analysis unavailable');
      } else {
        request.log.error({ err }, 'SAML analysis failed');
      }
      report = null;
    }
    if (report) {
      const solicited = Boolean(report.response?.inResponseTo || report.assertion?.confirmationInResponseTo);
      if (!rec && stateDown === null && (solicited || !ctx.allowIdpInitiated)) {
        proxyFindings.push(finding('SAML_FLEET_SESSION_UNKNOWN', cookieSid
          ? 'The SSO session cookie names no AuthnRequest samlscope recorded (expired, used already, or started elsewhere).'
          : 'The callback carries no SSO session cookie.', { sessionCookie: cookieSid !== null }));
      }
      const a = report.assertion;
      if (a?.id) {
        const until = a.confirmationNotOnOrAfter ?? a.notOnOrAfter;
        const t = until ? Date.parse(until) : NaN;
        const expiresAt = new Date((Number.isNaN(t) ? now.getTime() + SSO_LIMITS.defaultAssertionLifetimeMs : t) + SSO_LIMITS.skewMs);
        if (await stateful(() => ctx.store.seenAssertion(a.id as string, expiresAt), false)) {
          proxyFindings.push(finding('SAML_REPLAY_DETECTED', `Assertion ${a.id.slice(0, 80)} was seen before and is still valid.`, { assertionId: a.id }));
        }
      }
      if (stateDown !== null) {
        proxyFindings.push(finding('SAML_REPLAY_STATE_UNAVAILABLE', 'samlscope\'s shared state did not answer: this callback was judged without its AuthnRequest and without the replay check.', { reason: stateDown }));
      }
      predicted = report.verdict === 'accept' && !(cookieSid === null && solicited && !ctx.allowIdpInitiated) ? 'success' : 'error';
    }
  }
  const analyzeMs = performance.now() - t0;
  const findings = [...(report?.findings ?? []), ...proxyFindings];
  const verdict: 'accept' | 'reject' = report && report.verdict === 'accept' && !hasErrors(proxyFindings) ? 'accept' : 'reject';
  const nameId = report?.subject?.nameId ?? null;

  const finish = (actual: ActualOutcome, answer: FleetAnswer | null, action: 'forwarded' | 'blocked', upstreamMs: number | null) => {
    const extra = action === 'forwarded'
      ? explainOutcome(predicted, actual, {
        nameId, entityId: ctx.entityId, acsUrl, sessionKnown: rec !== null,
        idpInitiated: report !== null && !report.response?.inResponseTo && !report.assertion?.confirmationInResponseTo,
        allowIdpInitiated: ctx.allowIdpInitiated,
      })
      : [];
    const attempt: Attempt = {
      id: String(request.id), time: now.toISOString(), flow, mode: ctx.mode, verdict,
      // what was wrong with the AuthnRequest Fleet issued travels with the attempt it started
      findings: [...findings, ...(rec?.findings ?? []).filter((f) => !findings.some((g) => g.code === f.code)), ...extra],
      fleet: { predicted, actual, answer }, action, nameId,
      session: { cookie: cookieSid !== null, known: rec !== null, authnRequest: rec },
      client: { ip: peer, userAgent: ua },
      timings: { analyzeMs: round(analyzeMs), upstreamMs: upstreamMs === null ? null : round(upstreamMs), totalMs: round(performance.now() - t0) },
      bodyBytes, report,
    };
    void ctx.store.addAttempt(attempt).catch((err: Error) => request.log.error({ err }, 'storing the attempt failed'));
    ctx.onAttempt?.(attempt);
    logAttempt(ctx, attempt, captured);
  };

  if (ctx.mode === 'enforce' && verdict === 'reject') {
    finish('blocked', null, 'blocked', null);
    if (!captured.complete) return sendEdge(reply, 'EDGE_BODY_TOO_LARGE', { close: true, findings: ['SAML_DECODE_TOO_LARGE'] });
    if (unavailable !== null) return sendEdge(reply, 'EDGE_ANALYSIS_UNAVAILABLE', { findings: ['SAML_FLEET_ANALYSIS_UNAVAILABLE'] });
    if (!report) return sendEdge(reply, 'EDGE_INTERNAL');
    const codes = findings.filter((f) => f.severity === 'error').map((f) => f.code);
    return sendEdge(reply, 'EDGE_SSO_REJECTED', { findings: codes });
  }
  if (ctx.mode === 'enforce' && stateDown !== null) {
    // replays cannot be ruled out: SSO callbacks fail closed while the state is away (all other traffic passes)
    finish('blocked', null, 'blocked', null);
    return sendEdge(reply, 'EDGE_STATE_UNAVAILABLE', { findings: ['SAML_REPLAY_STATE_UNAVAILABLE'] });
  }

  // forward the original bytes, whatever the verdict (observe) or because it passed (enforce)
  const t1 = performance.now();
  const ct = request.headers['content-type'];
  const fromOpts = {
    rewriteRequestHeaders: rewriteRequestHeaders as never,
    rewriteHeaders: clientResponseHeaders as never,
    onError: (rep: FastifyReply, e: { error: unknown }) => {
      finish('upstream_failed', null, 'forwarded', performance.now() - t1);
      onUpstreamError(rep, e);
    },
    onResponse: (_req: FastifyRequest, rep: FastifyReply, res: unknown) => {
      const up = res as UpstreamRes;
      relayAnswer(rep as FastifyReply, up).then((text) => {
        const { answer, actual } = readFleetAnswer(flow, up.statusCode, up.headers, text);
        finish(actual, answer, 'forwarded', performance.now() - t1);
      }, (err: Error) => {
        request.log.warn({ err }, 'reading Fleet\'s callback answer failed');
        finish('unknown', null, 'forwarded', performance.now() - t1);
        rep.raw.destroy();
      });
    },
  };
  if (captured.complete && typeof ct === 'string' && ct !== '') {
    reply.from(request.originalUrl, { ...fromOpts, body: captured.bytes, contentType: ct } as never);
  } else {
    // no Content-Type to keep, or over the limit: the same bytes as a stream, headers untouched
    (request as { body: unknown }).body = captured.complete ? Readable.from([captured.bytes]) : rejoin(captured.head, captured.rest);
    if (captured.complete && captured.bytes.length === 0) (request as { body: unknown }).body = undefined;
    reply.from(request.originalUrl, fromOpts as never);
  }
  return reply;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function logAttempt(ctx: SsoContext, a: Attempt, captured: CapturedBody): void {
  if (!ctx.log) return;
  const line: Record<string, unknown> = {
    event: 'sso.attempt', reqId: a.id, flow: a.flow, mode: a.mode, action: a.action, verdict: a.verdict,
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
      body: captured.complete ? captured.bytes.toString('latin1') : null,
      xml: a.report?.xml ?? null,
    };
  }
  const agree = a.findings.every((f) => !f.code.startsWith('SAML_FLEET_') || f.severity !== 'error');
  if (a.verdict === 'accept' && agree && a.fleet.actual === 'success') ctx.log.info(line, 'sso attempt');
  else ctx.log.warn(line, 'sso attempt');
}
