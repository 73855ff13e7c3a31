// Everything that is not an SSO request: @fastify/http-proxy (HTTP and websockets) to Fleet, bytes and headers untouched.
import type { FastifyInstance } from 'fastify';
import httpProxy from '@fastify/http-proxy';
import type { Agent } from 'undici';
import { clientResponseHeaders, hasRequestBody, onUpstreamError, sendEdge, upstreamRequestHeaders, upstreamWsHeaders, type ForwardSettings, type UpstreamTls } from './forward.js';

export interface PassthroughOptions extends ForwardSettings {
  upstream: URL;
  agent: Agent;
  tls: UpstreamTls;
}

const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS', 'TRACE'];
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);

export async function registerPassthrough(app: FastifyInstance, o: PassthroughOptions): Promise<void> {
  const rewriteRequestHeaders = upstreamRequestHeaders.bind(null, o);
  await app.register(httpProxy, {
    upstream: o.upstream.origin,
    // never a parametric prefix / rewritePrefix: the whole path goes to Fleet as the client sent it
    prefix: '',
    httpMethods: METHODS,
    websocket: true,
    disableRequestLogging: true,
    internalRewriteLocationHeader: false,
    undici: o.agent as never,
    replyOptions: {
      rewriteHeaders: clientResponseHeaders as never,
    },
    wsClientOptions: {
      rewriteRequestHeaders: (_headers: unknown, request: never) => upstreamWsHeaders(o, request),
      rejectUnauthorized: !o.tls.insecure,
      ...(o.tls.ca ? { ca: o.tls.ca } : {}),
      // the client's own Sec-WebSocket-Extensions are not forwarded; no compression keeps frames as they are
      perMessageDeflate: false,
    } as never,
    wsServerOptions: { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 },
    handler: (request, reply) => {
      if (BODYLESS.has(request.raw.method ?? '') && hasRequestBody(request.raw.headers)) {
        return sendEdge(reply, 'EDGE_BODY_NOT_ALLOWED', { close: true });
      }
      // the raw URL (query string byte for byte), not http-proxy's re-encoded one
      return reply.from(request.raw.url, {
        rewriteHeaders: clientResponseHeaders as never,
        rewriteRequestHeaders: rewriteRequestHeaders as never,
        onError: onUpstreamError as never,
      });
    },
  });
}
