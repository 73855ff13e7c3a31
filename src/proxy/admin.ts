// The admin listener (loopback by default; elsewhere only with a token): the diagnostics UI, the attempts JSON API, /metrics and /healthz.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { withEntraError } from './entra-error.js';
import { summarizeAttempt } from './attempt.js';
import { documentInUseAt, type MetadataSource } from './metadata-source.js';
import type { ProxyMetrics } from './metrics.js';
import type { ProxyStore } from './store.js';
import { adminAccessProblem, authorized, isLoopbackHost, secretsEqual, sessionCookie } from './ui/access.js';
import { exportBundle } from './ui/export.js';
import { ADMIN_CSS, ADMIN_JS, SECURITY_HEADERS } from './ui/layout.js';
import { ADMIN_FAVICON_SVG } from '../html/favicon.js';
import { applyFilter, detailPage, downloadName, listPage, loginPage, messagePage, metadataPage, readFilter, settingsPage } from './ui/pages.js';

/** What the UI needs to know about Fleet to write a `samlscope check` line (read when a page renders: the ACS URL is known once the proxy listens). */
export interface AdminFleetInfo {
  entityId: string;
  acsUrl: string;
  mdmAcsUrl: string;
  allowIdpInitiated: boolean;
}

export interface AdminOptions {
  listen: { host: string; port: number };
  store: ProxyStore;
  metadata: MetadataSource;
  mode: 'observe' | 'enforce';
  upstream: string;
  logger?: Logger;
  /** required when listen.host is not loopback: bearer token or login cookie */
  adminToken?: string;
  /** served at /metrics when given */
  metrics?: ProxyMetrics;
  fleet?: () => AdminFleetInfo;
  /** the effective configuration with secrets already masked (the Settings page) */
  settings?: () => Record<string, unknown>;
  now?: () => Date;
  /** the attempts list's auto-refresh period (default 5 s) */
  refreshMs?: number;
}

/** Paths served without the token: no SAML content behind them. */
const OPEN = new Set(['/healthz', '/metrics', '/login', '/static/admin.css', '/static/admin.js', '/static/favicon.svg']);
const LIST_LIMIT = 500;

function notFound(request: FastifyRequest, reply: FastifyReply) {
  if (request.url.startsWith('/api/')) return reply.code(404).send({ error: { code: 'NOT_FOUND', status: 404, title: 'No such attempt' } });
  return reply.code(404).type('text/html; charset=utf-8').send(messagePage('Not found', 'No such attempt (the history keeps the most recent ones only).'));
}

/** A browser request from another site (Origin or Sec-Fetch-Site says so) is not the admin UI's own form. */
function sameOrigin(headers: Record<string, string | string[] | undefined>): boolean {
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return false;
  const origin = headers.origin;
  if (typeof origin !== 'string' || origin === 'null') return origin === undefined;
  try { return new URL(origin).host === headers.host; } catch { return false; }
}

