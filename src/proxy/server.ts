// startProxy(): samlscope in front of Fleet — pass-through for everything, SSO interception, the admin listener; returns a handle.
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { parseMetadata } from '../saml/index.js';
import { createAnalysisPool, type AnalysisPoolOptions } from './analysis-pool.js';
import { parseTrustedProxies } from './client-ip.js';
import { EdgeError } from './edge-errors.js';
import { createEdgeRefuser } from './edge-mode.js';
import { createUpstreamAgent, sendEdge, UPSTREAM_TIMEOUTS } from './forward.js';
import { openMetadataSource, type MetadataInput, type MetadataSource } from './metadata-source.js';
import { createPassthrough } from './passthrough.js';
import { isAgentPath, makeSsoClassifier } from './paths.js';
import { acsUrlFor, normalizePrefix, parseFleetVersion, SSO_SESSION_VALIDITY_SECONDS } from '../fleet/index.js';
import { startUnansweredSweep } from './no-response.js';
import { logAttempt, registerSso, SSO_LIMITS, type SsoContext } from './sso.js';
import { MemoryStore, type ProxyStore } from './store.js';
import { openRedisStore } from './store-redis.js';
import { prepareShutdown } from './shutdown.js';
import { startAdmin } from './admin.js';
import { createMetrics, type ProxyMetrics } from './metrics.js';
import { adminAccessProblem } from './ui/access.js';
import { sanitizedSettings } from './ui/settings.js';
// entra-wiring (and @azure/msal-node behind it, ~18 MiB of RSS) is loaded only by a proxy that reads Graph
import type { ProxyEntraOptions, startProxyEntra } from './entra-wiring.js';

export type ProxyMode = 'observe' | 'enforce';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface ProxyOptions {
  /** Fleet's own address (http or https), root path only */
  upstream: string | URL;
  /** default 127.0.0.1:0 (the CLI's default is 0.0.0.0:8080, Fleet's) */
  listen?: ListenAddress;
  /** serve TLS to clients (PEM) */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** CA certificates (PEM) that Fleet's TLS certificate chains to */
  upstreamCa?: string | Buffer;
  /** accept any certificate from Fleet */
  upstreamInsecure?: boolean;
  /** parsed IdP metadata, or where to load it from */
  metadata: MetadataInput;
  /** Fleet's sso_settings.entity_id (default "fleet") */
  entityId?: string;
  /** Fleet's server_url as users reach it (default: the proxy's own URL once it listens) */
  publicUrl?: string;
  /** how long an SSO callback body may take to arrive before a 408 EDGE_BODY_TIMEOUT (default 30 s) */
  callbackBodyDeadlineMs?: number;
  /** Fleet's server.url_prefix */
  urlPrefix?: string;
  /** the Fleet release in front of which samlscope runs (default: the newest it knows; src/fleet/versions.ts) */
  fleetVersion?: string;
  mode?: ProxyMode;
  /** Fleet's enable_sso_idp_login */
  allowIdpInitiated?: boolean;
  /** the admin listener (default 127.0.0.1:0); false: none */
  adminListen?: ListenAddress | false;
  /** the admin UI's token: required when adminListen is not loopback (bearer or login cookie) */
  adminToken?: string;
  /** Prometheus /metrics on the admin listener (default on) */
  metrics?: boolean;
  /** --workers N: this process is one worker of several. Its metrics are kept even without an admin listener (the primary reads them
   *  through `ProxyHandle.metrics` when /metrics is scraped), and its admin listener, if any, serves `scrape()`: the sum over the workers */
  clusterMetrics?: { scrape(): Promise<string> };
  /** edge mode: the front proxy sends only SSO routes here; anything else is refused (EDGE_NOT_SSO_ROUTE) and counted, not passed on */
  edge?: boolean;
  /** CIDRs whose X-Forwarded-For / True-Client-IP are believed */
  trustedProxies?: string[];
  logger?: Logger;
  /** put the raw SAMLResponse and decoded XML into the attempt log line */
  logSaml?: boolean;
  /** log the NameID masked (a***@example.com) */
  maskNameId?: boolean;
  /** no per-request log lines for osquery / orbit / fleetd / device traffic */
  quietAgentLogs?: boolean;
  /** slowloris guard: a client must finish sending its request headers within this (default HEADERS_TIMEOUT_MS); bodies are not limited */
  headersTimeoutMs?: number;
  /** the clock, read once per attempt */
  now?: () => Date;
  /** state backend (default: bounded memory, or Redis with redisUrl) */
  store?: ProxyStore;
  /** share the state with other instances through this Redis (redis:// or rediss://); ignored when store is given */
  redisUrl?: string;
  /** key prefix in Redis (default "samlscope:") */
  redisPrefix?: string;
  metadataRefreshIntervalMs?: number;
  /** Fleet's SSO session validity (default 15 min) */
  ssoSessionTtlMs?: number;
  /** a started login without a callback after this becomes a no_idp_response attempt (default 5 min, at most ssoSessionTtlMs) */
  loginTimeoutMs?: number;
  /** worker threads that analyse SSO callbacks off the event loop (default 1); 0 analyses in-process */
  analysisWorkers?: number;
  /** the analysis pool's queue bound, per-job timeout and (tests) worker script; see analysis-pool.ts */
  analysisPool?: Omit<AnalysisPoolOptions, 'workers' | 'onReplace'>;
  /** read Entra's sign-in log from Graph: a no_idp_response attempt gets SAML_ENTRA_SIGNIN_FAILED (src/proxy/entra-wiring.ts) */
  entra?: ProxyEntraOptions;
}

