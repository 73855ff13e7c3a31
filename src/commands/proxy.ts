// `samlscope proxy`: stands in front of Fleet until stopped; every option checked first, all problems reported together.
import pino from 'pino';
import { answerMetricsRequests, drainRequested, isClusterWorker, reportFailed, reportReady, scrapeClusterMetrics, startCluster, workerRole } from '../proxy/workers.js';
import { SSO_SESSION_VALIDITY_SECONDS } from '../fleet/index.js';
import { FLEET_VERSION_OPTION, OptionReader, type CommandDef } from './options.js';
import { startProxy, checkProxyOptions, type ProxyOptions } from '../proxy/server.js';
import { ENTRA_OPTIONS, readEntraOptions } from './entra-options.js';
import { parseRedisUrl } from '../proxy/redis-url.js';

export const proxyCommand: CommandDef = {
  name: 'proxy',
  summary: 'stand in front of Fleet: pass everything through, explain every SSO attempt',
  usage: 'samlscope proxy --upstream URL --metadata FILE|URL --public-url URL [--listen 0.0.0.0:8080] [--tls-cert F --tls-key F] [--upstream-ca F | --upstream-insecure] [--entity-id fleet] [--url-prefix P] [--fleet-version X.Y.Z] [--mode observe|enforce] [--edge] [--allow-idp-initiated] [--admin-listen 127.0.0.1:9090] [--admin-token T] [--trusted-proxies CIDRs] [--log-saml] [--mask-nameid] [--quiet-agent-logs] [--redis-url URL] [--redis-prefix P] [--login-timeout SECONDS] [--shutdown-grace SECONDS] [--workers N] [--analysis-workers N] [--entra-tenant GUID --entra-client-id GUID (--entra-client-secret S | --entra-client-cert PEM) [--entra-app-id GUID] [--entra-authority-host URL] [--graph-url URL] [--entra-ca FILE]]',
  options: {
    upstream: { type: 'string', value: 'URL', description: 'Fleet\'s own address, e.g. https://127.0.0.1:8443 (required)' },
    listen: { type: 'string', value: 'HOST:PORT', description: 'where clients reach the proxy (Fleet\'s port)', default: '0.0.0.0:8080' },
    'tls-cert': { type: 'string', value: 'FILE', description: 'serve TLS with this certificate (PEM); with --tls-key' },
    'tls-key': { type: 'string', value: 'FILE', description: 'private key (PEM) for --tls-cert' },
    'upstream-ca': { type: 'string', value: 'FILE', description: 'CA certificate(s) (PEM) that Fleet\'s TLS certificate chains to' },
    'upstream-insecure': { type: 'boolean', description: 'do not verify Fleet\'s TLS certificate' },
    metadata: { type: 'string', value: 'FILE|URL', description: 'the IdP metadata Fleet uses (the App Federation Metadata Url, or a file) (required)' },
    'entity-id': { type: 'string', value: 'ID', description: 'Fleet\'s SSO entity ID', default: 'fleet' },
    'public-url': { type: 'string', value: 'URL', description: 'Fleet\'s server_url as users reach it (required)' },
    'url-prefix': { type: 'string', value: 'PATH', description: 'Fleet\'s server.url_prefix' },
    'fleet-version': FLEET_VERSION_OPTION,
    mode: { type: 'string', value: 'observe|enforce', description: 'observe never changes a login; enforce blocks rejected callbacks and replays', default: 'observe' },
    edge: { type: 'boolean', description: 'edge mode: your nginx / Caddy / HAProxy sends only the SSO routes here (samlscope edge-config); anything else is refused with EDGE_NOT_SSO_ROUTE and counted' },
    'allow-idp-initiated': { type: 'boolean', description: 'Fleet allows IdP-initiated login (enable_sso_idp_login)' },
    'admin-listen': { type: 'string', value: 'HOST:PORT', description: 'the admin listener (diagnostics UI, attempts API, /metrics, /healthz)', default: '127.0.0.1:9090' },
    'admin-token': { type: 'string', value: 'TOKEN', description: 'required when --admin-listen is not loopback (16+ characters; bearer header or the UI\'s login form); better given as SAMLSCOPE_ADMIN_TOKEN' },
    'trusted-proxies': { type: 'string', multiple: true, value: 'CIDRs', description: 'comma-separated CIDRs whose X-Forwarded-For is believed' },
    'log-saml': { type: 'boolean', description: 'put raw SAML messages into the log (they are bearer tokens until they expire)' },
    'mask-nameid': { type: 'boolean', description: 'log NameIDs masked (a***@example.com)' },
    'quiet-agent-logs': { type: 'boolean', description: 'no per-request log lines for osquery, orbit, fleetd and device traffic' },
    'redis-url': { type: 'string', value: 'URL', description: 'share AuthnRequests, the replay cache and attempts with other instances (redis://, rediss://, redis+cluster://h:p,h:p or redis+sentinel://h:p[,h:p]/master; see docs/proxy.md); better given as SAMLSCOPE_REDIS_URL when it holds a password' },
    'redis-prefix': { type: 'string', value: 'P', description: 'key prefix in Redis', default: 'samlscope:' },
    'analysis-workers': { type: 'string', value: 'N', description: 'worker threads that analyse SSO callbacks off the event loop; 0 analyses on the main thread', default: '1' },
    workers: { type: 'string', value: 'N', description: 'processes sharing the listening port (node:cluster); worker 1 runs the admin listener; above 1 needs --redis-url in enforce mode (see docs/proxy.md)', default: '1' },
    'login-timeout': { type: 'string', value: 'SECONDS', description: 'a login Fleet started with no callback after this is recorded as no_idp_response (at most Fleet\'s 900 s SSO session)', default: '300' },
    'shutdown-grace': { type: 'string', value: 'SECONDS', description: 'on SIGTERM: stop accepting, let in-flight requests finish this long, close websockets (1001), exit 0', default: '30' },
    ...ENTRA_OPTIONS,
  },
  async run(args, io) {
    const o = new OptionReader(args);
    const upstream = o.url('upstream', true);
    const publicUrl = o.url('public-url', true);
    const listen = o.listen('listen');
    const adminListen = o.listen('admin-listen');
    const metadataArg = o.required('metadata', 'a file or an http(s) URL');
    const mode = o.str('mode') ?? 'observe';
    if (mode !== 'observe' && mode !== 'enforce') o.problems.push(`--mode: observe or enforce, got "${mode}"`);
    const tls = o.keyPair('tls-cert', 'tls-key');
    const { ca: upstreamCa, insecure } = o.trust('upstream-ca', 'upstream-insecure');
    const redisUrl = o.str('redis-url');
    if (redisUrl !== undefined) for (const p of parseRedisUrl(redisUrl).problems) o.problems.push(`--redis-url: ${p}`);
    const graceS = o.int('shutdown-grace', 0, 3600) ?? 30;
    const loginTimeoutS = o.int('login-timeout', 1, SSO_SESSION_VALIDITY_SECONDS) ?? 300;
    const analysisWorkers = o.int('analysis-workers', 0, 64) ?? 1;
    const entra = readEntraOptions(o, metadataArg);
    const metadata: ProxyOptions['metadata'] = /^https?:\/\//i.test(metadataArg) ? { url: metadataArg } : { file: metadataArg };
    const opts: ProxyOptions = {
      upstream: upstream?.toString() ?? '',
      listen: listen ?? { host: '0.0.0.0', port: 8080 },
      ...(tls ? { tls } : {}),
      upstreamCa,
      upstreamInsecure: insecure,
      metadata,
      entityId: o.str('entity-id') ?? 'fleet',
      publicUrl: publicUrl?.toString().replace(/\/$/, '') ?? '',
      urlPrefix: o.str('url-prefix') ?? '',
      fleetVersion: o.fleetVersion(),
      loginTimeoutMs: loginTimeoutS * 1000,
      mode: mode as ProxyOptions['mode'],
      edge: o.bool('edge'),
      allowIdpInitiated: o.bool('allow-idp-initiated'),
      adminListen: adminListen ?? { host: '127.0.0.1', port: 9090 },
      adminToken: o.str('admin-token'),
      trustedProxies: o.list('trusted-proxies'),
      logSaml: o.bool('log-saml'),
      maskNameId: o.bool('mask-nameid'),
      quietAgentLogs: o.bool('quiet-agent-logs'),
      analysisWorkers,
      ...(entra ? { entra: { graph: entra, appId: entra.appId } } : {}),
      ...(redisUrl ? { redisUrl, redisPrefix: o.str('redis-prefix') ?? 'samlscope:' } : {}),
    };
    if (upstream) {
      // the library's own checks (upstream path, trusted proxies ...) in the CLI's words
      const names: Record<string, string> = { upstream: '--upstream', trustedProxies: '--trusted-proxies', publicUrl: '--public-url', adminToken: '--admin-token' };
      for (const p of checkProxyOptions({ ...opts, publicUrl: opts.publicUrl || 'http://x', mode: 'observe', upstreamCa: undefined })) {
        const field = p.split(':', 1)[0];
        o.problems.push(`${names[field] ?? field}:${p.slice(field.length + 1)}`);
      }
    }
    const workers = o.int('workers', 1, 64) ?? 1;
    // without shared state each worker correlates and detects replays alone: enforce would block logins whose callback lands elsewhere
    if (workers > 1 && !redisUrl && mode === 'enforce') o.problems.push('--workers: above 1 in enforce mode needs --redis-url (AuthnRequests and the replay cache must be shared by the workers)');
    o.check();
    const logger = pino({ name: 'samlscope-proxy' });
    if (workers > 1 && !isClusterWorker()) return runPrimary(workers, graceS, Boolean(redisUrl), opts, logger, io);
    const role = workers > 1 ? await workerRole() : null;
    const log = role ? logger.child({ worker: role.index }) : logger;
    let handle: Awaited<ReturnType<typeof startProxy>>;
    try {
      // every worker keeps metrics; worker 1's /metrics is the sum over all of them (asked for only when scraped)
      handle = await startProxy({ ...opts, logger: log, ...(role ? { clusterMetrics: { scrape: scrapeClusterMetrics } } : {}), ...(role && !role.admin ? { adminListen: false as const } : {}) });
    } catch (e) {
      if (role) reportFailed((e as Error).message);
      throw e;
    }
    if (role && handle.metrics) answerMetricsRequests(handle.metrics.json);
    if (role) reportReady({ url: handle.url, adminUrl: handle.adminUrl, acsUrl: handle.acsUrl });
    else io.stderr(`samlscope proxy (${opts.mode}${opts.edge ? ', edge: SSO routes only' : ''}) on ${handle.url} → ${opts.upstream}; admin ${handle.adminUrl ?? 'off'}; ACS ${handle.acsUrl}\n`);
    await (role ? Promise.race([io.stopSignal, drainRequested()]) : io.stopSignal);
    if (role) {
      await handle.close({ graceMs: graceS * 1000 });
      return 0;
    }
    io.stderr(`samlscope proxy stopping: draining connections for up to ${graceS} s\n`);
    await handle.close({ graceMs: graceS * 1000 });
    return 0;
  },
};