export async function startAdmin(o: AdminOptions): Promise<{ url: string; close(): Promise<void> }> {
  const problem = adminAccessProblem(o.listen.host, o.adminToken);
  if (problem) throw new Error(`invalid admin options: ${problem}`);
  const now = o.now ?? (() => new Date());
  const token = o.adminToken || undefined;
  const app = Fastify({ logger: false, bodyLimit: 4096 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
    return payload;
  });
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0];
    if (OPEN.has(path) || authorized(token, request.headers)) return;
    reply.header('www-authenticate', 'Bearer realm="samlscope-admin"');
    if (path.startsWith('/api/')) return reply.code(401).send({ error: { code: 'UNAUTHORIZED', status: 401, title: 'The admin token is required' } });
    return reply.code(401).type('text/html; charset=utf-8').send(loginPage(false));
  });

  // degraded: the shared state (Redis) does not answer; the proxy still passes all traffic
  app.get('/healthz', async () => {
    const store = await o.store.health();
    return { status: store.status, ...(store.reason !== null ? { reason: `${store.backend}: ${store.reason}` } : {}), mode: o.mode, upstream: o.upstream, metadata: o.metadata.status(), store };
  });
  app.get('/metrics', async (_request, reply) => {
    if (!o.metrics) return reply.code(404).type('text/plain').send('metrics are off\n');
    return reply.type(o.metrics.contentType).send(await o.metrics.text());
  });
  app.get('/static/admin.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=300').send(ADMIN_CSS));
  app.get('/static/favicon.svg', async (_request, reply) => reply.type('image/svg+xml').header('cache-control', 'max-age=300').send(ADMIN_FAVICON_SVG));
  app.get('/static/admin.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=300').send(ADMIN_JS));

  app.get('/login', async (_request, reply) => (token ? reply.type('text/html; charset=utf-8').send(loginPage(false)) : reply.redirect('/', 303)));
  app.post<{ Body: { token?: unknown } }>('/login', async (request, reply) => {
    if (!token) return reply.redirect('/', 303);
    const given = typeof request.body?.token === 'string' ? request.body.token : '';
    if (!secretsEqual(given, token)) {
      o.logger?.warn({ event: 'admin.login_failed', client: request.ip }, 'admin login with a wrong token');
      return reply.code(401).type('text/html; charset=utf-8').send(loginPage(true));
    }
    return reply.header('set-cookie', sessionCookie(token)).redirect('/', 303);
  });

  app.get<{ Querystring: Record<string, unknown> }>('/', async (request, reply) => {
    const filter = readFilter(request.query);
    const list = applyFilter(await o.store.listAttempts(LIST_LIMIT), filter);
    const expected = filter.outcome === null || filter.outcome === 'in_progress' ? await o.store.listExpected(LIST_LIMIT) : [];
    return reply.type('text/html; charset=utf-8').send(listPage(filter.outcome === 'in_progress' ? [] : list, filter, o.refreshMs ?? 5000, expected));
  });
  app.get<{ Params: { id: string } }>('/attempts/:id', async (request, reply) => {
    const a = await o.store.getAttempt(request.params.id);
    if (!a) return notFound(request, reply);
    const f = o.fleet?.() ?? { entityId: '?', acsUrl: '?', mdmAcsUrl: '?', allowIdpInitiated: false };
    const s = o.metadata.status();
    return reply.type('text/html; charset=utf-8').send(detailPage(a, {
      entityId: f.entityId, acsUrl: a.flow === 'mdm' ? f.mdmAcsUrl : f.acsUrl, allowIdpInitiated: f.allowIdpInitiated,
      metadataLocation: s.location, metadataDownload: documentInUseAt(o.metadata.documents(), a.time) !== null, metadata: o.metadata.current(), now: now(),
    }));
  });
  // the metadata document in use when this attempt was judged (newest that came into use at or before its time)
  app.get<{ Params: { id: string } }>('/attempts/:id/idp-metadata.xml', async (request, reply) => {
    const a = await o.store.getAttempt(request.params.id);
    const doc = a ? documentInUseAt(o.metadata.documents(), a.time) : null;
    if (!a || !doc) return notFound(request, reply);
    return reply.type('application/xml; charset=utf-8').header('content-disposition', `attachment; filename="${downloadName('idp-metadata', a.id)}"`)
      .header('content-security-policy', "default-src 'none'; sandbox").send(doc.xml);
  });
  app.get<{ Params: { id: string }; Querystring: { unmasked?: string } }>('/attempts/:id/export', async (request, reply) => {
    const a = await o.store.getAttempt(request.params.id);
    if (!a) return notFound(request, reply);
    // unmasked only for a caller who proved the token, or on a loopback-only listener
    const unmasked = request.query.unmasked === '1' && (token ? authorized(token, request.headers) : isLoopbackHost(o.listen.host));
    const name = `samlscope-attempt-${a.id.replace(/[^A-Za-z0-9-]/g, '_')}${unmasked ? '-UNMASKED' : ''}.json`;
    return reply.type('application/json; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`)
      .send(JSON.stringify(exportBundle(a, o.metadata.current(), { masked: !unmasked, now: now() }), null, 2) + '\n');
  });
  app.get<{ Params: { id: string } }>('/attempts/:id/response.xml', async (request, reply) => {
    const a = await o.store.getAttempt(request.params.id);
    if (!a?.report?.xml) return notFound(request, reply);
    return reply.type('application/xml; charset=utf-8').header('content-disposition', `attachment; filename="${downloadName('response', a.id)}"`)
      .header('content-security-policy', "default-src 'none'; sandbox").send(a.report.xml);
  });
  // a pasted Entra error (the AADSTS page a login stopped at) is kept on the attempt with its meaning and remedy
  const reportEntraError = async (id: string, text: unknown) => {
    const a = await o.store.getAttempt(id);
    if (!a || typeof text !== 'string') return null;
    const r = withEntraError(a, text, now());
    if (r.codes.length > 0) await o.store.updateAttempt(r.attempt);
    return r;
  };
  app.post<{ Params: { id: string }; Body: { text?: unknown } }>('/attempts/:id/entra-error', async (request, reply) => {
    // a form post from this admin UI only: another site's page must not write into attempts (CSRF)
    if (!sameOrigin(request.headers)) return reply.code(403).type('text/html; charset=utf-8').send(messagePage('Refused', 'This form is accepted from the admin UI\'s own pages only.'));
    const r = await reportEntraError(request.params.id, request.body?.text);
    if (!r) return notFound(request, reply);
    return reply.redirect(`/attempts/${encodeURIComponent(request.params.id)}${r.codes.length > 0 ? '' : '?aadsts=none'}#entra-error`, 303);
  });
  app.post<{ Params: { id: string }; Body: { text?: unknown } }>('/api/attempts/:id/entra-error', async (request, reply) => {
    if (!sameOrigin(request.headers)) return reply.code(403).send({ error: { code: 'CROSS_ORIGIN', status: 403, title: 'Accepted from the admin UI or an API client only' } });
    const r = await reportEntraError(request.params.id, request.body?.text);
    if (!r) return notFound(request, reply);
    return { codes: r.codes.map(({ code, meaning, remedy }) => ({ code, meaning, remedy })), attempt: summarizeAttempt(r.attempt) };
  });
  app.get('/metadata', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(metadataPage(o.metadata.current(), o.metadata.status(), now())));
  app.get('/settings', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(settingsPage(o.settings?.() ?? { mode: o.mode, upstream: o.upstream })));

  app.get<{ Querystring: { limit?: string } }>('/api/attempts', async (request) => {
    const n = Number(request.query.limit ?? 100);
    const limit = Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : 100;
    return (await o.store.listAttempts(limit)).map(summarizeAttempt);
  });
  app.get<{ Querystring: { limit?: string } }>('/api/logins/in-progress', async (request) => {
    const n = Number(request.query.limit ?? 100);
    const limit = Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : 100;
    return (await o.store.listExpected(limit)).map((e) => ({
      outcome: 'in_progress', authnRequestId: e.rec.request.id, flow: e.rec.flow, startedAt: e.rec.recordedAt, noResponseAfter: e.deadline,
      client: e.rec.client ?? null, findings: e.rec.findings.map((f) => ({ code: f.code, severity: f.severity })),
    }));
  });
  app.get<{ Params: { id: string } }>('/api/attempts/:id', async (request, reply) => {
    const a = await o.store.getAttempt(request.params.id);
    if (!a) return notFound(request, reply);
    return a;
  });
  app.setNotFoundHandler((request, reply) => notFound(request, reply));
  // a store that does not answer (Redis down) or any other failure: a plain page or JSON, never a stack
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : err.name === 'StoreUnavailableError' ? 503 : 500;
    if (status >= 500) o.logger?.error({ event: 'admin.failed', err }, 'admin request failed');
    if (request.url.startsWith('/api/') || status < 500) return reply.code(status).send({ error: { code: status === 503 ? 'STATE_UNAVAILABLE' : 'ADMIN_ERROR', status, title: status === 503 ? 'The shared state store does not answer' : 'The admin request failed' } });
    return reply.code(status).type('text/html; charset=utf-8').send(messagePage(status === 503 ? 'State store unavailable' : 'Admin error', status === 503 ? 'The shared state store (Redis) does not answer; attempts cannot be read right now.' : 'The request failed; see the proxy log.'));
  });

  await app.listen({ host: o.listen.host, port: o.listen.port });
  const port = (app.server.address() as AddressInfo).port;
  const host = o.listen.host === '0.0.0.0' ? '127.0.0.1' : o.listen.host === '::' ? '[::1]' : o.listen.host.includes(':') ? `[${o.listen.host}]` : o.listen.host;
  o.logger?.info({ event: 'admin.started', url: `http://${host}:${port}`, token: token !== undefined }, 'samlscope admin listening');
  return { url: `http://${host}:${port}`, close: () => app.close() };
}
