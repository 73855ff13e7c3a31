// What every forwarded request shares, pass-through and SSO alike: the upstream pool (TLS verified), the one header policy both ways, EDGE errors.
import { Agent } from 'undici';
import type { FastifyReply } from 'fastify';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { forwardedFor, type TrustedProxies } from './client-ip.js';
import { EDGE_ERRORS, renderEdge, type EdgeCode } from './edge-errors.js';

/** Timeouts in milliseconds; 0 means none. Fleet's live queries take ~100 s and uploads have no read deadline. */
export const UPSTREAM_TIMEOUTS = {
  connectMs: 10_000,
  /** until Fleet's response headers arrive */
  headersMs: 600_000,
  /** idle time between two body chunks in either direction */
  bodyMs: 600_000,
  keepAliveMs: 30_000,
} as const;

export interface UpstreamTls {
  /** extra CA certificates (PEM) Fleet's certificate may chain to */
  ca?: string | Buffer;
  /** accept any certificate (--upstream-insecure) */
  insecure?: boolean;
}

/** The pool to Fleet. TLS verification is explicit (undici's connect options), never a library default. */
export function createUpstreamAgent(tls: UpstreamTls): Agent {
  return new Agent({
    connect: {
      timeout: UPSTREAM_TIMEOUTS.connectMs,
      rejectUnauthorized: !tls.insecure,
      ...(tls.ca ? { ca: tls.ca } : {}),
    },
    headersTimeout: UPSTREAM_TIMEOUTS.headersMs,
    bodyTimeout: UPSTREAM_TIMEOUTS.bodyMs,
    keepAliveTimeout: UPSTREAM_TIMEOUTS.keepAliveMs,
    connections: 256,
    pipelining: 1,
  });
}

export interface ForwardSettings {
  trusted: TrustedProxies;
  /** the scheme clients use to reach the proxy */
  scheme: 'http' | 'https';
}

/** never forwarded (hop-by-hop, RFC 9110 §7.6.1; undici refuses some), or set by the proxy itself */
export const DROP_REQUEST = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect',
  'proxy-authorization', 'proxy-authenticate', 'host', 'x-forwarded-for', 'x-real-ip']);
/** a websocket handshake keeps Connection / Upgrade / Sec-WebSocket-* (the tunnel is end to end) */
export const DROP_WS = new Set(['keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'expect', 'proxy-authorization',
  'proxy-authenticate', 'host', 'x-forwarded-for', 'x-real-ip', 'content-length']);
export const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

/**
 * Request headers for Fleet as a flat [name, value, ...] list, in the client's order and spelling: hop-by-hop dropped,
 * Host kept, X-Forwarded-For / X-Real-IP from the real peer (a client's own chain only via trusted proxies).
 */
export function forwardHeaderList(s: ForwardSettings, req: IncomingMessage, drop: ReadonlySet<string> = DROP_REQUEST): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let host: string | undefined;
  let xff: string[] | undefined;
  let proto: string | undefined;
  let trueClientIp: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (lower === 'true-client-ip') { (trueClientIp ??= []).push(name, raw[i + 1]); continue; }
    if (lower === 'x-forwarded-proto') { proto ??= raw[i + 1]; continue; }
    if (drop.has(lower)) {
      if (lower === 'host') host ??= raw[i + 1];
      else if (lower === 'x-forwarded-for') (xff ??= []).push(raw[i + 1]);
      continue;
    }
    out.push(name, raw[i + 1]);
  }
  if (host !== undefined) out.push('host', host);
  const fwd = forwardedFor(req.socket.remoteAddress, xff, s.trusted);
  out.push('x-forwarded-for', fwd.xff, 'x-real-ip', fwd.clientIp);
  if (fwd.peerTrusted) {
    if (trueClientIp) out.push(...trueClientIp);
    out.push('x-forwarded-proto', proto ?? s.scheme);
  } else {
    out.push('x-forwarded-proto', s.scheme);
  }
  return out;
}

/** Fleet's response headers as they are, minus the hop-by-hop ones Node sets itself. */
export function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  for (const h of DROP_RESPONSE) if (headers[h] !== undefined) delete headers[h];
  return headers;
}

/** The same for a raw list (the pass-through's `Relay`, a refused websocket upgrade): flat [name, value, ...], names in Fleet's spelling, bytes as latin1. */
export function relayedHeaders(raw: readonly (Buffer | string)[]): string[] {
  const text = (x: Buffer | string) => (typeof x === 'string' ? x : x.toString('latin1'));
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = text(raw[i]);
    if (DROP_RESPONSE.has(name.toLowerCase())) continue;
    out.push(name, text(raw[i + 1]));
  }
  return out;
}

/** undici refuses some request targets before connecting: those are the client's fault. */
export function requestTargetProblem(err: unknown): EdgeCode | null {
  const e = err as { code?: string; message?: string };
  if (e?.code !== 'UND_ERR_INVALID_ARG') return null;
  return /invalid characters|relative path|path must/i.test(e.message ?? '') ? 'EDGE_BAD_PATH' : 'EDGE_BAD_REQUEST';
}

/** Sends an EDGE error unless something was sent already (then the connection is cut so the client sees the failure). */
export function sendEdge(reply: FastifyReply, code: EdgeCode, extra: { findings?: string[]; detail?: string; loginUrl?: string; close?: boolean } = {}): FastifyReply {
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return reply;
  }
  const r = renderEdge(code, String(reply.request.id), reply.request.headers.accept, extra);
  reply.removeHeader('content-length');
  reply.removeHeader('content-encoding');
  reply.removeHeader('set-cookie');
  reply.removeHeader('location');
  if (extra.close) reply.header('connection', 'close');
  return reply.code(EDGE_ERRORS[code].status).header('content-type', r.contentType).header('cache-control', 'no-store').send(r.body);
}

/** True when a request carries a body (Content-Length > 0 or any Transfer-Encoding). */
export function hasRequestBody(headers: IncomingHttpHeaders): boolean {
  const cl = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}