/** --workers N > 1, in the primary: fork, report, replace crashed workers, drain them all on SIGTERM / SIGINT. */
async function runPrimary(workers: number, graceS: number, shared: boolean, opts: ProxyOptions, logger: pino.Logger, io: Parameters<CommandDef['run']>[1]): Promise<number> {
  if (!shared) {
    logger.warn({ event: 'proxy.workers_without_shared_state', workers }, 'several workers without --redis-url: each keeps its own AuthnRequests and replay cache, so SSO correlation and replay detection only work when a login stays on one worker');
    io.stderr(`samlscope proxy: warning: --workers ${workers} without --redis-url: SSO correlation and replay detection are per worker (see docs/proxy.md)\n`);
  }
  const c = startCluster({
    workers, killAfterMs: graceS * 1000 + 10_000,
    onEvent: (e) => (e.event === 'worker.exited' && e.replacing ? logger.error(e, 'proxy worker died; replacing it') : logger.info(e, e.event)),
  });
  let ready: Awaited<typeof c.ready>;
  try {
    ready = await Promise.race([c.ready, io.stopSignal.then(() => null)]) as Awaited<typeof c.ready>;
  } catch (e) {
    await c.stop();
    throw e;
  }
  if (ready) {
    io.stderr(`samlscope proxy (${opts.mode}) on ${ready.url} → ${opts.upstream}; admin ${ready.adminUrl ?? 'off'} (worker 1); ACS ${ready.acsUrl}; workers ${workers} (pids ${ready.pids.join(', ')})\n`);
    await io.stopSignal;
  }
  io.stderr(`samlscope proxy stopping: draining ${workers} workers for up to ${graceS} s\n`);
  return c.stop();
}
