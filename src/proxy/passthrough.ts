// The hot path for everything that is not an SSO request: Node http straight to undici (HTTP) and a raw tunnel (websockets), bytes untouched.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { classifyUpstreamError, EDGE_ERRORS, renderEdge, type EdgeCode } from './edge-errors.js';
import { DROP_WS, forwardHeaderList, hasRequestBody, relayedHeaders, requestTargetProblem, type ForwardSettings, type UpstreamTls } from './forward.js';
import { isAgentPath } from './paths.js';

export interface PassthroughOptions extends ForwardSettings {
  upstream: URL;
  agent: Agent;
  tls: UpstreamTls;
  /** request ids shared with the SSO side (`<boot>-<seq>`) */
  nextId: () => string;
  logger?: Logger;
  /** no per-request log line for agent traffic */
  quietAgentLogs?: boolean;
  /** called once per forwarded request (metrics); keep it cheap */
  onDone?: (r: { method: string; url: string; status: number; ms: number }) => void;
}

export interface Passthrough {
  /** an http 'request' listener for a non-SSO request */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** an http 'upgrade' listener: websockets tunnel to Fleet once Fleet answers 101 */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** cuts the open tunnels */
  close(): void;
}

const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);
function writeEdge(req: IncomingMessage, res: ServerResponse, code: EdgeCode, id: string, close = false): void {
  if (res.headersSent) { res.destroy(); return; }
  const r = renderEdge(code, id, req.headers.accept);
  const headers: http.OutgoingHttpHeaders = { 'content-type': r.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(r.body) };
  if (close) headers.connection = 'close';
  res.writeHead(EDGE_ERRORS[code].status, headers);
  res.end(req.method === 'HEAD' ? undefined : r.body);
}

/**
 * Fleet's answer for one request, written from undici's parser callbacks straight into the ServerResponse. Against
 * `agent.stream()` this saves, per request, an async resource, `stream.finished()` and its half-dozen listeners, and
 * the header object undici builds and we then filter: the raw header list goes to `writeHead` as it came, names in
 * Fleet's spelling, values byte for byte (latin1, as undici's own header object decodes them), hop-by-hop dropped.
 * Backpressure: a full socket to the client pauses undici's read from Fleet until it drains.
 * These are undici's dispatch-handler callbacks (v7 core calls them natively; its newer controller API is adapted onto them).
 */
class Relay implements Dispatcher.DispatchHandler {
  private abort: ((err?: Error) => void) | null = null;
  private resume: (() => void) | null = null;
  private over = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly done: (() => void) | null,
    private readonly failed: (err: unknown) => void,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.res.destroyed) abort(new Error('client closed the connection'));
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void): boolean {
    // 1xx informational answers (100 Continue, 103 Early Hints) are Fleet's business with this hop, not the client's
    if (statusCode < 200) return true;
    this.resume = resume;
    this.res.writeHead(statusCode, relayedHeaders(raw));
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    if (this.resume) this.res.once('drain', this.resume);
    return false;
  }

  onComplete(): void {
    this.over = true;
    this.res.end();
    this.done?.();
  }

  onError(err: Error): void {
    this.over = true;
    this.failed(err);
  }

  readonly clientClosed = (): void => {
    if (!this.over) this.abort?.(new Error('client closed the connection'));
  };
}

