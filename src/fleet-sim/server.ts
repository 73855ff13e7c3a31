// startFleetSim(): a Fleet stand-in for tests and the demo (FLEET.md's SSO routes, cookies and answers, plus agent-like traffic), not Fleet.
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { jitRoles, acceptedAudiences, acsUrlFor, MDM_BROWSER_CALLBACK_PATH, MDM_SSO_PATH, routeSpellings, SSO_PATH, SSO_ROUTES, SSO_SESSION_COOKIE, SSO_SESSION_VALIDITY_SECONDS, fleetProfile, NEWEST_KNOWN_FLEET, tokenCookieName, TOKEN_COOKIE_NAMES, type SsoFlow, type SsoRoute } from '../fleet/index.js';
import { buildAuthnRequest } from './authn-request.js';
import { MAX_SSO_CALLBACK_BYTES, readCallbackRequest } from '../fleet/callback-request.js';
import { fetchSimMetadata, parseSimMetadata, type SimMetadata } from './metadata.js';
import { failurePage, homePage, loginPage, successPage, type LoginStatus } from './pages.js';
import { trafficRoutes } from './traffic-routes.js';
import { validateFleetResponse } from './validate.js';
import { attachWsEcho } from './websocket.js';

/** Fleet's SSO session cookie (re-exported for tests that play the browser) */
export const SSO_COOKIE = SSO_SESSION_COOKIE;

export interface FleetSimUser {
  email: string;
  ssoEnabled: boolean;
  name?: string;
  /** Fleet's global_role (admin, maintainer, observer, observer_plus, technician, gitops) or null with team roles */
  globalRole?: string | null;
  teams?: { id: number; role: string }[];
}

/** Settings that configure() may change while running. */
export interface FleetSimSettings {
  /** Fleet's server_url: the PUBLIC URL (the proxy's in the demo); defaults to where fleet-sim listens */
  serverUrl?: string;
  /** sso_settings.sso_server_url: a second public URL for the ACS */
  ssoServerUrl?: string;
  /** server.url_prefix, e.g. /fleet ('' by default) */
  urlPrefix?: string;
  /** the Fleet release whose rules fleet-sim follows (default: the newest samlscope knows; src/fleet/versions.ts) */
  fleetVersion?: string;
  entityId?: string;
  idpName?: string;
  /** inline metadata XML (sso_settings.metadata) */
  metadataXml?: string;
  /** sso_settings.metadata_url: fetched on every initiate with a 5 s timeout, like Fleet */
  metadataUrl?: string;
  enableSso?: boolean;
  /** sso_settings.enable_sso_idp_login */
  allowIdpInitiated?: boolean;
  users?: FleetSimUser[];
  /** auth.sso_session_validity_period in seconds (Fleet: 900) */
  sessionTtlSeconds?: number;
  /** the API token GET /api/v1/fleet/config accepts; without one that endpoint always answers 401 */
  apiToken?: string;
  /** Fleet Premium with sso_settings.enable_jit_provisioning: a first login creates the user from the FLEET_JIT_USER_ROLE_* attributes */
  jit?: boolean;
}

export interface FleetSimLogger {
  info: (obj: object, msg?: string) => void;
  warn: (obj: object, msg?: string) => void;
}

export interface FleetSimOptions extends FleetSimSettings {
  host?: string;
  port?: number;
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** fleet-sim's own clock (IssueInstant age, session TTL); node-saml's time checks use the real clock */
  now?: () => Date;
  logger?: FleetSimLogger;
}

/** One thing fleet-sim decided, with the reason Fleet would only write to its server log. */
export interface FleetSimEvent {
  time: string;
  kind: 'initiate' | 'callback';
  route: string;
  /** initiate: 'ok' or 'failed'; callback: 'success', a Fleet login status, or 'bad_request' */
  outcome: 'ok' | 'failed' | 'success' | LoginStatus | 'bad_request';
  /** stable reason: a RejectReason of validate.ts, or session_not_found, metadata_unavailable, sso_disabled, account_invalid ... */
  reason?: string;
  detail?: string;
  requestId?: string;
  sessionFound?: boolean;
  nameId?: string;
}

