// Graceful shutdown of the proxy listener: stop accepting, let in-flight requests finish within a grace period, close websockets with 1001.
import net from 'node:net';
import type { Server, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A server→client close frame: FIN + opcode 8, status 1001 "going away" (RFC 6455 §7.4.1). Unmasked: the proxy is the server side. */
export const CLOSE_FRAME_1001 = Buffer.from([0x88, 0x02, 0x03, 0xe9]);

/**
 * Follows the bytes the proxy writes to one websocket client (an HTTP 101 head, then frames) just enough to know
 * where a frame ends, so a close frame is never put inside one. Header arithmetic only: payloads are skipped.
 */
export class FrameBoundary {
  /** 'head' until the 101 head is complete; 'http' when the answer was not a 101 (no frames will follow) */
  private phase: 'head' | 'frames' | 'http' = 'head';
  private headTail = '';
  /** the first bytes of the head: its status line says whether frames follow */
  private headStart = '';
  private header: number[] = [];
  private remaining = 0;

  get inFrames(): boolean {
    return this.phase === 'frames';
  }

  /** true when the bytes seen so far end exactly at a frame boundary */
  get atBoundary(): boolean {
    return this.phase === 'frames' && this.remaining === 0 && this.header.length === 0;
  }

  /** feeds bytes; returns how many of them complete the current frame (or the head) — the rest belong to later frames */
  push(chunk: Buffer): number {
    let i = 0;
    if (this.phase === 'head') {
      const text = this.headTail + chunk.toString('latin1');
      if (this.headStart.length < 13) this.headStart = (this.headStart + chunk.toString('latin1')).slice(0, 13);
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) { this.headTail = text.slice(-3); return chunk.length; }
      this.phase = /^HTTP\/1\.[01] 101\b/.test(this.headStart) ? 'frames' : 'http';
      i = end + 4 - this.headTail.length;
      this.headTail = '';
      if (this.phase === 'http') return chunk.length;
    }
    if (this.phase === 'http') return chunk.length;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        continue;
      }
      this.header.push(chunk[i++]);
      const need = this.headerLength();
      if (need !== null && this.header.length === need) {
        this.remaining = this.payloadLength();
        this.header = [];
      }
    }
    return chunk.length;
  }

  /** how many bytes of chunk finish the frame in progress (0 when already at a boundary) */
  untilBoundary(chunk: Buffer): number {
    if (this.atBoundary || this.phase !== 'frames') return 0;
    const probe = new FrameBoundary();
    probe.phase = 'frames';
    probe.header = [...this.header];
    probe.remaining = this.remaining;
    for (let i = 1; i <= chunk.length; i++) {
      probe.push(chunk.subarray(i - 1, i));
      if (probe.atBoundary) return i;
    }
    return chunk.length;
  }

  private headerLength(): number | null {
    if (this.header.length < 2) return null;
    const len7 = this.header[1] & 0x7f;
    const masked = (this.header[1] & 0x80) !== 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  private payloadLength(): number {
    const h = this.header;
    const len7 = h[1] & 0x7f;
    if (len7 < 126) return len7;
    if (len7 === 126) return (h[2] << 8) | h[3];
    let n = 0;
    for (let k = 2; k < 10; k++) n = n * 256 + h[k];
    return n;
  }
}

interface TrackedSocket {
  socket: Duplex;
  frames: FrameBoundary;
  /** set when shutdown began: the close frame goes out at the next boundary, later server bytes are dropped */
  closing: boolean;
  closeSent: boolean;
  /** the socket's own write, before tracking wrapped it */
  write: (chunk: Buffer) => boolean;
}

export interface Drainer {
  /**
   * Stops accepting connections, answers every request still arriving on an open connection with `Connection: close`,
   * lets in-flight requests finish, sends websockets a 1001 close frame; after graceMs everything left is cut.
   * Resolves when the listener has no connection left; `forced` when the grace ran out.
   */
  drain(graceMs: number): Promise<{ forced: boolean; websockets: number }>;
}

/** Installed once the server listens: watches websocket upgrades (only those) so drain() can close them cleanly. */
export function prepareShutdown(server: Server): Drainer {
  const sockets = new Set<TrackedSocket>();
  let draining = false;

  const sendClose = (t: TrackedSocket, write: (b: Buffer) => boolean) => {
    t.closeSent = true;
    write(CLOSE_FRAME_1001);
    // the client answers with its own close frame (it reaches Fleet through the tunnel); then the connection ends
    const end = () => { clearTimeout(timer); t.socket.end(); };
    const timer = setTimeout(end, 1000);
    t.socket.once('data', () => setImmediate(end));
  };

  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    const original = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
    const t: TrackedSocket = { socket, frames: new FrameBoundary(), closing: false, closeSent: false, write: original };
    sockets.add(t);
    socket.once('close', () => sockets.delete(t));
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (t.closeSent) return true;
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'latin1');
      if (t.closing && t.frames.inFrames) {
        const n = t.frames.untilBoundary(buf);
        const ok = n > 0 ? original(buf.subarray(0, n)) : true;
        t.frames.push(buf.subarray(0, n));
        if (t.frames.atBoundary) sendClose(t, original);
        return ok;
      }
      t.frames.push(buf);
      return original(chunk, ...rest);
    }) as typeof socket.write;
  });

  const connectionClose = (_req: IncomingMessage, res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };

  return {
    async drain(graceMs) {
      if (draining) throw new Error('already draining');
      draining = true;
      server.prependListener('request', connectionClose);
      const closed = new Promise<void>((resolve) => {
        // net.Server's own close: stops listening without http.Server's immediate cut of idle keep-alive connections,
        // so a request already on its way over one is still read and answered (with Connection: close)
        net.Server.prototype.close.call(server, () => resolve());
      });
      const websockets = sockets.size;
      for (const t of sockets) {
        t.closing = true;
        if (t.frames.atBoundary) sendClose(t, t.write);
        else if (!t.frames.inFrames) t.socket.end();
      }
      // connections that stay idle are closed once bytes already in flight have had time to arrive, then every 250 ms
      const idle = setInterval(() => server.closeIdleConnections(), 250);
      const first = setTimeout(() => server.closeIdleConnections(), 100);
      let graceTimer: NodeJS.Timeout | undefined;
      const forced = await Promise.race([
        closed.then(() => false),
        new Promise<boolean>((resolve) => { graceTimer = setTimeout(() => resolve(true), graceMs); }),
      ]);
      clearInterval(idle);
      clearTimeout(first);
      clearTimeout(graceTimer);
      if (forced) {
        server.closeAllConnections();
        for (const t of sockets) t.socket.destroy();
        await closed;
      }
      server.off('request', connectionClose);
      return { forced, websockets };
    },
  };
}
