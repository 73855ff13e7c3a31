// fleet-sim's non-SSO traffic stand-ins: osquery read/log, a streaming upload and download, a slow query, and request/echo probes for proxy tests.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const OSQUERY_LOG_LIMIT = 10 * 1024 * 1024;

interface Counted {
  bytes: number;
  sha256: string;
  tooLarge: boolean;
}

/** Reads a request body as sent (gzip left as is), hashing and counting; past `limit` it only drains (so the client reads the answer). */
async function countBody(req: FastifyRequest, limit = Infinity, keep = false): Promise<Counted & { data?: Buffer }> {
  const hash = createHash('sha256');
  const parts: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req.raw) {
    const b = chunk as Buffer;
    bytes += b.length;
    if (bytes > limit) continue;
    hash.update(b);
    if (keep) parts.push(b);
  }
  if (bytes > limit) return { bytes, sha256: '', tooLarge: true };
  return { bytes, sha256: hash.digest('hex'), tooLarge: false, data: keep ? Buffer.concat(parts) : undefined };
}

/** Deterministic bytes: byte i of the stream is i mod 251. */
export function patternStream(total: number): Readable {
  const block = Buffer.alloc(251 * 256);
  for (let i = 0; i < block.length; i++) block[i] = i % 251;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) { this.push(null); return; }
      const n = Math.min(block.length, total - sent);
      sent += n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
}

/** Registers the traffic routes in their own scope: bodies are left unparsed so they can be read as sent. */
export async function trafficRoutes(app: FastifyInstance): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  for (const base of ['/api/osquery', '/api/v1/osquery']) {
    app.post(`${base}/distributed/read`, async (req) => {
      await countBody(req, 1024 * 1024);
      return { queries: {}, discovery: {}, node_invalid: false };
    });
    app.post(`${base}/log`, async (req, reply) => {
      const c = await countBody(req, OSQUERY_LOG_LIMIT);
      if (c.tooLarge) return reply.code(413).send({ message: 'request body too large', limit: OSQUERY_LOG_LIMIT });
      return { node_invalid: false, received: { bytes: c.bytes, sha256: c.sha256, contentEncoding: req.headers['content-encoding'] ?? null } };
    });
  }

  app.post('/api/v1/fleet/software/package', async (req) => {
    const c = await countBody(req);
    return { bytes: c.bytes, sha256: c.sha256, contentEncoding: req.headers['content-encoding'] ?? null };
  });

  app.get('/api/fleet-sim/download', async (req, reply) => {
    const bytes = Number((req.query as Record<string, string>).bytes ?? '0');
    if (!Number.isSafeInteger(bytes) || bytes < 0) return reply.code(400).send({ message: 'bytes: a whole number' });
    reply.header('content-type', 'application/octet-stream').header('content-length', String(bytes));
    return reply.send(patternStream(bytes));
  });

  const slow = async (req: FastifyRequest) => {
    const delay = Math.min(Math.max(Number((req.query as Record<string, string>).delay_ms ?? '0') || 0, 0), 600_000);
    if (req.method === 'POST') await countBody(req, 1024 * 1024);
    await new Promise((r) => setTimeout(r, delay));
    return { delayed_ms: delay };
  };
  app.get('/api/v1/fleet/queries/run', slow);
  app.post('/api/v1/fleet/queries/run', slow);

  /** What arrived: method, URL, headers and the peer address (proxy tests: X-Forwarded-For, cookies, Host). */
  app.all('/api/fleet-sim/request', async (req) => {
    const c = await countBody(req);
    return { method: req.method, url: req.url, headers: req.headers, rawHeaders: req.raw.rawHeaders, remoteAddress: req.socket.remoteAddress ?? null, body: { bytes: c.bytes, sha256: c.sha256 } };
  });

  /** Sends the body back byte for byte with the same Content-Type and Content-Encoding. */
  app.post('/api/fleet-sim/echo', async (req, reply) => {
    const c = await countBody(req, 64 * 1024 * 1024, true);
    if (c.tooLarge) return reply.code(413).send({ message: 'echo is limited to 64 MiB' });
    if (req.headers['content-type']) reply.header('content-type', req.headers['content-type']);
    else reply.header('content-type', 'application/octet-stream');
    if (req.headers['content-encoding']) reply.header('content-encoding', req.headers['content-encoding']);
    return reply.send(c.data ?? Buffer.alloc(0));
  });

  /** Several Set-Cookie headers at once, including __Host- ones (proxy tests: cookies untouched). */
  app.get('/api/fleet-sim/cookies', async (_req, reply) => {
    reply.header('set-cookie', [
      '__Host-FLEET_DESKTOP_SESSION=d1; Path=/; Secure; HttpOnly',
      'a=1; Path=/',
      'b=2; Path=/api; HttpOnly',
    ]);
    return { cookies: 3 };
  });
}