export interface FleetSimHandle {
  /** where fleet-sim listens */
  url: string;
  /** Fleet's server_url as configured now */
  serverUrl(): string;
  /** the ACS URL Fleet computes: (sso_server_url | server_url) + url_prefix + /api/v1/fleet/sso/callback */
  acsUrl(): string;
  configure(patch: FleetSimSettings): void;
  /** every decision, oldest first */
  events: FleetSimEvent[];
  /** open SSO sessions (not yet used, not expired) */
  sessionCount(): number;
  /** session tokens issued, token → email */
  tokens: Map<string, string>;
  close(): Promise<void>;
}

interface SsoSession {
  requestId: string;
  metadata: SimMetadata;
  originalUrl: string;
  kind: 'sso' | 'mdm';
  expiresAt: number;
}


function parseCookies(header: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) m.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return m;
}

function fleetError(message: string, reason: string): object {
  return { message, errors: [{ name: 'base', reason }] };
}

/** A relay URL is only followed when it is a local path (no scheme, no //host). */
function safeLocalPath(u: unknown, fallback: string): string {
  return typeof u === 'string' && /^\/(?![/\\])/.test(u) ? u : fallback;
}

export async function startFleetSim(opts: FleetSimOptions = {}): Promise<FleetSimHandle> {
  const now = opts.now ?? (() => new Date());
  const s: Required<Omit<FleetSimSettings, 'serverUrl' | 'ssoServerUrl' | 'metadataXml' | 'metadataUrl' | 'apiToken' | 'jit'>> & FleetSimSettings = {
    urlPrefix: '',
    entityId: 'fleet',
    idpName: 'Microsoft Entra ID',
    enableSso: true,
    allowIdpInitiated: false,
    users: [],
    sessionTtlSeconds: SSO_SESSION_VALIDITY_SECONDS,
    fleetVersion: NEWEST_KNOWN_FLEET,
    ...opts,
  };
  const events: FleetSimEvent[] = [];
  const sessions = new Map<string, SsoSession>();
  const tokens = new Map<string, string>();
  let listenUrl = '';

  const prefix = () => (s.urlPrefix ?? '').replace(/\/+$/, '');
  // unset, server_url is where fleet-sim answers, as a consistent deployment sets it: with the subpath where the ACS
  // rule takes it from server_url (Fleet ≥ 4.89.0), without it where url_prefix is joined in (older)
  const serverUrl = () => (s.serverUrl ?? listenUrl + (fleetProfile(s.fleetVersion).acsIncludesUrlPrefix ? '' : prefix())).replace(/\/+$/, '');
  const fleetSettings = () => ({ serverUrl: serverUrl(), ssoServerUrl: s.ssoServerUrl, urlPrefix: s.urlPrefix, fleetVersion: s.fleetVersion, entityId: s.entityId });
  const acsFor = (kind: SsoFlow) => acsUrlFor(fleetSettings(), kind);
  const audiences = (kind: SsoFlow) => acceptedAudiences(fleetSettings(), kind);
  const secure = () => serverUrl().startsWith('https:');
  const tokenCookie = () => tokenCookieName(serverUrl());

  const record = (e: Omit<FleetSimEvent, 'time'>) => {
    const ev = { time: now().toISOString(), ...e };
    events.push(ev);
    if (events.length > 1000) events.shift();
    if (opts.logger) {
      const { time: _time, ...fields } = ev; // the logger stamps its own time
      (ev.outcome === 'ok' || ev.outcome === 'success' ? opts.logger.info : opts.logger.warn)({ event: `fleet-sim.${ev.kind}`, ...fields }, `fleet-sim ${ev.kind}: ${ev.outcome}`);
    }
  };

  const currentMetadata = async (): Promise<SimMetadata> => {
    if (s.metadataXml) return parseSimMetadata(s.metadataXml);
    if (s.metadataUrl) return parseSimMetadata(await fetchSimMetadata(s.metadataUrl));
    throw new Error('no IdP metadata configured (metadata or metadata_url)');
  };

  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    ...(opts.tls ? { https: { key: opts.tls.key, cert: opts.tls.cert } } : {}),
  }) as unknown as FastifyInstance;

  const routes = async (r: FastifyInstance) => {

    r.get(SSO_PATH, async () => ({ settings: { idp_name: s.idpName, idp_image_url: '', sso_enabled: s.enableSso } }));

    const initiate = (kind: 'sso' | 'mdm') => async (req: FastifyRequest, reply: FastifyReply) => {
      const route = kind === 'mdm' ? MDM_SSO_PATH : SSO_PATH;
      if (!s.enableSso) {
        record({ kind: 'initiate', route, outcome: 'failed', reason: 'sso_disabled' });
        return reply.code(422).send(fleetError('Validation Failed', 'organization not configured to use sso'));
      }
      let metadata: SimMetadata;
      try {
        metadata = await currentMetadata();
      } catch (e) {
        record({ kind: 'initiate', route, outcome: 'failed', reason: 'metadata_unavailable', detail: (e as Error).message });
        return reply.code(500).send(fleetError('could not get IdP metadata', (e as Error).message));
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const originalUrl = safeLocalPath(body.relay_url, prefix() + '/');
      const ar = buildAuthnRequest({ entityId: s.entityId, acsUrl: acsFor(kind), destination: metadata.redirectSsoUrl, now: now() });
      const sessionId = randomBytes(24).toString('base64url');
      for (const [k, v] of sessions) if (v.expiresAt <= now().getTime()) sessions.delete(k);
      sessions.set(sessionId, { requestId: ar.id, metadata, originalUrl, kind, expiresAt: now().getTime() + s.sessionTtlSeconds * 1000 });
      record({ kind: 'initiate', route, outcome: 'ok', requestId: ar.id });
      reply.header('set-cookie', `${SSO_COOKIE}=${sessionId}; Path=/; Max-Age=${s.sessionTtlSeconds}; Secure; HttpOnly`);
      return { url: ar.url };
    };
    // every spelling Fleet's router answers (admin SSO: /api/v1/ only; MDM: /api/_version_/), see src/fleet/routes.ts
    const routesOf = (kind: SsoRoute['kind']) => SSO_ROUTES.filter((x) => x.kind === kind);
    for (const route of routesOf('initiate')) for (const path of routeSpellings(route)) r.post(path, initiate(route.flow));

    const callback = (kind: 'sso' | 'mdm') => async (req: FastifyRequest, reply: FastifyReply) => {
      const route = (kind === 'mdm' ? MDM_SSO_PATH : SSO_PATH) + '/callback';
      // the request read as Fleet's Go decoder reads it (src/fleet/callback-request.ts): a 400/413 before any SAML check
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const read = readCallbackRequest({
        method: req.method, target: req.raw.url ?? req.url, contentType: req.headers['content-type'],
        body: body.subarray(0, MAX_SSO_CALLBACK_BYTES + 1), bodyOverCap: body.length > MAX_SSO_CALLBACK_BYTES,
      });
      if (read.outcome === 'refused') {
        record({ kind: 'callback', route, outcome: 'bad_request', reason: read.reason, detail: read.detail });
        return reply.code(read.status).send(fleetError(read.status === 413 ? 'Payload Too Large' : 'Bad request', read.detail));
      }
      const raw = read.decoded.toString('base64');
      const sessionId = parseCookies(req.headers.cookie).get(SSO_COOKIE);
      let session = sessionId ? sessions.get(sessionId) : undefined;
      if (sessionId) sessions.delete(sessionId); // single use: read, then deleted
      if (session && session.expiresAt <= now().getTime()) session = undefined;
      reply.header('set-cookie', `${SSO_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly`);

      const done = (outcome: LoginStatus | 'success', reason: string | undefined, extra: Partial<FleetSimEvent>, token?: string) => {
        record({ kind: 'callback', route, outcome, reason, sessionFound: Boolean(session), requestId: session?.requestId, ...extra });
        if (kind === 'mdm') {
          const q = outcome === 'success' ? `enrollment_reference=${randomBytes(16).toString('hex')}` : 'error=true';
          return reply.code(303).header('location', `${prefix()}${MDM_BROWSER_CALLBACK_PATH}?${q}`).send();
        }
        reply.type('text/html; charset=utf-8');
        if (outcome === 'success' && token) {
          return reply.send(successPage({ cookieName: tokenCookie(), token, redirect: session?.originalUrl ?? prefix() + '/', secure: secure() }));
        }
        return reply.send(failurePage(`${prefix()}/login?status=${outcome}`));
      };

      if (!session && !s.allowIdpInitiated) {
        return done('error', sessionId ? 'session_not_found' : 'idp_initiated_disabled', { detail: sessionId ? 'SSO session unknown, used or expired' : 'no SSO session cookie and IdP-initiated login is disabled' });
      }
      let metadata = session?.metadata;
      if (!metadata) {
        try {
          metadata = await currentMetadata();
        } catch (e) {
          return done('error', 'metadata_unavailable', { detail: (e as Error).message });
        }
      }
      const v = await validateFleetResponse({
        samlResponseB64: raw,
        metadata,
        entityId: s.entityId,
        acsUrl: acsFor(kind),
        audiences: audiences(kind),
        requestId: session?.requestId ?? null,
        allowIdpInitiated: s.allowIdpInitiated,
        now: now(),
      });
      if (!v.ok) return done('error', v.reason, { detail: v.detail });
      if (!s.enableSso) return done('org_disabled', 'sso_disabled', { nameId: v.nameId });
      if (kind === 'mdm') return done('success', undefined, { nameId: v.nameId });
      let user = s.users.find((u) => u.email.toLowerCase() === v.nameId.toLowerCase());
      let jitCreated: string | undefined;
      if (s.jit) {
        // Fleet Premium JIT: roles from the attributes (a refused role fails the login), the user created on first login
        const roles = jitRoles(v.attributes);
        if (!roles.ok) return done('error', roles.reason, { nameId: v.nameId, detail: roles.detail });
        if (!user) {
          user = { email: v.nameId, ssoEnabled: true, name: roles.name ?? v.nameId, globalRole: roles.globalRole, teams: roles.teams };
          s.users = [...s.users, user];
          jitCreated = `JIT created the user: ${roles.globalRole ? `global ${roles.globalRole}` : roles.teams.map((t) => `team ${t.id} ${t.role}`).join(', ')}`;
        } else if (roles.fromAttributes) {
          user.globalRole = roles.globalRole;
          user.teams = roles.teams;
        }
      }
      if (!user) return done('account_invalid', 'account_invalid', { nameId: v.nameId, detail: 'no Fleet user with that email (no JIT provisioning)' });
      if (!user.ssoEnabled) return done('account_disabled', 'account_disabled', { nameId: v.nameId, detail: 'the user exists but is not SSO-enabled' });
      const token = randomBytes(32).toString('base64url');
      tokens.set(token, user.email);
      return done('success', undefined, { nameId: v.nameId, ...(jitCreated ? { detail: jitCreated } : {}) }, token);
    };
    // callbacks take their body as bytes, whatever the Content-Type: the model decides what Fleet reads of them
    await r.register(async (cb) => {
      cb.removeAllContentTypeParsers();
      cb.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * MAX_SSO_CALLBACK_BYTES }, (_req, b, done) => done(null, b));
      for (const route of routesOf('callback')) for (const path of routeSpellings(route)) cb.post(path, callback(route.flow));
    });

    r.get('/api/v1/fleet/config', async (req, reply) => {
      const auth = req.headers.authorization ?? '';
      if (!s.apiToken || auth !== `Bearer ${s.apiToken}`) return reply.code(401).send(fleetError('Authentication required', 'Authentication required'));
      return {
        server_settings: { server_url: serverUrl() },
        sso_settings: {
          enable_sso: s.enableSso,
          entity_id: s.entityId,
          idp_name: s.idpName,
          idp_image_url: '',
          metadata: s.metadataXml ?? '',
          metadata_url: s.metadataUrl ?? '',
          enable_sso_idp_login: s.allowIdpInitiated,
          enable_jit_provisioning: s.jit === true,
          sso_server_url: s.ssoServerUrl ?? '',
        },
        // with jit fleet-sim answers as Fleet Premium, else as Fleet Free
        license: s.jit ? { tier: 'premium', expiration: '2099-01-01T00:00:00Z' } : { tier: 'free', expiration: '0001-01-01T00:00:00Z' },
      };
    });

    // GET /api/v1/fleet/users as Fleet answers it (global admin token; page / per_page, 0-based pages; query matches name or email)
    r.get('/api/v1/fleet/users', async (req, reply) => {
      const auth = req.headers.authorization ?? '';
      if (!s.apiToken || auth !== `Bearer ${s.apiToken}`) return reply.code(401).send(fleetError('Authentication required', 'Authentication required'));
      const qs = (req.query ?? {}) as Record<string, string | undefined>;
      const perPage = Math.max(1, Math.min(10_000, Number(qs.per_page ?? 1_000_000) || 1_000_000));
      const page = Math.max(0, Number(qs.page ?? 0) || 0);
      const query = (qs.query ?? '').toLowerCase();
      const all = s.users.filter((u) => !query || u.email.toLowerCase().includes(query) || (u.name ?? '').toLowerCase().includes(query));
      return {
        users: all.slice(page * perPage, page * perPage + perPage).map((u) => {
          const id = s.users.indexOf(u) + 1;
          return {
            created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', id, name: u.name ?? u.email, email: u.email,
            force_password_reset: false, gravatar_url: '', sso_enabled: u.ssoEnabled, mfa_enabled: false,
            global_role: u.globalRole === undefined ? 'observer' : u.globalRole, api_only: false, teams: u.teams ?? [],
          };
        }),
      };
    });

    r.get('/api/v1/fleet/me', async (req, reply) => {
      const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
      const email = m ? tokens.get(m[1]) : undefined;
      if (!email) return reply.code(401).send(fleetError('Authentication required', 'Authentication required'));
      const user = s.users.find((u) => u.email === email);
      return { user: { email, name: user?.name ?? email, sso_enabled: user?.ssoEnabled ?? true } };
    });

    r.get('/login', async (req, reply) => {
      const status = (req.query as Record<string, string>).status ?? null;
      return reply.type('text/html; charset=utf-8').send(loginPage({ prefix: prefix(), status, idpName: s.idpName, ssoEnabled: s.enableSso }));
    });
    r.get('/', async (req, reply) => {
      const c = parseCookies(req.headers.cookie);
      const token = TOKEN_COOKIE_NAMES.map((n) => c.get(n)).find((v) => v !== undefined);
      return reply.type('text/html; charset=utf-8').send(homePage({ email: (token && tokens.get(token)) || null, prefix: prefix() }));
    });
    r.get('/mdm/sso/callback', async (req, reply) => reply.type('text/html; charset=utf-8').send(
      `<!DOCTYPE html><html><body><p>fleet-sim: MDM SSO ${(req.query as Record<string, string>).error ? 'failed' : 'done'}</p></body></html>`));
    await r.register(trafficRoutes);
  };
  await app.register(routes, { prefix: prefix() });

  const host = opts.host ?? '127.0.0.1';
  await app.listen({ host, port: opts.port ?? 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  listenUrl = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const ws = attachWsEcho(app.server, prefix());

  return {
    url: listenUrl,
    serverUrl,
    acsUrl: () => acsFor('sso'),
    configure(patch) {
      if (patch.urlPrefix !== undefined && patch.urlPrefix !== s.urlPrefix) throw new Error('urlPrefix cannot change while running');
      Object.assign(s, patch);
    },
    events,
    sessionCount: () => [...sessions.values()].filter((v) => v.expiresAt > now().getTime()).length,
    tokens,
    async close() {
      ws.close();
      await app.close();
    },
  };
}
