// startDemo(): fleet-sim, the mock Entra IdP, the samlscope proxy (TLS, self-signed) and a landing page, wired together on loopback.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startFleetSim, type FleetSimHandle, type FleetSimLogger } from '../fleet-sim/server.js';
import { parseConfig, type IdpConfig } from '../idp/config.js';
import { loadOrCreateStateKeys, repoCertsDir } from '../idp/keys.js';
import { startMockIdp, type IdpLogger, type MockIdpHandle } from '../idp/server.js';
import type { Attempt } from '../proxy/attempt.js';
import { startProxy, type ProxyHandle, type ProxyMode } from '../proxy/server.js';
import { MemoryStore, type ProxyStore } from '../proxy/store.js';
import { startLanding, type LandingHandle } from './landing.js';
import { DEFAULT_DEMO_PORTS, withPortFallback, type DemoPorts } from './ports.js';
import { DEMO_ENTITY_ID, DEMO_SCENARIOS, DEMO_USERS, demoFleetUsers, type DemoUser } from './scenarios.js';
import { defaultStateDir, ensureStateDir, loadOrCreateDemoTls } from './state.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface DemoOptions {
  /** keys and the TLS cert live here; default $XDG_STATE_HOME/samlscope/demo or ~/.samlscope/demo, else a temp folder */
  stateDir?: string;
  /** loopback only: 127.0.0.1 (default), ::1 or localhost */
  host?: string;
  /** the proxy's port (default 8443; 0 = any free port) */
  proxyPort?: number;
  /** the other ports (defaults in DEFAULT_DEMO_PORTS); a taken port falls back to a free one */
  ports?: Partial<DemoPorts>;
  /** every port 0 (tests, several demos at once) */
  randomPorts?: boolean;
  mode?: ProxyMode;
  /** a login with no callback after this becomes a no_idp_response attempt (default: the proxy's 5 min) */
  loginTimeoutMs?: number;
  logger?: Logger;
  /** called with every SSO attempt the proxy records (after Fleet answered) */
  onAttempt?: (a: Attempt) => void;
  /** fixture IdP config (default fixtures/idp/fleet.json) */
  idpConfigFile?: string;
  /** serve the mock's token endpoint and Graph subset and point the proxy at it (default true) */
  graph?: boolean;
  /** fleet-sim answers as Fleet Premium with JIT provisioning: carol's first login creates her (role from FLEET_JIT_USER_ROLE_GLOBAL) */
  jit?: boolean;
  /** the proxy's sign-in log polls (default 2, 4, 8, 16, 32 s: the mock's log has no lag) */
  entraPollDelaysMs?: number[];
  /** called when an attempt is changed in place (Entra's sign-in log matched, a pasted error) */
  onAttemptUpdated?: (a: Attempt) => void;
}

/** What preflight and the proxy need to read the mock Entra through Graph (test-only, loopback). */
export interface DemoEntraInfo {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  graphUrl: string;
  /** the Fleet enterprise app's Application ID */
  appId: string;
}

export interface DemoUserInfo extends DemoUser {
  /** the landing page link that starts this user's login */
  loginUrl: string;
}

export interface DemoHandle {
  /** Fleet as users reach it: the samlscope proxy (https, self-signed) */
  proxyUrl: string;
  /** the proxy's admin listener: /api/attempts, /healthz */
  adminUrl: string;
  /** the mock Entra ID */
  idpUrl: string;
  /** fleet-sim itself (bypasses the proxy) */
  fleetUrl: string;
  /** the demo's landing page (https, same cert) */
  landingUrl: string;
  users: DemoUserInfo[];
  mode: ProxyMode;
  entityId: string;
  stateDir: string;
  /** the state folder could not be used; a temp folder holds the keys this time */
  stateDirFallback: boolean;
  /** the self-signed TLS cert (PEM) of the proxy and landing page: trust it as a CA */
  caPem: string;
  tlsCertFile: string;
  /** key or cert files generated during this start (first run) */
  created: string[];
  /** a global admin API token of fleet-sim (GET /api/v1/fleet/config, /users) */
  fleetApiToken: string;
  /** Graph access to the mock Entra (its TLS uses caPem); null with graph: false */
  entra: DemoEntraInfo | null;
  close(): Promise<void>;
}

