// The proxy's effective configuration for the Settings page: every option shown, secrets (admin token, TLS key, store credentials) masked.
import type { ProxyOptions } from '../server.js';

const SET = '*** (set)';

function maskUrlCredentials(u: string): string {
  try {
    const x = new URL(u);
    if (x.password) x.password = '***';
    if (x.username) x.username = '***';
    return x.toString();
  } catch {
    return u;
  }
}

export function sanitizedSettings(o: ProxyOptions, resolved: { publicUrl: string; acsUrl: string; adminUrl: string | null }): Record<string, unknown> {
  const md = o.metadata as Record<string, unknown>;
  return {
    upstream: maskUrlCredentials(String(o.upstream)),
    listen: o.listen ?? { host: '127.0.0.1', port: 0 },
    publicUrl: resolved.publicUrl,
    acsUrl: resolved.acsUrl,
    entityId: o.entityId ?? 'fleet',
    urlPrefix: o.urlPrefix ?? '',
    mode: o.mode ?? 'observe',
    allowIdpInitiated: o.allowIdpInitiated ?? false,
    metadata: typeof md.url === 'string' ? { url: maskUrlCredentials(md.url) } : typeof md.file === 'string' ? { file: md.file } : 'inline',
    tls: o.tls ? { cert: 'given', key: SET } : null,
    upstreamCa: o.upstreamCa ? 'given' : null,
    upstreamInsecure: o.upstreamInsecure ?? false,
    adminListen: o.adminListen === false ? false : o.adminListen ?? { host: '127.0.0.1', port: 0 },
    adminUrl: resolved.adminUrl,
    adminToken: o.adminToken ? SET : null,
    trustedProxies: o.trustedProxies ?? [],
    logSaml: o.logSaml ?? false,
    maskNameId: o.maskNameId ?? false,
    quietAgentLogs: o.quietAgentLogs ?? false,
    store: o.store ? o.store.constructor.name : 'MemoryStore',
    metrics: o.metrics !== false,
    metadataRefreshIntervalMs: o.metadataRefreshIntervalMs ?? 3_600_000,
    ssoSessionTtlMs: o.ssoSessionTtlMs ?? 15 * 60_000,
    entra: o.entra ? {
      tenantId: o.entra.graph.tenantId, clientId: o.entra.graph.clientId, appId: o.entra.appId ?? null,
      credential: o.entra.graph.clientSecret ? 'client secret ' + SET : 'client certificate ' + SET,
      authorityHost: o.entra.graph.authorityHost ?? null, graphUrl: o.entra.graph.graphUrl ?? null, ca: o.entra.graph.ca ? 'given' : null,
    } : null,
  };
}
