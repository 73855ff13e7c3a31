// The admin listener (loopback by default): attempts newest first, one attempt in full, health.
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { summarizeAttempt } from './attempt.js';
import type { MetadataSource } from './metadata-source.js';
import type { ProxyStore } from './store.js';

export interface AdminOptions {
  listen: { host: string; port: number };
  store: ProxyStore;
  metadata: MetadataSource;
  mode: 'observe' | 'enforce';
  upstream: string;
  logger?: Logger;
}

export async function startAdmin(o: AdminOptions): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false });
  // degraded: the shared state (Redis) does not answer; the proxy still passes all traffic
  app.get('/healthz', async () => {
    const store = await o.store.health();
    return { status: store.status, ...(store.reason !== null ? { reason: `${store.backend}: ${store.reason}` } : {}), mode: o.mode, upstream: o.upstream, metadata: o.metadata.status(), store };
  });
  app.get<{ Querystring: { limit?: string } }>('/api/attempts', async (request) => {
    const n = Number(request.query.limit ?? 100);
    const limit = Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : 100;
    return (await o.store.listAttempts(limit)).map(summarizeAttempt);
  });
  app.get<{ Params: { id: string } }>('/api/attempts/:id', async (request, reply) => {
    const a = await o.store.getAttempt(request.params.id);
    if (!a) return reply.code(404).send({ error: { code: 'NOT_FOUND', status: 404, title: 'No such attempt' } });
    return a;
  });
  await app.listen({ host: o.listen.host, port: o.listen.port });
  const port = (app.server.address() as AddressInfo).port;
  const host = o.listen.host === '0.0.0.0' ? '127.0.0.1' : o.listen.host.includes(':') ? `[${o.listen.host}]` : o.listen.host;
  o.logger?.info({ event: 'admin.started', url: `http://${host}:${port}` }, 'samlscope admin listening');
  return { url: `http://${host}:${port}`, close: () => app.close() };
}
