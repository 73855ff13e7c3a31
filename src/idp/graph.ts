// The MOCK's Microsoft identity platform token endpoint (client credentials) and a read-only Graph v1.0 subset over TLS, built from the IdP config.
//
// Routes (all under https://HOST:PORT, the authority host and the Graph URL at once):
//   GET  /{tenant}/v2.0/.well-known/openid-configuration     what MSAL reads for a known authority
//   POST /{tenant}/oauth2/v2.0/token                          client_credentials: client_secret or a client_assertion JWT (RS256/PS256)
//   GET  /v1.0/servicePrincipals?$filter=appId eq '…' | preferredSingleSignOnMode eq 'saml'
//   GET  /v1.0/servicePrincipals/{id}/appRoleAssignedTo
//   GET  /v1.0/applications?$filter=appId eq '…' | identifierUris/any(x:x eq '…')
//   GET  /v1.0/users/{id|upn}, /v1.0/users?$filter=mail eq '…', /v1.0/users/{id}/memberOf, /v1.0/users/{id}/transitiveMemberOf
//   GET  /v1.0/auditLogs/signIns?$filter=appId eq '…' and createdDateTime ge …
// Every collection honours $select and $top and pages with @odata.nextLink ($skiptoken).
import { createHash, createPublicKey, randomBytes, randomUUID, verify, X509Certificate, constants } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { type AppConfig, type IdpConfig, type UserConfig } from './config.js';
import type { GraphSignIn } from '../entra/reads.js';

export type GraphPermission = 'Application.Read.All' | 'Directory.Read.All' | 'AuditLog.Read.All' | 'User.Read.All' | 'GroupMember.Read.All';

export interface MockGraphClient {
  clientId: string;
  /** a client secret the token endpoint accepts */
  secret?: string;
  /** a certificate (PEM) whose key signs client assertions */
  certPem?: string;
  /** application permissions granted with admin consent */
  permissions: GraphPermission[];
}

/** A Graph v1.0 signIn as the mock keeps it: the fields samlscope reads (GraphSignIn) and the ones Graph adds. */
export interface MockSignIn extends GraphSignIn {
  clientAppUsed: string;
  conditionalAccessStatus: string;
  isInteractive: boolean;
  resourceDisplayName: string;
  resourceId: string;
}

export interface MockGraphOptions {
  host: string;
  port?: number;
  tls: { cert: string; key: string };
  tenantId: string;
  config: () => IdpConfig;
  clients: MockGraphClient[];
  /** the app signing certs as the SP lists them: the active first */
  signingCerts: () => { certPem: string; active: boolean }[];
  /** 'P1' (default) serves sign-in logs; 'free' answers them 403 as Graph does without Entra ID P1 */
  licence?: 'P1' | 'free';
  /** items per page (default 100; tests use small pages) */
  pageSize?: number;
  now: () => Date;
}

export interface MockGraphHandle {
  /** https://host:port: the authority host and the Graph URL */
  url: string;
  /** the sign-in log, oldest first */
  signIns: MockSignIn[];
  /** records a sign-in (the IdP calls it for each success and each AADSTS page) */
  recordSignIn(e: { app: AppConfig | null; user: UserConfig | null; upn: string; errorCode: number; failureReason: string | null; ip: string; correlationId?: string }): MockSignIn;
  /** the next n Graph requests answer `status` with Retry-After (tests of the client's retries) */
  throttle(n: number, status?: 429 | 503, retryAfterSeconds?: number): void;
  /** Graph requests answered so far, by path (tests) */
  requests: string[];
  close(): Promise<void>;
}

const GRAPH = 'https://graph.microsoft.com/v1.0';
type Obj = Record<string, unknown>;

