// fleet-sim's live-query websocket stand-in: echoes every message and first reports the Origin and path it saw.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

export interface WsEcho {
  /** how many sockets are open now */
  open(): number;
  close(): void;
}

/** Live queries open `<prefix>/api/v1/fleet/results/websocket` (SockJS also uses `.../results/<server>/<session>/websocket`). */
export function isLiveQueryPath(pathname: string, prefix: string): boolean {
  if (!pathname.startsWith(prefix + '/api/v1/fleet/results/')) return false;
  return pathname.endsWith('/websocket');
}

export function attachWsEcho(server: HttpServer, prefix: string): WsEcho {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (!isLiveQueryPath(pathname, prefix)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({ type: 'fleet-sim.hello', origin: req.headers.origin ?? null, path: pathname }));
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', () => ws.terminate());
    });
  };
  server.on('upgrade', onUpgrade);
  return {
    open: () => wss.clients.size,
    close: () => {
      server.off('upgrade', onUpgrade);
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}
