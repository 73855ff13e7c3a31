// The mock Entra ID HTTP server (Fastify): metadata, /saml2 (Redirect + POST), user picker, headless login_hint, IdP-initiated launch, faults.
//
// Routes (all under http://HOST:PORT):
//   GET  /                                                        index page (MOCK)
//   GET  /{tenant}/federationmetadata/2007-06/federationmetadata.xml[?appid=]   signed metadata, Entra's layout
//   GET  /{tenant}/saml2?SAMLRequest=&RelayState=[&login_hint=][&fault=]        Redirect binding
//   POST /{tenant}/saml2  (form SAMLRequest, RelayState[, login_hint, fault])   POST binding
//   POST /{tenant}/saml2/pick  (form ctx, login_hint)                           the user picker's answer
//   GET  /{tenant}/launch?app=&login_hint=[&fault=][&RelayState=]              IdP-initiated (My Apps)
// With `graph`, a second listener over TLS serves the token endpoint and the Graph subset (src/idp/graph.ts).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { readAuthnRequest } from './authn-request.js';
import {
  defaultReplyUrl, findAppByIdentifier, findUser, isAppId, isAssigned, withExtraReplyUrls, type AppConfig, type IdpConfig,
} from './config.js';
import { buildFaultedResponse, parseFault, type FaultRequest } from './faults.js';
import { autoPostPage, errorPage, indexPage, messagePage, pickerPage } from './html.js';
import { loadTestKeys, repoCertsDir, type IdpKeys } from './keys.js';
import { checkAuthnRequest, PAGE_TEXT } from './request-rules.js';
import { buildEntraErrorResponse, buildEntraMetadata } from './response.js';
import { responseSpecFor } from './signin.js';
import { startMockGraph, type MockGraphClient, type MockGraphHandle } from './graph.js';

export interface IdpLogger {
  info: (obj: Record<string, unknown>, msg: string) => void;
  warn: (obj: Record<string, unknown>, msg: string) => void;
}

export interface MockIdpOptions {
  config: IdpConfig;
  host?: string;
  port?: number;
  /** overrides config.tenantId */
  tenantId?: string;
  /** defaults to the TEST-ONLY keys in certs/ */
  keys?: IdpKeys;
  /** required to bind anything but loopback */
  allowRemote?: boolean;
  logger?: IdpLogger;
  now?: () => Date;
  /** reply URLs added to every app at start (tests and the demo run on random ports) */
  extraReplyUrls?: string[];
  /** list the rollover cert in the metadata as Entra does during a rollover (inactive, second) */
  publishRollover?: boolean;
  /** the URL peers use to reach the mock, when not http://HOST:PORT (endpoints in the metadata) */
  publicUrl?: string;
  /** also serve a client-credentials token endpoint and a Graph v1.0 subset over TLS (src/idp/graph.ts) */
  graph?: {
    clients: MockGraphClient[];
    /** TLS key and cert (default: the TEST-ONLY localhost cert in certs/) */
    tls?: { cert: string; key: string };
    port?: number;
    licence?: 'P1' | 'free';
    pageSize?: number;
  };
}

export interface MockIdpHandle {
  /** http://host:port */
  url: string;
  /** url + /{tenant} */
  tenantUrl: string;
  metadataUrl: string;
  /** the Login URL: tenantUrl + /saml2 */
  loginUrl: string;
  entityId: string;
  tenantId: string;
  /** registers more reply URLs for every app (a server started after the IdP, on a port learnt late) */
  addReplyUrls: (urls: string[]) => void;
  /** with the graph option: https://host:port, the authority host and Graph URL; its sign-in log and controls */
  graph: MockGraphHandle | null;
  close: () => Promise<void>;
}

interface Pending {
  app: AppConfig;
  identifier: string;
  acsUrl: string;
  inResponseTo?: string;
  requestedNameIdFormat: string | null;
  relayState?: string;
  fault: FaultRequest | null;
  expires: number;
}

const MAX_PENDING = 1000;
const PENDING_TTL_MS = 15 * 60_000;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const SECURITY_HEADERS = {
  'x-samlscope-mock': 'entra-id',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
};

const silent: IdpLogger = { info: () => {}, warn: () => {} };