/** A stable GUID-shaped object ID derived from a seed (the mock's directory has no database). */
export function objectIdFor(kind: string, seed: string): string {
  const h = createHash('sha256').update(`${kind}:${seed}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function b64urlJson(s: string): Obj | null {
  try { return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Obj; } catch { return null; }
}

export function servicePrincipalOf(app: AppConfig, certs: { certPem: string; active: boolean }[]): Obj {
  const parsed = certs.map((c) => ({ ...c, x: new X509Certificate(c.certPem) }));
  const active = parsed.find((c) => c.active);
  return {
    id: objectIdFor('sp', app.appId), appId: app.appId, displayName: app.name, accountEnabled: true,
    appRoleAssignmentRequired: app.assignmentRequired, preferredSingleSignOnMode: app.ssoMode,
    preferredTokenSigningKeyThumbprint: active ? active.x.fingerprint.replace(/:/g, '') : null,
    keyCredentials: parsed.map((c) => ({
      customKeyIdentifier: c.x.fingerprint.replace(/:/g, ''), displayName: c.x.subject.replace(/\n/g, ', '),
      endDateTime: new Date(c.x.validTo).toISOString(), startDateTime: new Date(c.x.validFrom).toISOString(),
      keyId: objectIdFor('key', c.x.fingerprint256), type: 'AsymmetricX509Cert', usage: 'Verify', key: null,
    })),
    notificationEmailAddresses: app.notificationEmails,
    samlSingleSignOnSettings: { relayState: null },
    servicePrincipalNames: [app.appId, ...app.identifiers],
    servicePrincipalType: 'Application',
  };
}

export function applicationOf(app: AppConfig): Obj {
  return {
    id: objectIdFor('app', app.appId), appId: app.appId, displayName: app.name, identifierUris: app.identifiers,
    // the default reply URL first, as the portal lists it (Graph v1.0 has no default flag: redirectUriSettings is beta)
    web: { redirectUris: [...app.replyUrls].sort((a, b) => Number(b.default) - Number(a.default)).map((r) => r.url), homePageUrl: null, logoutUrl: null },
  };
}

export function userOf(u: UserConfig): Obj {
  return { id: u.objectId, userPrincipalName: u.upn, mail: u.mail || null, accountEnabled: u.accountEnabled, displayName: u.displayName || null, givenName: u.givenName || null, surname: u.surname || null };
}

/** Starts the TLS listener; resolves when it listens. */
export async function startMockGraph(o: MockGraphOptions): Promise<MockGraphHandle> {
  const pageSize = o.pageSize ?? 100;
  const tokens = new Map<string, { clientId: string; expires: number }>();
  const signIns: MockSignIn[] = [];
  const requests: string[] = [];
  let throttle = { n: 0, status: 429 as 429 | 503, retryAfter: 0 };
  const app = Fastify({ logger: false, https: { cert: o.tls.cert, key: o.tls.key }, forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addHook('onSend', async (_req, reply) => { reply.header('x-samlscope-mock', 'entra-id'); });
  let base = '';
  const tokenEndpoint = () => `${base}/${o.tenantId}/oauth2/v2.0/token`;

  app.get<{ Params: { tenant: string } }>('/:tenant/v2.0/.well-known/openid-configuration', async (req, reply) => {
    if (req.params.tenant !== o.tenantId) return reply.code(400).send({ error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${req.params.tenant}' not found. (MOCK)` });
    const t = `${base}/${o.tenantId}`;
    return {
      token_endpoint: `${t}/oauth2/v2.0/token`, authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${t}/oauth2/v2.0/logout`, jwks_uri: `${base}/${o.tenantId}/discovery/v2.0/keys`,
      issuer: `${base}/${o.tenantId}/v2.0`, token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'], scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      subject_types_supported: ['pairwise'], id_token_signing_alg_values_supported: ['RS256'], tenant_region_scope: null,
      cloud_instance_name: 'samlscope.mock', http_logout_supported: true, frontchannel_logout_supported: true,
    };
  });

  const tokenError = (reply: FastifyReply, status: number, error: string, aadsts: number, text: string) => reply.code(status).send({
    error, error_description: `AADSTS${aadsts}: ${text} (MOCK) Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${o.now().toISOString()}`,
    error_codes: [aadsts], timestamp: o.now().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID(),
  });

  /** Checks a private_key_jwt client assertion against the client's registered certificate. */
  const assertionOk = (client: MockGraphClient, jwt: string): boolean => {
    if (!client.certPem) return false;
    const parts = jwt.split('.');
    if (parts.length !== 3) return false;
    const header = b64urlJson(parts[0]);
    const claims = b64urlJson(parts[1]);
    if (!header || !claims) return false;
    const key = createPublicKey(new X509Certificate(client.certPem).publicKey.export({ type: 'spki', format: 'pem' }));
    const data = Buffer.from(`${parts[0]}.${parts[1]}`);
    const sig = Buffer.from(parts[2], 'base64url');
    const ok = header.alg === 'RS256' ? verify('sha256', data, key, sig)
      : header.alg === 'PS256' ? verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, sig)
        : false;
    const nowS = o.now().getTime() / 1000;
    return ok && claims.iss === client.clientId && claims.sub === client.clientId && claims.aud === tokenEndpoint()
      && typeof claims.exp === 'number' && claims.exp > nowS - 300;
  };

  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', async (req, reply) => {
    if (req.params.tenant !== o.tenantId) return tokenError(reply, 400, 'invalid_request', 90002, `Tenant '${req.params.tenant}' not found.`);
    const b = (req.body ?? {}) as Record<string, string>;
    if (b.grant_type !== 'client_credentials') return tokenError(reply, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type. The MOCK serves client_credentials only.');
    const client = o.clients.find((c) => c.clientId === b.client_id);
    if (!client) return tokenError(reply, 400, 'unauthorized_client', 700016, `Application with identifier '${b.client_id ?? ''}' was not found in the directory '${o.tenantId}'.`);
    if (!/\/\.default$/.test(b.scope ?? '')) return tokenError(reply, 400, 'invalid_scope', 1002012, 'The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.');
    const bySecret = b.client_secret !== undefined && client.secret !== undefined && b.client_secret === client.secret;
    const byCert = b.client_assertion_type === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' && typeof b.client_assertion === 'string' && assertionOk(client, b.client_assertion);
    if (!bySecret && !byCert) {
      return b.client_assertion ? tokenError(reply, 401, 'invalid_client', 700027, 'Client assertion failed signature validation.')
        : tokenError(reply, 401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
    }
    const token = randomBytes(32).toString('base64url');
    tokens.set(token, { clientId: client.clientId, expires: o.now().getTime() + 3600_000 });
    return { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token };
  });

  const graphError = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({
    error: { code, message, innerError: { date: o.now().toISOString().replace(/\.\d{3}Z$/, ''), 'request-id': randomUUID(), 'client-request-id': randomUUID() } },
  });

  /** Auth, permission and throttling for one Graph route; returns false when it answered. */
  const guard = (req: FastifyRequest, reply: FastifyReply, anyOf: GraphPermission[]): boolean => {
    requests.push(req.url.split('?')[0]);
    if (throttle.n > 0) {
      throttle.n--;
      void reply.code(throttle.status).header('retry-after', String(throttle.retryAfter)).send({ error: { code: throttle.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', message: 'Too many requests (MOCK)' } });
      return false;
    }
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const t = m ? tokens.get(m[1]) : undefined;
    if (!t || t.expires < o.now().getTime()) { void graphError(reply, 401, 'InvalidAuthenticationToken', 'Access token is empty or invalid. (MOCK)'); return false; }
    const client = o.clients.find((c) => c.clientId === t.clientId)!;
    if (!anyOf.some((p) => client.permissions.includes(p))) { void graphError(reply, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'); return false; }
    return true;
  };

  const q = (req: FastifyRequest) => (req.query ?? {}) as Record<string, string | undefined>;
  const select = (obj: Obj, sel: string | undefined): Obj => {
    if (!sel) return obj;
    const keys = sel.split(',').map((s) => s.trim()).filter(Boolean);
    const out: Obj = {};
    if (obj['@odata.type']) out['@odata.type'] = obj['@odata.type'];
    for (const k of keys) if (k in obj) out[k] = obj[k];
    return out;
  };
  /** One page of a collection with @odata.nextLink. */
  const page = (req: FastifyRequest, entitySet: string, items: Obj[]) => {
    const query = q(req);
    const top = Math.max(1, Math.min(999, Number(query.$top ?? pageSize) || pageSize));
    const skip = Math.max(0, Number(query.$skiptoken ?? 0) || 0);
    const slice = items.slice(skip, skip + top).map((i) => select(i, query.$select));
    const body: Obj = { '@odata.context': `${GRAPH}/$metadata#${entitySet}`, value: slice };
    if (skip + top < items.length) {
      const u = new URL(req.url, base);
      u.searchParams.set('$skiptoken', String(skip + top));
      body['@odata.nextLink'] = u.toString();
    }
    return body;
  };
  const filterValue = (filter: string | undefined, re: RegExp): string | null => {
    const m = filter ? re.exec(filter) : null;
    return m ? m[1].replace(/''/g, "'") : null;
  };
  const unsupported = (reply: FastifyReply, filter: string) => graphError(reply, 400, 'Request_UnsupportedQuery', `Unsupported query: ${filter} (the MOCK serves the filters samlscope uses)`);
  const certs = () => o.signingCerts();
  const spFor = (a: AppConfig) => servicePrincipalOf(a, certs());

  app.get('/v1.0/servicePrincipals', async (req, reply) => {
    if (!guard(req, reply, ['Application.Read.All', 'Directory.Read.All'])) return reply;
    const f = q(req).$filter;
    const apps = o.config().apps;
    let hit: AppConfig[];
    const appId = filterValue(f, /^appId eq '((?:[^']|'')*)'$/);
    if (!f) hit = apps;
    else if (appId !== null) hit = apps.filter((a) => a.appId === appId);
    else if (/^preferredSingleSignOnMode eq 'saml'$/.test(f)) hit = apps.filter((a) => a.ssoMode === 'saml');
    else return unsupported(reply, f);
    return page(req, 'servicePrincipals', hit.map(spFor));
  });

  app.get<{ Params: { id: string } }>('/v1.0/servicePrincipals/:id/appRoleAssignedTo', async (req, reply) => {
    if (!guard(req, reply, ['Application.Read.All', 'Directory.Read.All'])) return reply;
    const cfg = o.config();
    const a = cfg.apps.find((x) => objectIdFor('sp', x.appId) === req.params.id);
    if (!a) return graphError(reply, 404, 'Request_ResourceNotFound', `Resource '${req.params.id}' does not exist or one of its queried reference-property objects are not present.`);
    const spId = objectIdFor('sp', a.appId);
    const rows: Obj[] = [
      ...a.assignedUsers.map((upn) => cfg.users.find((u) => u.upn.toLowerCase() === upn.toLowerCase())).filter((u): u is UserConfig => Boolean(u))
        .map((u) => ({ principalId: u.objectId, principalType: 'User', principalDisplayName: u.displayName || u.upn })),
      ...a.assignedGroups.map((g) => ({ principalId: g, principalType: 'Group', principalDisplayName: `Group ${g.slice(0, 8)}` })),
    ].map((r) => ({
      '@odata.type': '#microsoft.graph.appRoleAssignment', id: objectIdFor('ara', `${spId}:${r.principalId}`).replace(/-/g, '').slice(0, 32),
      appRoleId: '00000000-0000-0000-0000-000000000000', createdDateTime: '2026-01-01T00:00:00Z', deletedDateTime: null,
      resourceDisplayName: a.name, resourceId: spId, ...r,
    }));
    return page(req, `servicePrincipals('${spId}')/appRoleAssignedTo`, rows);
  });

  app.get('/v1.0/applications', async (req, reply) => {
    if (!guard(req, reply, ['Application.Read.All', 'Directory.Read.All'])) return reply;
    const f = q(req).$filter;
    const apps = o.config().apps;
    const appId = filterValue(f, /^appId eq '((?:[^']|'')*)'$/);
    const ident = filterValue(f, /^identifierUris\/any\(x:\s*x eq '((?:[^']|'')*)'\)$/);
    let hit: AppConfig[];
    if (!f) hit = apps;
    else if (appId !== null) hit = apps.filter((a) => a.appId === appId);
    else if (ident !== null) hit = apps.filter((a) => a.identifiers.includes(ident));
    else return unsupported(reply, f);
    return page(req, 'applications', hit.map(applicationOf));
  });

  const findUserByKey = (key: string) => o.config().users.find((u) => u.objectId === key || u.upn.toLowerCase() === key.toLowerCase());
  app.get('/v1.0/users', async (req, reply) => {
    if (!guard(req, reply, ['User.Read.All', 'Directory.Read.All'])) return reply;
    const f = q(req).$filter;
    const mail = filterValue(f, /^mail eq '((?:[^']|'')*)'$/);
    if (f && mail === null) return unsupported(reply, f);
    const users = o.config().users.filter((u) => mail === null || u.mail.toLowerCase() === mail.toLowerCase());
    return page(req, 'users', users.map(userOf));
  });
  app.get<{ Params: { id: string } }>('/v1.0/users/:id', async (req, reply) => {
    if (!guard(req, reply, ['User.Read.All', 'Directory.Read.All'])) return reply;
    const u = findUserByKey(req.params.id);
    if (!u) return graphError(reply, 404, 'Request_ResourceNotFound', `Resource '${req.params.id}' does not exist or one of its queried reference-property objects are not present.`);
    return { '@odata.context': `${GRAPH}/$metadata#users/$entity`, ...select(userOf(u), q(req).$select) };
  });
  // the mock has no nested groups: memberOf (direct) and transitiveMemberOf answer alike
  for (const rel of ['memberOf', 'transitiveMemberOf']) {
    app.get<{ Params: { id: string } }>(`/v1.0/users/:id/${rel}`, async (req, reply) => {
      if (!guard(req, reply, ['GroupMember.Read.All', 'Directory.Read.All'])) return reply;
      const u = findUserByKey(req.params.id);
      if (!u) return graphError(reply, 404, 'Request_ResourceNotFound', `Resource '${req.params.id}' does not exist or one of its queried reference-property objects are not present.`);
      return page(req, 'directoryObjects', u.groups.map((g) => ({ '@odata.type': '#microsoft.graph.group', id: g, displayName: `Group ${g.slice(0, 8)}`, securityEnabled: true })));
    });
  }

  app.get('/v1.0/auditLogs/signIns', async (req, reply) => {
    if (!guard(req, reply, ['AuditLog.Read.All'])) return reply;
    if (o.licence === 'free') return graphError(reply, 403, 'Authentication_RequestFromNonPremiumTenantOrB2CTenant', "Neither tenant is B2C or tenant doesn't have premium license");
    const f = q(req).$filter ?? '';
    const m = /^(?:appId eq '((?:[^']|'')*)')?(?:\s*and\s*)?(?:createdDateTime ge (\S+))?$/.exec(f);
    if (!m) return unsupported(reply, f);
    const since = m[2] ? Date.parse(m[2]) : 0;
    const hit = signIns.filter((s) => (!m[1] || s.appId === m[1]) && Date.parse(s.createdDateTime) >= since).reverse();
    return page(req, 'auditLogs/signIns', hit as unknown as Obj[]);
  });

  app.setNotFoundHandler((req, reply) => graphError(reply, 400, 'BadRequest', `Resource not found for the segment '${req.url.split('?')[0]}'. (MOCK Graph subset: src/idp/graph.ts)`));

  await app.listen({ host: o.host, port: o.port ?? 0 });
  const port = (app.server.address() as { port: number }).port;
  base = `https://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  return {
    url: base,
    signIns,
    requests,
    recordSignIn(e) {
      const s: MockSignIn = {
        id: randomUUID(), createdDateTime: o.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        userPrincipalName: e.user?.upn ?? e.upn, userDisplayName: e.user?.displayName ?? null, userId: e.user?.objectId ?? '',
        appId: e.app?.appId ?? '', appDisplayName: e.app?.name ?? '', ipAddress: e.ip, clientAppUsed: 'Browser',
        correlationId: e.correlationId ?? randomUUID(), conditionalAccessStatus: 'notApplied', isInteractive: true,
        resourceDisplayName: e.app?.name ?? '', resourceId: e.app?.appId ?? '',
        status: { errorCode: e.errorCode, failureReason: e.failureReason, additionalDetails: e.errorCode === 0 ? null : 'MOCK Entra ID' },
      };
      signIns.push(s);
      if (signIns.length > 5000) signIns.shift();
      return s;
    },
    throttle(n, status = 429, retryAfterSeconds = 0) { throttle = { n, status, retryAfter: retryAfterSeconds }; },
    close: async () => { await app.close(); },
  };
}