export function createPassthrough(o: PassthroughOptions): Passthrough {
  const origin = o.upstream.origin;
  const log = o.logger;
  const tunnels = new Set<Duplex>();

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const start = log || o.onDone ? performance.now() : 0;
    const method = req.method ?? 'GET';
    if (BODYLESS.has(method) && hasRequestBody(req.headers)) {
      writeEdge(req, res, 'EDGE_BODY_NOT_ALLOWED', o.nextId(), true);
      return;
    }
    let id: string | undefined;
    const reqId = () => (id ??= o.nextId());
    const headers = forwardHeaderList(o, req);
    const hasBody = !BODYLESS.has(method) && hasRequestBody(req.headers);
    // one callback when the response is over (sent, or failed and answered with an EDGE error): metrics and the log line
    const done = log || o.onDone ? () => {
      const ms = performance.now() - start;
      o.onDone?.({ method, url: req.url ?? '/', status: res.statusCode, ms });
      if (log && !(o.quietAgentLogs && isAgentPath(req.url ?? ''))) {
        log.info({ reqId: reqId(), req: { method, url: req.url }, res: { statusCode: res.statusCode }, responseTime: ms }, 'request completed');
      }
    } : null;
    const onError = (err: unknown) => {
      if (res.destroyed) return;
      if (res.headersSent) { res.destroy(); return; }
      const target = requestTargetProblem(err);
      const code = target ?? classifyUpstreamError(err);
      if (!target) log?.warn({ reqId: reqId(), err, edge: code }, 'upstream failed');
      writeEdge(req, res, code, reqId(), target === 'EDGE_BAD_REQUEST');
      done?.();
    };
    const relay = new Relay(res, done, onError);
    // the client went away before Fleet's answer was over: stop the upstream request too
    res.once('close', relay.clientClosed);
    try {
      o.agent.dispatch({ origin, path: req.url ?? '/', method: method as Dispatcher.HttpMethod, headers, body: hasBody ? req : null }, relay);
    } catch (err) {
      onError(err);
    }
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const fail = (code: EdgeCode) => {
      if (socket.destroyed) return;
      const r = renderEdge(code, o.nextId(), req.headers.accept);
      socket.end(`HTTP/1.1 ${EDGE_ERRORS[code].status} ${http.STATUS_CODES[EDGE_ERRORS[code].status]}\r\nContent-Type: ${r.contentType}\r\n` +
        `Cache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(r.body)}\r\nConnection: close\r\n\r\n${r.body}`);
    };
    // only websockets are tunnelled: any other Upgrade would turn the connection into a pipe that skips interception
    if (String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket' || req.method !== 'GET' || hasRequestBody(req.headers)) {
      fail('EDGE_BAD_REQUEST');
      return;
    }
    const headers = forwardHeaderList(o, req, DROP_WS);
    const mod = o.upstream.protocol === 'https:' ? https : http;
    const up = mod.request({
      host: o.upstream.hostname.replace(/^\[|\]$/g, ''),
      port: o.upstream.port || (o.upstream.protocol === 'https:' ? 443 : 80),
      method: 'GET',
      path: req.url ?? '/',
      headers: headers as unknown as http.OutgoingHttpHeaders,
      agent: false,
      setHost: false,
      ...(o.upstream.protocol === 'https:' ? { servername: o.upstream.hostname, rejectUnauthorized: !o.tls.insecure, ...(o.tls.ca ? { ca: o.tls.ca } : {}) } : {}),
    });
    const onClientGone = () => up.destroy();
    socket.once('close', onClientGone);
    up.on('error', (err) => fail(classifyUpstreamError(err)));
    // Fleet refused the upgrade: its answer goes back as is, then the connection closes
    up.on('response', (res) => {
      let headText = `HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}\r\n`;
      const kept = relayedHeaders(res.rawHeaders);
      for (let i = 0; i < kept.length; i += 2) headText += `${kept[i]}: ${kept[i + 1]}\r\n`;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => { if (chunks.length < 64) chunks.push(c); });
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        socket.end(Buffer.concat([Buffer.from(`${headText}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
      });
    });
    up.on('upgrade', (res, upSocket, upHead) => {
      socket.off('close', onClientGone);
      if (socket.destroyed) { upSocket.destroy(); return; }
      let headText = `HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}\r\n`;
      for (let i = 0; i < res.rawHeaders.length; i += 2) headText += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
      socket.write(headText + '\r\n');
      if (upHead.length > 0) socket.write(upHead);
      if (head.length > 0) upSocket.write(head);
      const s = socket as Duplex & { setNoDelay?: (v: boolean) => void; setTimeout?: (ms: number) => void };
      s.setTimeout?.(0);
      s.setNoDelay?.(true);
      upSocket.setNoDelay(true);
      upSocket.on('error', () => socket.destroy());
      socket.on('error', () => upSocket.destroy());
      upSocket.on('close', () => { socket.destroy(); tunnels.delete(socket); });
      socket.on('close', () => { upSocket.destroy(); tunnels.delete(socket); });
      tunnels.add(socket);
      upSocket.pipe(socket);
      socket.pipe(upSocket);
    });
    up.end();
  }

  return {
    handle,
    upgrade,
    close() {
      for (const s of tunnels) s.destroy();
      tunnels.clear();
    },
  };
}