function one(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** Starts the mock IdP; resolves when it listens. */
export async function startMockIdp(opts: MockIdpOptions): Promise<MockIdpHandle> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && !opts.allowRemote) {
    throw new Error(`the MOCK IdP signs anything asked of it: refusing to listen on ${host} without allowRemote (--allow-remote)`);
  }
  let config = opts.extraReplyUrls?.length ? withExtraReplyUrls(opts.config, opts.extraReplyUrls) : opts.config;
  const tenantId = opts.tenantId ?? config.tenantId;
  const keys = opts.keys ?? loadTestKeys();
  const now = opts.now ?? (() => new Date());
  const log = opts.logger ?? silent;
  const pending = new Map<string, Pending>();
  const metadataCerts = [keys.signing.certPem];
  if (opts.publishRollover) metadataCerts.push(keys.rollover.certPem);
  // Entra keeps publishing (and signing with) an expired active cert: an app whose configured fault is cert-expired gets it listed.
  if (config.apps.some((a) => a.fault?.name === 'cert-expired')) metadataCerts.push(keys.expired.certPem);

  const app = Fastify({ logger: false, bodyLimit: 512 * 1024 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const params = new URLSearchParams(body as string);
    const out: Record<string, string> = {};
    for (const [k, v] of params) if (!(k in out)) out[k] = v;
    done(null, out);
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.headers(SECURITY_HEADERS);
  });

  let baseUrl = '';
  const tenantBase = () => `${baseUrl}/${tenantId}`;

  const sendPage = (reply: FastifyReply, status: number, html: string) => reply.code(status).type('text/html; charset=utf-8').send(html);
  let graph: MockGraphHandle | null = null;
  const sendError = (req: FastifyRequest, reply: FastifyReply, aadsts: number, text: string, status = 400, extra: Record<string, unknown> = {},
    who: { app?: AppConfig; upn?: string } = {}) => {
    const requestId = randomUUID();
    const correlationId = randomUUID();
    log.warn({ mock: true, event: 'aadsts_page', aadsts, requestId, path: req.url.split('?')[0], ...extra }, `MOCK IdP error page AADSTS${aadsts}`);
    graph?.recordSignIn({ app: who.app ?? null, user: who.upn ? findUser(config, who.upn) ?? null : null, upn: who.upn ?? '', errorCode: aadsts, failureReason: text, ip: req.ip, correlationId });
    return sendPage(reply, status, errorPage({ aadsts, text, requestId, correlationId, timestamp: now() }));
  };
  const tenantOk = (req: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply): boolean => {
    if (req.params.tenant === tenantId) return true;
    void sendError(req, reply, 90002, `Tenant '${req.params.tenant}' not found. ${PAGE_TEXT[90002]}`, 400);
    return false;
  };
  const faultFrom = (req: FastifyRequest, reply: FastifyReply, raw: string | undefined): FaultRequest | null | false => {
    if (raw === undefined || raw === '') return null;
    const f = parseFault(raw);
    if ('error' in f) { void sendPage(reply, 400, messagePage('Unknown fault (MOCK)', f.error)); return false; }
    return f;
  };
  const remember = (p: Omit<Pending, 'expires'>): string => {
    const t = Date.now();
    for (const [k, v] of pending) if (v.expires < t || pending.size >= MAX_PENDING) pending.delete(k); else break;
    const id = randomUUID();
    pending.set(id, { ...p, expires: t + PENDING_TTL_MS });
    return id;
  };

  const signIn = async (req: FastifyRequest, reply: FastifyReply, p: Omit<Pending, 'expires'>, upn: string) => {
    const user = findUser(config, upn);
    if (!user) return sendError(req, reply, 50034, `The user account {EUII Hidden} does not exist in the '${tenantId}' directory. ${PAGE_TEXT[50034]}`, 400, {}, { app: p.app, upn });
    if (!user.accountEnabled) return sendError(req, reply, 50057, 'The user account is disabled. (MOCK)', 400, { app: p.app.identifiers[0] }, { app: p.app, upn: user.upn });
    if (!isAssigned(p.app, user)) {
      return sendError(req, reply, 50105, `${PAGE_TEXT[50105]} The signed in user '${user.upn}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator.`, 400, { app: p.app.identifiers[0] }, { app: p.app, upn: user.upn });
    }
    const fault = p.fault ?? p.app.fault;
    const spec = responseSpecFor({
      tenantId, app: p.app, user, identifier: p.identifier, legacySpnAudience: config.legacySpnAudience, acsUrl: p.acsUrl, inResponseTo: p.inResponseTo,
      requestedNameIdFormat: p.requestedNameIdFormat, now: now(), key: keys.signing,
    });
    const built = buildFaultedResponse(spec, fault, keys);
    if (built.delayMs > 0) await sleep(built.delayMs);
    log.info({
      mock: true, event: 'signin', app: p.app.identifiers[0], user: user.upn, fault: fault?.name ?? null,
      idpInitiated: p.inResponseTo === undefined, signed: built.signed,
    }, 'MOCK IdP issued a SAML response');
    graph?.recordSignIn({ app: p.app, user, upn: user.upn, errorCode: 0, failureReason: null, ip: req.ip });
    return sendPage(reply, 200, autoPostPage(p.acsUrl, Buffer.from(built.xml, 'utf8').toString('base64'), p.relayState));
  };

  const handleSaml2 = async (req: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply, binding: 'redirect' | 'post') => {
    if (!tenantOk(req, reply)) return reply;
    const q = (req.query ?? {}) as Record<string, unknown>;
    const b = (binding === 'post' && req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const get = (k: string) => one(b[k]) ?? one(q[k]);
    const samlRequest = binding === 'post' ? one(b.SAMLRequest) : one(q.SAMLRequest);
    if (!samlRequest) {
      if (get('SAMLResponse')) return sendPage(reply, 200, messagePage('Signed out (MOCK)', 'The MOCK IdP keeps no session; nothing to sign out of.'));
      return sendError(req, reply, 750054, PAGE_TEXT[750054]);
    }
    const fault = faultFrom(req, reply, get('fault'));
    if (fault === false) return reply;
    const read = readAuthnRequest(samlRequest, binding);
    if (!read.ok) return sendError(req, reply, 75005, PAGE_TEXT[75005], 400, { reason: read.reason });
    const outcome = checkAuthnRequest(read.request, config);
    const relayState = get('RelayState');
    if (outcome.kind === 'page') {
      const known = read.request.issuer ? findAppByIdentifier(config, read.request.issuer) : undefined;
      return sendError(req, reply, outcome.aadsts, outcome.text, outcome.httpStatus, { issuer: read.request.issuer }, { app: known, upn: get('login_hint') });
    }
    if (outcome.kind === 'error-response') {
      const xml = buildEntraErrorResponse({
        tenantId, now: now(), status: outcome.status, subStatus: outcome.subStatus, aadsts: outcome.aadsts,
        text: `${outcome.text} (MOCK)`, destination: outcome.acsUrl, inResponseTo: outcome.inResponseTo,
      });
      log.warn({ mock: true, event: 'error_response', aadsts: outcome.aadsts, app: outcome.app.identifiers[0] }, `MOCK IdP posts an error response AADSTS${outcome.aadsts}`);
      return sendPage(reply, 200, autoPostPage(outcome.acsUrl, Buffer.from(xml, 'utf8').toString('base64'), relayState));
    }
    const p: Omit<Pending, 'expires'> = {
      app: outcome.app, identifier: read.request.issuer!, acsUrl: outcome.acsUrl, inResponseTo: outcome.inResponseTo,
      requestedNameIdFormat: outcome.requestedNameIdFormat, relayState, fault,
    };
    const hint = get('login_hint');
    if (hint) return signIn(req, reply, p, hint);
    return sendPage(reply, 200, pickerPage(`${tenantBase()}/saml2/pick`, remember(p), config.users, outcome.app.name));
  };

  app.get('/', async (_req, reply) => sendPage(reply, 200, indexPage(tenantBase(), `${tenantBase()}/federationmetadata/2007-06/federationmetadata.xml`,
    config.apps.map((a) => ({ name: a.name, identifier: a.identifiers[0] })))));

  app.get<{ Params: { tenant: string } }>('/:tenant/federationmetadata/2007-06/federationmetadata.xml', async (req, reply) => {
    if (!tenantOk(req, reply)) return reply;
    const xml = buildEntraMetadata({ tenantId, baseUrl, certsPem: metadataCerts, signingKey: keys.signing });
    return reply.code(200).type('application/xml; charset=utf-8').send(xml);
  });

  app.get<{ Params: { tenant: string } }>('/:tenant/saml2', (req, reply) => handleSaml2(req, reply, 'redirect'));
  app.post<{ Params: { tenant: string } }>('/:tenant/saml2', (req, reply) => handleSaml2(req, reply, 'post'));

  app.post<{ Params: { tenant: string } }>('/:tenant/saml2/pick', async (req, reply) => {
    if (!tenantOk(req, reply)) return reply;
    const b = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const ctx = one(b.ctx);
    const p = ctx ? pending.get(ctx) : undefined;
    if (!p || p.expires < Date.now()) return sendError(req, reply, 750054, 'The sign-in session expired or is unknown. Start again from the application. ' + PAGE_TEXT[750054]);
    pending.delete(ctx!);
    const upn = one(b.login_hint);
    if (!upn) return sendError(req, reply, 50034, PAGE_TEXT[50034]);
    return signIn(req, reply, p, upn);
  });

  app.get<{ Params: { tenant: string } }>('/:tenant/launch', async (req, reply) => {
    if (!tenantOk(req, reply)) return reply;
    const q = (req.query ?? {}) as Record<string, unknown>;
    const identifier = one(q.app);
    const target = identifier ? findAppByIdentifier(config, identifier) : config.apps.length === 1 ? config.apps[0] : undefined;
    if (!target) {
      return sendError(req, reply, 700016, `Application with identifier '${identifier ?? ''}' was not found in the directory '${tenantId}'.`);
    }
    const fault = faultFrom(req, reply, one(q.fault));
    if (fault === false) return reply;
    const p: Omit<Pending, 'expires'> = {
      app: target, identifier: identifier && (target.identifiers.includes(identifier) || isAppId(target, identifier)) ? identifier : target.identifiers[0], acsUrl: defaultReplyUrl(target), requestedNameIdFormat: null,
      relayState: one(q.RelayState), fault,
    };
    const hint = one(q.login_hint);
    if (hint) return signIn(req, reply, p, hint);
    return sendPage(reply, 200, pickerPage(`${tenantBase()}/saml2/pick`, remember(p), config.users, target.name));
  });

  app.setNotFoundHandler((req, reply) => sendPage(reply, 404, messagePage('Not found (MOCK)', `The MOCK Entra ID has no page at ${req.url.split('?')[0]}.`)));

  const address = await app.listen({ host, port: opts.port ?? 0 });
  const port = (app.server.address() as { port: number }).port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `http://${hostForUrl}:${port}`;
  baseUrl = (opts.publicUrl ?? url).replace(/\/+$/, '');
  void address;
  const tenantUrl = `${baseUrl}/${tenantId}`;
  if (opts.graph) {
    const tls = opts.graph.tls ?? {
      cert: readFileSync(join(repoCertsDir(), 'test-only-tls-localhost.cert.pem'), 'utf8'),
      key: readFileSync(join(repoCertsDir(), 'test-only-tls-localhost.key.pem'), 'utf8'),
    };
    try {
      graph = await startMockGraph({
        host: hostForUrl === '[::1]' ? '::1' : hostForUrl, port: opts.graph.port, tls, tenantId, config: () => config, clients: opts.graph.clients,
        signingCerts: () => metadataCerts.map((certPem, i) => ({ certPem, active: i === 0 })),
        licence: opts.graph.licence, pageSize: opts.graph.pageSize, now,
      });
    } catch (e) {
      await app.close();
      throw e;
    }
  }
  log.info({ mock: true, event: 'listening', url, tenantId, graphUrl: graph?.url ?? null }, 'MOCK Entra ID listening (signs anything asked of it; tests only)');
  return {
    url,
    tenantUrl,
    metadataUrl: `${tenantUrl}/federationmetadata/2007-06/federationmetadata.xml`,
    loginUrl: `${tenantUrl}/saml2`,
    entityId: `https://sts.windows.net/${tenantId}/`,
    tenantId,
    addReplyUrls: (urls) => { config = withExtraReplyUrls(config, urls); },
    graph,
    close: async () => { await graph?.close(); await app.close(); },
  };
}
