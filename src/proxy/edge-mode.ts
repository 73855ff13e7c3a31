// Edge mode (`proxy --edge`): a request the SSO classifier does not claim is refused with EDGE_NOT_SSO_ROUTE, counted and logged, never passed on.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { EDGE_ERRORS, renderEdge } from './edge-errors.js';
import { isAgentPath } from './paths.js';

export type EdgeRefusalKind = 'agent' | 'websocket' | 'other';

export interface EdgeRefuser {
  /** an http 'request' listener for a request that is not an SSO route */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** an http 'upgrade' listener: no tunnel in edge mode */
  upgrade(req: IncomingMessage, socket: Duplex): void;
}

export interface EdgeRefuserOptions {
  nextId: () => string;
  logger?: Logger;
  onRefused?: (kind: EdgeRefusalKind) => void;
  /** at most one log line per this many ms; the others are counted into the next line's `suppressed` (default 1000) */
  logEveryMs?: number;
  /** the clock for the log throttle (tests) */
  nowMs?: () => number;
}

/** What kind of mis-routed request this is, for the metric label: agents are the costly mistake. */
export function refusalKind(req: Pick<IncomingMessage, 'url' | 'headers'>, upgrade: boolean): EdgeRefusalKind {
  if (upgrade) return 'websocket';
  return isAgentPath(req.url ?? '/') ? 'agent' : 'other';
}

const CODE = 'EDGE_NOT_SSO_ROUTE' as const;

export function createEdgeRefuser(o: EdgeRefuserOptions): EdgeRefuser {
  const every = o.logEveryMs ?? 1000;
  const nowMs = o.nowMs ?? (() => Date.now());
  let lastLog = -Infinity;
  let suppressed = 0;
  const note = (req: IncomingMessage, kind: EdgeRefusalKind, reqId: string) => {
    o.onRefused?.(kind);
    if (!o.logger) return;
    const t = nowMs();
    if (t - lastLog < every) { suppressed++; return; }
    lastLog = t;
    // the path is client input: nested under req, cut to a readable length
    o.logger.warn({ event: 'edge.refused', edge: CODE, kind, reqId, suppressed, req: { method: req.method, url: (req.url ?? '').slice(0, 200) } },
      'edge mode: refused a request that is not an SSO route (check the front proxy\'s routing: docs/deploy.md)');
    suppressed = 0;
  };
  return {
    handle(req, res) {
      const id = o.nextId();
      const kind = refusalKind(req, false);
      note(req, kind, id);
      const r = renderEdge(CODE, id, req.headers.accept);
      // the body is not read: close the connection rather than drain an agent's upload
      res.writeHead(EDGE_ERRORS[CODE].status, { 'content-type': r.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(r.body), connection: 'close' });
      res.end(req.method === 'HEAD' ? undefined : r.body);
    },
    upgrade(req, socket) {
      socket.on('error', () => socket.destroy());
      const id = o.nextId();
      note(req, 'websocket', id);
      const r = renderEdge(CODE, id, req.headers.accept);
      const status = EDGE_ERRORS[CODE].status;
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: ${r.contentType}\r\nCache-Control: no-store\r\n` +
        `Content-Length: ${Buffer.byteLength(r.body)}\r\nConnection: close\r\n\r\n${r.body}`);
    },
  };
}
