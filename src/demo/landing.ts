// The demo's landing server (HTTPS, loopback): scenario buttons that start the real SP-initiated flow through the proxy, and the diagnosis.
//
// Routes:
//   GET /                     the landing page (scenarios, URLs, recent attempts)
//   GET /attempts-fragment    the recent-attempts table alone (the page refreshes it)
//   GET /attempts/:id         one attempt's diagnosis (findings with remedies)
//   GET /start?scenario=ID    POST /api/v1/fleet/sso through the proxy, hand Fleet's SSO session cookie to the browser,
//                             303 to the IdP URL Fleet answered with, plus login_hint (and fault)
//
// Why the initiate happens here: Fleet answers the initiate with JSON that only its own origin's script can read. This
// server runs on the proxy's host name, and browsers share cookies across ports of one host (RFC 6265), so the
// `__Host-FLEETSSOSESSIONID` cookie it relays is the one the browser sends with the IdP's POST to the proxy's ACS.
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';
import type { Attempt } from '../proxy/attempt.js';
import { attemptPage, attemptRows, landingPage, messagePage, type LandingInfo } from './landing-page.js';
import { findScenario } from './scenarios.js';
import { SSO_SESSION_COOKIE } from '../fleet/index.js';


export interface LandingOptions {
  host: string;
  port: number;
  tls: { key: string; cert: string };
  info: LandingInfo;
  /** CA (PEM) the proxy's TLS cert chains to: the demo's self-signed cert */
  proxyCa: string;
  listAttempts: (limit: number) => Promise<Attempt[]>;
  getAttempt: (id: string) => Promise<Attempt | null>;
}

export interface LandingHandle {
  url: string;
  close(): Promise<void>;
}

/** Fleet's initiate through the proxy, as a browser's script would do it: the IdP URL and the SSO session cookie. */
export async function initiateThroughProxy(proxyUrl: string, dispatcher: Dispatcher): Promise<{ idpUrl: URL; setCookie: string | null }> {
  const res = await request(proxyUrl + '/api/v1/fleet/sso', {
    dispatcher,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'samlscope-demo-landing' },
    body: JSON.stringify({ relay_url: '/' }),
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`Fleet answered the SSO initiate with HTTP ${res.statusCode}`);
  const url = (JSON.parse(text) as { url?: unknown }).url;
  if (typeof url !== 'string') throw new Error('Fleet\'s SSO initiate answer has no url');
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return { idpUrl: new URL(url), setCookie: cookies.find((c) => c.startsWith(SSO_SESSION_COOKIE + '=')) ?? null };
}

export async function startLanding(o: LandingOptions): Promise<LandingHandle> {
  const dispatcher = new Agent({ connect: { ca: o.proxyCa, rejectUnauthorized: true } });
  const app = Fastify({ logger: false, https: { key: o.tls.key, cert: o.tls.cert }, forceCloseConnections: true });
  const html = 'text/html; charset=utf-8';
  app.addHook('onSend', async (_req, reply) => {
    reply.headers({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
  });

  app.get('/', async (_req, reply) => reply.type(html).send(landingPage(o.info, await o.listAttempts(20))));
  app.get('/attempts-fragment', async (_req, reply) => reply.type(html).send(attemptRows(await o.listAttempts(20), o.info.adminUrl)));
  app.get<{ Params: { id: string } }>('/attempts/:id', async (req, reply) => {
    const a = await o.getAttempt(req.params.id);
    if (!a) return reply.code(404).type(html).send(messagePage('No such attempt', `The proxy has no attempt "${req.params.id}" (it keeps the most recent ones in memory).`));
    return reply.type(html).send(attemptPage(a, o.info.adminUrl));
  });
  app.get<{ Querystring: { scenario?: string } }>('/start', async (req, reply) => {
    const s = findScenario(String(req.query.scenario ?? ''));
    if (!s) return reply.code(404).type(html).send(messagePage('Unknown scenario', `There is no demo scenario "${String(req.query.scenario ?? '')}".`));
    let started: { idpUrl: URL; setCookie: string | null };
    try {
      started = await initiateThroughProxy(o.info.proxyUrl, dispatcher);
    } catch (e) {
      return reply.code(502).type(html).send(messagePage('Could not start the login', (e as Error).message));
    }
    started.idpUrl.searchParams.set('login_hint', s.user);
    if (s.fault) started.idpUrl.searchParams.set('fault', s.fault);
    if (started.setCookie) reply.header('set-cookie', started.setCookie);
    return reply.code(303).header('location', started.idpUrl.href).send();
  });

  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    await app.close().catch(() => undefined);
    await dispatcher.close();
    throw e;
  }
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `https://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    async close() {
      await app.close();
      await dispatcher.close();
    },
  };
}