/** How long a started login may wait for its callback by default (Fleet's SSO session lasts 15 min). */
export const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60_000;

/** How long a client may take to send its request headers: far above any real client, far below Node's 60 s + 30 s check. */
export const HEADERS_TIMEOUT_MS = 30_000;

export interface ProxyTimeouts {
  /** Node server: whole-request limit (0 = none: uploads have no read deadline) */
  serverRequestMs: number;
  /** Node server: socket idle timeout (0 = none) */
  serverSocketMs: number;
  serverHeadersMs: number;
  serverKeepAliveMs: number;
  upstreamConnectMs: number;
  upstreamHeadersMs: number;
  upstreamBodyMs: number;
}

export interface ProxyHandle {
  url: string;
  adminUrl: string | null;
  acsUrl: string;
  store: ProxyStore;
  metadata: MetadataSource;
  timeouts: ProxyTimeouts;
  /** this process's own metrics (null when off); with --workers N the primary collects them through here */
  metrics: ProxyMetrics | null;
  /** looks for logins without a callback now (the proxy also does so on a timer) and returns how many it recorded */
  sweepUnanswered(): Promise<number>;
  /** graceMs > 0: stop accepting, let in-flight requests finish (up to graceMs), close websockets with 1001, then close */
  close(opts?: { graceMs?: number }): Promise<void>;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function boundUrl(scheme: string, listen: ListenAddress, server: Server): string {
  const port = (server.address() as AddressInfo).port;
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return `${scheme}://${hostForUrl(host)}:${port}`;
}

/** Validates the options that are not types: every problem at once. */
export function checkProxyOptions(o: ProxyOptions): string[] {
  const problems: string[] = [];
  try {
    const u = new URL(String(o.upstream));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push('upstream: must be an http(s) URL');
    else if (u.pathname !== '/' || u.search) problems.push('upstream: give Fleet\'s origin only (scheme, host, port); url_prefix paths pass through as clients send them');
  } catch {
    problems.push(`upstream: not a URL: "${String(o.upstream)}"`);
  }
  if (o.publicUrl !== undefined) {
    try {
      const u = new URL(o.publicUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push('publicUrl: must be an http(s) URL');
    } catch {
      problems.push(`publicUrl: not a URL: "${o.publicUrl}"`);
    }
  }
  const sessionTtl = o.ssoSessionTtlMs ?? SSO_SESSION_VALIDITY_SECONDS * 1000;
  if (o.loginTimeoutMs !== undefined && !(o.loginTimeoutMs > 0 && o.loginTimeoutMs <= sessionTtl)) problems.push(`loginTimeoutMs: more than 0 and at most Fleet's SSO session validity (${sessionTtl} ms), got ${o.loginTimeoutMs}`);
  if (o.fleetVersion !== undefined && !parseFleetVersion(o.fleetVersion)) problems.push(`fleetVersion: a Fleet release like 4.89.0, got "${o.fleetVersion}"`);
  if (o.upstreamCa && o.upstreamInsecure) problems.push('upstreamCa and upstreamInsecure exclude each other');
  if (o.analysisWorkers !== undefined && !(Number.isInteger(o.analysisWorkers) && o.analysisWorkers >= 0)) problems.push(`analysisWorkers: a whole number ≥ 0, got ${o.analysisWorkers}`);
  if (o.mode && o.mode !== 'observe' && o.mode !== 'enforce') problems.push(`mode: observe or enforce, got "${String(o.mode)}"`);
  problems.push(...parseTrustedProxies(o.trustedProxies ?? []).problems.map((p) => `trustedProxies: ${p}`));
  const adminProblem = o.adminListen === false ? null : adminAccessProblem((o.adminListen ?? { host: '127.0.0.1' }).host, o.adminToken);
  if (adminProblem) problems.push(adminProblem);
  return problems;
}

export async function startProxy(o: ProxyOptions): Promise<ProxyHandle> {
  const problems = checkProxyOptions(o);
  if (problems.length > 0) throw new Error(`invalid proxy options:\n  - ${problems.join('\n  - ')}`);
  const upstream = new URL(String(o.upstream));
  const urlPrefix = normalizePrefix(o.urlPrefix);
  const mode: ProxyMode = o.mode ?? 'observe';
  const listen = o.listen ?? { host: '127.0.0.1', port: 0 };
  const scheme = o.tls ? 'https' : 'http';
  const { trusted } = parseTrustedProxies(o.trustedProxies ?? []);
  const log = o.logger;
  const entraWiring = o.entra ? await import('./entra-wiring.js') : null;

  const metadata = await openMetadataSource(o.metadata, {
    parse: parseMetadata,
    refreshIntervalMs: o.metadataRefreshIntervalMs,
    onRefreshError: (err) => log?.warn({ event: 'metadata.refresh_failed', err: err.message }, 'IdP metadata refresh failed; keeping the last good copy'),
    onRefreshed: (md) => log?.info({ event: 'metadata.refreshed', entityId: md.entityId, certs: md.certs.map((c) => c.thumbprintSha1) }, 'IdP metadata refreshed'),
  });
  // Redis: a server that is down does not stop the start; the proxy passes traffic and /healthz says degraded
  const store = o.store ?? (o.redisUrl ? await openRedisStore({
    url: o.redisUrl, prefix: o.redisPrefix,
    onStateChange: (h) => (h.status === 'ok' ? log?.info({ event: 'store.ok', backend: h.backend }, 'shared state reachable') : log?.warn({ event: 'store.degraded', backend: h.backend, reason: h.reason }, 'shared state unreachable: SSO callbacks are judged without it (enforce mode blocks them)')),
  }) : new MemoryStore());
  const own = o.metrics === false || (o.adminListen === false && !o.clusterMetrics) ? undefined : createMetrics({ metadata, now: o.now, store });
  // with workers the per-request path is the same; only a scrape of /metrics asks the other workers
  const metrics = own && o.clusterMetrics ? { ...own, text: o.clusterMetrics.scrape } : own;
  const agent = createUpstreamAgent({ ca: o.upstreamCa, insecure: o.upstreamInsecure });
  const classify = makeSsoClassifier(urlPrefix);
  const bootId = randomBytes(3).toString('hex');
  let seq = 0;
  const nextId = () => `${bootId}-${(++seq).toString(36)}`;
  // the hot path: requests that are not SSO requests never enter Fastify (see bench/README.md, "Where the time goes")
  const pass = createPassthrough({ upstream, agent, trusted, scheme, tls: { ca: o.upstreamCa, insecure: o.upstreamInsecure }, nextId, logger: log, quietAgentLogs: o.quietAgentLogs,
    onDone: metrics ? (r) => metrics.passthrough(r.status, r.ms) : undefined });
  const refuse = o.edge ? createEdgeRefuser({ nextId, logger: log, onRefused: metrics ? (k) => metrics.edgeRefused(k) : undefined }) : null;

  // the header phase only (slowloris); Node checks it every connectionsCheckingInterval, so a trickler is dropped within both
  const headersTimeout = o.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const headerPhase = { headersTimeout, connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(headersTimeout / 4))) };
  const app: FastifyInstance = Fastify({
    ...(log ? { loggerInstance: log } : { logger: false }),
    ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key, ...headerPhase } } : { http: headerPhase }),
    genReqId: nextId,
    // Fastify's own server setup (lib/server.js), with SSO requests to Fastify and everything else to the pass-through
    serverFactory: (fastifyHandler, fastifyOpts) => {
      const opts = fastifyOpts as { https?: https.ServerOptions; http?: http.ServerOptions; keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number; maxRequestsPerSocket?: number };
      const route = (req: http.IncomingMessage, res: http.ServerResponse) => {
        if (classify(req.method, req.url ?? '/')) fastifyHandler(req, res);
        else if (refuse) refuse.handle(req, res);
        else pass.handle(req, res);
      };
      const s = opts.https ? https.createServer(opts.https, route) : http.createServer(opts.http ?? {}, route);
      s.keepAliveTimeout = opts.keepAliveTimeout ?? 72_000;
      s.requestTimeout = opts.requestTimeout ?? 0;
      s.setTimeout(opts.connectionTimeout ?? 0);
      if (opts.maxRequestsPerSocket) s.maxRequestsPerSocket = opts.maxRequestsPerSocket;
      s.on('upgrade', refuse ? refuse.upgrade : pass.upgrade);
      return s;
    },
    logController: new LogController({ disableRequestLogging: o.quietAgentLogs ? (req: { url?: string }) => isAgentPath(req.url ?? '') : false }),
    // no proxy-side deadline on a request: Fleet's uploads have none and live queries take ~100 s
    connectionTimeout: 0,
    requestTimeout: 0,
    keepAliveTimeout: 72_000,
    // SSO requests under any spelling of their path reach the SSO scope (the raw URL is still what Fleet gets)
    rewriteUrl: (req) => {
      const route = classify(req.method, req.url ?? '/');
      return route ? urlPrefix + route.path : (req.url ?? '/');
    },
  }) as unknown as FastifyInstance;

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof EdgeError) return sendEdge(reply, err.code, err.code === 'EDGE_BODY_TIMEOUT' ? { close: true } : undefined);
    const status = err.statusCode ?? 500;
    if (status === 400 && /invalid characters|relative path/.test(err.message)) return sendEdge(reply, 'EDGE_BAD_PATH');
    if (status < 500) return sendEdge(reply, 'EDGE_BAD_REQUEST', { close: true });
    request.log.error({ err }, 'proxy failure');
    return sendEdge(reply, 'EDGE_INTERNAL');
  });

  const now = o.now ?? (() => new Date());
  // Entra's sign-in log (o.entra): started once the proxy listens; rejected callbacks are handed to it too
  const entraRef: { current: ReturnType<typeof startProxyEntra> | null } = { current: null };
  // without publicUrl, Fleet's server_url is the proxy's own URL: filled in once it listens, before any request
  const sso: SsoContext = {
    upstream, agent, trusted, scheme, mode, urlPrefix, store, metadata, now, fleetVersion: o.fleetVersion,
    entityId: o.entityId ?? 'fleet',
    publicUrl: o.publicUrl ?? '',
    callbackBodyDeadlineMs: o.callbackBodyDeadlineMs,
    allowIdpInitiated: o.allowIdpInitiated ?? false,
    logSaml: o.logSaml ?? false,
    maskNameId: o.maskNameId ?? false,
    sessionTtlMs: o.ssoSessionTtlMs ?? SSO_SESSION_VALIDITY_SECONDS * 1000,
    loginTimeoutMs: o.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS,
    log,
    onAttempt: metrics || o.entra ? (a) => { metrics?.attempt(a); entraRef.current?.enqueue(a); } : undefined,
    analysis: createAnalysisPool({
      ...o.analysisPool, workers: o.analysisWorkers,
      onReplace: (e) => log?.warn({ event: 'analysis.worker_replaced', reason: e.reason, detail: e.detail }, 'SAML analysis worker replaced'),
    }),
  };
  // metrics: only SSO requests enter Fastify, so this hook never runs on the pass-through path
  if (metrics) app.addHook('onResponse', async (_request, reply) => metrics.response('sso', reply.statusCode));
  await app.register(async (scope) => registerSso(scope, sso));

  let admin: { url: string; close(): Promise<void> } | null = null;
  try {
    await app.listen({ host: listen.host, port: listen.port });
    if (o.adminListen !== false) {
      admin = await startAdmin({
        listen: o.adminListen ?? { host: '127.0.0.1', port: 0 }, store, metadata, mode, upstream: upstream.origin, logger: log,
        adminToken: o.adminToken, metrics, now,
        fleet: () => ({ entityId: sso.entityId, acsUrl: acsUrlFor({ serverUrl: sso.publicUrl, urlPrefix, fleetVersion: sso.fleetVersion }, 'sso'), mdmAcsUrl: acsUrlFor({ serverUrl: sso.publicUrl, urlPrefix, fleetVersion: sso.fleetVersion }, 'mdm'), allowIdpInitiated: sso.allowIdpInitiated }),
        settings: () => sanitizedSettings(o, { publicUrl: sso.publicUrl, acsUrl: acsUrlFor({ serverUrl: sso.publicUrl, urlPrefix, fleetVersion: sso.fleetVersion }, 'sso'), adminUrl: admin?.url ?? null }),
      });
    }
  } catch (e) {
    await sso.analysis?.close();
    pass.close();
    await app.close().catch(() => undefined);
    await agent.close().catch(() => undefined);
    metadata.close();
    if (!o.store) await store.close();
    throw e;
  }
  const server = app.server as Server;
  const shutdown = prepareShutdown(server);
  // logins that never came back (the IdP stopped them): found by a sweep, reported once across instances
  const sweep = startUnansweredSweep({
    store, now, mode, timeoutMs: sso.loginTimeoutMs, intervalMs: Math.max(200, Math.min(5_000, Math.floor(sso.loginTimeoutMs / 4))), nextId,
    onAttempt: (a) => { metrics?.attempt(a); logAttempt(sso, a, null); entra?.enqueue(a); },
    onError: (err) => log?.warn({ err }, 'looking for logins without a callback failed'),
  });
  const url = boundUrl(scheme, listen, server);
  sso.publicUrl ||= url;
  const entra = o.entra && entraWiring ? entraWiring.startProxyEntra(o.entra, {
    store, now, entityId: sso.entityId, log,
    onMatched: (a) => metrics?.entraSignIn(String(a.findings.find((f) => f.code === 'SAML_ENTRA_SIGNIN_FAILED' || f.code === 'SAML_ENTRA_SIGNIN_SUCCEEDED')?.evidence?.aadsts ?? '')),
  }) : null;
  entraRef.current = entra;
  const acsUrl = acsUrlFor({ serverUrl: sso.publicUrl, urlPrefix, fleetVersion: sso.fleetVersion }, 'sso');
  log?.info({ event: 'proxy.started', url, adminUrl: admin?.url ?? null, upstream: upstream.origin, mode, edge: o.edge ?? false, acsUrl, entityId: o.entityId ?? 'fleet', callbackBodyLimit: SSO_LIMITS.callbackBodyBytes }, 'samlscope proxy listening');

  let closed = false;
  return {
    url,
    adminUrl: admin?.url ?? null,
    acsUrl,
    store,
    metadata,
    metrics: own ?? null,
    sweepUnanswered: () => sweep.run(),
    timeouts: {
      serverRequestMs: server.requestTimeout,
      serverSocketMs: server.timeout,
      serverHeadersMs: server.headersTimeout,
      serverKeepAliveMs: server.keepAliveTimeout,
      upstreamConnectMs: UPSTREAM_TIMEOUTS.connectMs,
      upstreamHeadersMs: UPSTREAM_TIMEOUTS.headersMs,
      upstreamBodyMs: UPSTREAM_TIMEOUTS.bodyMs,
    },
    async close(opts = {}) {
      if (closed) return;
      closed = true;
      if (opts.graceMs && opts.graceMs > 0) {
        log?.info({ event: 'proxy.draining', graceMs: opts.graceMs }, 'samlscope proxy stops accepting connections and drains');
        const r = await shutdown.drain(opts.graceMs);
        log?.info({ event: 'proxy.drained', ...r }, r.forced ? 'grace period over: remaining connections cut' : 'all connections finished');
      }
      sweep.stop();
      await entra?.close();
      metadata.close();
      await admin?.close();
      pass.close();
      await app.close();
      await sso.analysis?.close();
      await agent.close().catch(() => undefined);
      if (!o.store) await store.close();
    },
  };
}