/** The proxy's store, telling the demo about each attempt as it is recorded. */
class NotifyingStore implements ProxyStore {
  constructor(private readonly inner: ProxyStore, private readonly onAttempt: (a: Attempt) => void, private readonly onUpdate: (a: Attempt) => void = () => {}) {}
  recordAuthnRequest: ProxyStore['recordAuthnRequest'] = (s, r, t) => this.inner.recordAuthnRequest(s, r, t);
  takeAuthnRequest: ProxyStore['takeAuthnRequest'] = (s) => this.inner.takeAuthnRequest(s);
  seenAssertion: ProxyStore['seenAssertion'] = (id, e) => this.inner.seenAssertion(id, e);
  expectCallback: ProxyStore['expectCallback'] = (r, d) => this.inner.expectCallback(r, d);
  callbackArrived: ProxyStore['callbackArrived'] = (id) => this.inner.callbackArrived(id);
  claimUnanswered: ProxyStore['claimUnanswered'] = (n, l) => this.inner.claimUnanswered(n, l);
  listExpected: ProxyStore['listExpected'] = (l) => this.inner.listExpected(l);
  async updateAttempt(a: Attempt): Promise<boolean> {
    const ok = await this.inner.updateAttempt(a);
    if (ok) try { this.onUpdate(a); } catch { /* a listener's failure never breaks the proxy */ }
    return ok;
  }
  listAttempts: ProxyStore['listAttempts'] = (l) => this.inner.listAttempts(l);
  getAttempt: ProxyStore['getAttempt'] = (id) => this.inner.getAttempt(id);
  health: ProxyStore['health'] = () => this.inner.health();
  close: ProxyStore['close'] = () => this.inner.close();
  async addAttempt(a: Attempt): Promise<void> {
    await this.inner.addAttempt(a);
    try { this.onAttempt(a); } catch { /* a listener's failure never breaks the proxy */ }
  }
}

