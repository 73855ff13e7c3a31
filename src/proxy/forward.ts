// What every forwarded request shares: the upstream connection pool (TLS verified), header rewriting both ways, EDGE errors.
import { Agent } from 'undici';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { forwardedFor, type TrustedProxies } from './client-ip.js';
import { EDGE_ERRORS, classifyUpstreamError, renderEdge, type EdgeCode } from './edge-errors.js';

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

/** The pool to Fleet. TLS verification is explicit: reply-from's own default would accept any certificate. */
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

/** Hop-by-hop headers (RFC 9110 §7.6.1) and ones undici refuses; never forwarded. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'proxy-authorization', 'proxy-authenticate'];

export interface ForwardSettings {
  trusted: TrustedProxies;
  /** the scheme clients use to reach the proxy */
  scheme: 'http' | 'https';
}

/** Request headers for Fleet: the client's own, Host kept, hop-by-hop dropped, X-Forwarded-For / X-Real-IP set by us. */
export function upstreamRequestHeaders(s: ForwardSettings, request: FastifyRequest, headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const raw = request.raw;
  const fwd = forwardedFor(raw.socket.remoteAddress, raw.headers['x-forwarded-for'], s.trusted);
  for (const h of HOP_BY_HOP) if (h in headers) delete headers[h];
  if (raw.headers.host !== undefined) headers.host = raw.headers.host;
  headers['x-forwarded-for'] = fwd.xff;
  headers['x-real-ip'] = fwd.clientIp;
  if (!fwd.peerTrusted) {
    delete headers['true-client-ip'];
    headers['x-forwarded-proto'] = s.scheme;
  } else if (headers['x-forwarded-proto'] === undefined) {
    headers['x-forwarded-proto'] = s.scheme;
  }
  return headers;
}

const WS_OWN = new Set(['host', 'connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions',
  'sec-websocket-protocol', 'content-length', 'transfer-encoding', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'expect']);

/** Handshake headers for Fleet's websocket: the client's (Origin, Cookie, User-Agent ...) and the same forwarding headers. */
export function upstreamWsHeaders(s: ForwardSettings, request: FastifyRequest): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(request.raw.headers)) {
    if (v === undefined || WS_OWN.has(k)) continue;
    out[k] = v;
  }
  if (request.raw.headers.host !== undefined) out.host = request.raw.headers.host;
  const fwd = forwardedFor(request.raw.socket.remoteAddress, request.raw.headers['x-forwarded-for'], s.trusted);
  out['x-forwarded-for'] = fwd.xff;
  out['x-real-ip'] = fwd.clientIp;
  if (!fwd.peerTrusted) { delete out['true-client-ip']; out['x-forwarded-proto'] = s.scheme; }
  return out;
}

/** Fleet's response headers as they are, minus hop-by-hop ones Node sets itself. */
export function clientResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  delete headers.connection;
  delete headers['keep-alive'];
  delete headers['proxy-connection'];
  delete headers['transfer-encoding'];
  return headers;
}

/** Sends an EDGE error unless something was sent already (then the connection is cut so the client sees the failure). */
export function sendEdge(reply: FastifyReply, code: EdgeCode, extra: { findings?: string[]; detail?: string; close?: boolean } = {}): FastifyReply {
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

/** reply-from's onError: a transport failure talking to Fleet becomes a 502/504 with an EDGE code. */
export function onUpstreamError(reply: FastifyReply, { error }: { error: unknown }): void {
  const code = classifyUpstreamError(error);
  reply.request.log.warn({ err: error, edge: code }, 'upstream failed');
  sendEdge(reply, code);
}

/** True when a request carries a body (Content-Length > 0 or any Transfer-Encoding). */
export function hasRequestBody(headers: IncomingHttpHeaders): boolean {
  const cl = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}