/** The fixture tenant with Fleet's demo entity ID added to the Fleet app's Identifiers. */
export function demoIdpConfig(file: string): IdpConfig {
  const parsed = parseConfig(readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(`demo IdP config ${file}: ${parsed.problems.join('; ')}`);
  const [first, ...rest] = parsed.config.apps;
  if (!first) throw new Error(`demo IdP config ${file}: no app`);
  return { ...parsed.config, apps: [{ ...first, identifiers: [...new Set([...first.identifiers, DEMO_ENTITY_ID])] }, ...rest] };
}

function childLogger(log: Logger | undefined, component: string): FleetSimLogger & IdpLogger | undefined {
  if (!log) return undefined;
  const c = log.child({ component });
  return { info: (obj: object, msg?: string) => c.info(obj, msg), warn: (obj: object, msg?: string) => c.warn(obj, msg) };
}

export async function startDemo(opts: DemoOptions = {}): Promise<DemoHandle> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`the demo runs a MOCK IdP that signs anything: it only listens on loopback (127.0.0.1, ::1, localhost), not "${host}"`);
  const mode: ProxyMode = opts.mode ?? 'observe';
  if (mode !== 'observe' && mode !== 'enforce') throw new Error(`mode: observe or enforce, got "${String(mode)}"`);
  const ports: DemoPorts = opts.randomPorts
    ? { landing: 0, idp: 0, fleet: 0, proxy: 0, admin: 0 }
    : { ...DEFAULT_DEMO_PORTS, ...opts.ports };
  if (opts.proxyPort !== undefined) ports.proxy = opts.proxyPort;
  const log = opts.logger;
  const now = new Date();

  const state = ensureStateDir(opts.stateDir ?? defaultStateDir({}, homedir()));
  if (state.fallback) log?.warn({ event: 'demo.state_dir_fallback', dir: state.dir, problem: state.problem }, 'demo state folder not usable; using a temp folder');
  const created: string[] = [];
  const tls = await loadOrCreateDemoTls(state.dir, host, now);
  if (tls.created) created.push(tls.certFile, tls.keyFile);
  const idpKeys = await loadOrCreateStateKeys(join(state.dir, 'idp-keys'), now);
  created.push(...idpKeys.created.map((b) => join(state.dir, 'idp-keys', b)));
  const idpConfig = demoIdpConfig(opts.idpConfigFile ?? join(repoCertsDir(), '..', 'fixtures', 'idp', 'fleet.json'));

  const entraClient = { clientId: '5a31c0de-0000-4000-8000-00000000d3e0', secret: `test-only-${randomBytes(18).toString('base64url')}` };
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const fleetApiToken = randomBytes(18).toString('base64url');
    const fleet: FleetSimHandle = await withPortFallback(ports.fleet, (port) => startFleetSim({
      host, port, entityId: DEMO_ENTITY_ID, users: demoFleetUsers(), idpName: 'Microsoft Entra ID (MOCK)', logger: childLogger(log, 'fleet-sim'), apiToken: fleetApiToken, jit: opts.jit === true,
    }));
    closers.push(() => fleet.close());

    const inner = new MemoryStore();
    const store: ProxyStore = opts.onAttempt || opts.onAttemptUpdated ? new NotifyingStore(inner, opts.onAttempt ?? (() => {}), opts.onAttemptUpdated) : inner;
    const idp: MockIdpHandle = await withPortFallback(ports.idp, (port) => startMockIdp({
      config: idpConfig, host, port, keys: idpKeys.keys, logger: childLogger(log, 'mock-idp'),
      graph: opts.graph === false ? undefined : {
        tls: { cert: tls.certPem, key: tls.keyPem },
        clients: [{ clientId: entraClient.clientId, secret: entraClient.secret, permissions: ['Application.Read.All', 'Directory.Read.All', 'AuditLog.Read.All'] }],
      },
    }));
    closers.push(() => idp.close());
    const res = await fetch(idp.metadataUrl, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`the mock IdP's metadata answered HTTP ${res.status}`);
    const metadataXml = await res.text();
    // The proxy's own URL is Fleet's server_url; the proxy learns it when it listens, then Fleet and the IdP are told.
    const fixedPorts = { proxy: ports.proxy, admin: ports.admin };
    const proxy: ProxyHandle = await withPortFallback(fixedPorts.proxy, (port) => startProxy({
      upstream: fleet.url,
      listen: { host, port },
      tls: { cert: tls.certPem, key: tls.keyPem },
      metadata: { xml: metadataXml },
      entityId: DEMO_ENTITY_ID,
      mode,
      adminListen: { host, port: port === 0 ? 0 : fixedPorts.admin },
      store,
      logger: log?.child({ component: 'proxy' }),
      quietAgentLogs: true,
      loginTimeoutMs: opts.loginTimeoutMs,
      entra: idp.graph ? {
        graph: { tenantId: idp.tenantId, clientId: entraClient.clientId, clientSecret: entraClient.secret, authorityHost: idp.graph.url, graphUrl: idp.graph.url, ca: tls.certPem },
        appId: idpConfig.apps[0].appId,
        pollDelaysMs: opts.entraPollDelaysMs ?? [2_000, 4_000, 8_000, 16_000, 32_000],
      } : undefined,
    }));
    closers.push(() => proxy.close());
    idp.addReplyUrls([proxy.acsUrl]);
    fleet.configure({ serverUrl: proxy.url, metadataXml });
    const idpHandle = idp;
    if (!proxy.adminUrl) throw new Error('the proxy started without its admin listener');
    const adminUrl = proxy.adminUrl;

    const info = { proxyUrl: proxy.url, adminUrl, idpUrl: idpHandle.url, fleetUrl: fleet.url, mode, entityId: DEMO_ENTITY_ID };
    const landing: LandingHandle = await withPortFallback(ports.landing, (port) => startLanding({
      host, port, tls: { key: tls.keyPem, cert: tls.certPem }, info, proxyCa: tls.certPem,
      listAttempts: (limit) => store.listAttempts(limit),
      getAttempt: (id) => store.getAttempt(id),
    }));
    closers.push(() => landing.close());

    const users: DemoUserInfo[] = DEMO_USERS.map((u) => {
      const scenario = DEMO_SCENARIOS.find((s) => s.user === u.email && !s.fault);
      return { ...u, loginUrl: `${landing.url}/start?scenario=${encodeURIComponent(scenario?.id ?? '')}` };
    });
    log?.info({ event: 'demo.started', ...info, landingUrl: landing.url, stateDir: state.dir }, 'samlscope demo running');
    let closed = false;
    return {
      ...info,
      landingUrl: landing.url,
      users,
      stateDir: state.dir,
      stateDirFallback: state.fallback,
      caPem: tls.certPem,
      tlsCertFile: tls.certFile,
      created,
      fleetApiToken,
      entra: idp.graph ? {
        tenantId: idp.tenantId, clientId: entraClient.clientId, clientSecret: entraClient.secret,
        authorityHost: idp.graph.url, graphUrl: idp.graph.url, appId: idpConfig.apps[0].appId,
      } : null,
      async close() {
        if (closed) return;
        closed = true;
        await closeAll();
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
