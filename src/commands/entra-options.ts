// The Graph options shared by proxy, preflight and demo (--entra-*, --graph-url; each also SAMLSCOPE_*), read into GraphClientOptions.
import { readFileSync } from 'node:fs';
import type { GraphClientOptions } from '../entra/graph-client.js';
import type { OptionReader, OptionSpec } from './options.js';

export const ENTRA_OPTIONS: Record<string, OptionSpec> = {
  'entra-tenant': { type: 'string', value: 'GUID', description: 'read Entra\'s side from Microsoft Graph: the tenant ID (read-only; docs/entra-graph.md)' },
  'entra-client-id': { type: 'string', value: 'GUID', description: "samlscope's app registration (Application.Read.All, Directory.Read.All, AuditLog.Read.All)" },
  'entra-client-secret': { type: 'string', value: 'SECRET', description: 'its client secret (prefer SAMLSCOPE_ENTRA_CLIENT_SECRET: never on the command line)' },
  'entra-client-cert': { type: 'string', value: 'PEM-FILE', description: 'or its certificate and private key, one PEM file' },
  'entra-app-id': { type: 'string', value: 'GUID', description: "the Fleet enterprise app's Application ID (default: ?appid= of Fleet's metadata URL, else the app with Fleet's entity ID)" },
  'entra-authority-host': { type: 'string', value: 'URL', description: 'token authority (sovereign clouds, the mock)', default: 'https://login.microsoftonline.com' },
  'graph-url': { type: 'string', value: 'URL', description: 'Microsoft Graph', default: 'https://graph.microsoft.com' },
  'entra-ca': { type: 'string', value: 'FILE', description: 'trust this CA (PEM) for the token endpoint and Graph too (the mock\'s TLS)' },
};

/** Tenant and app ID of an app federation metadata URL (https://login.microsoftonline.com/{tenant}/federationmetadata/2007-06/federationmetadata.xml?appid={appId}). */
export function idsFromMetadataUrl(url: string | undefined): { tenantId?: string; appId?: string } {
  if (!url || !/^https?:\/\//i.test(url)) return {};
  try {
    const u = new URL(url);
    const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    const seg = u.pathname.split('/').filter(Boolean);
    const i = seg.indexOf('federationmetadata');
    const tenant = i > 0 ? seg[i - 1] : undefined;
    const appId = u.searchParams.get('appid') ?? undefined;
    return { tenantId: tenant && guid.test(tenant) ? tenant : undefined, appId: appId && guid.test(appId) ? appId : undefined };
  } catch {
    return {};
  }
}

/**
 * The Graph options, or undefined when Graph access is not asked for (no --entra-tenant nor --entra-client-id); tenant
 * and app ID default to those of an app federation metadata URL. Every problem goes to the reader.
 */
export function readEntraOptions(o: OptionReader, metadataUrl?: string): (GraphClientOptions & { appId?: string }) | undefined {
  const fromUrl = idsFromMetadataUrl(metadataUrl);
  const given = ['entra-client-id', 'entra-client-secret', 'entra-client-cert', 'entra-app-id'].filter((n) => o.str(n));
  const tenantId = o.str('entra-tenant') ?? (given.length ? fromUrl.tenantId : undefined);
  if (!tenantId) {
    if (given.length) o.problems.push(`--${given[0]} needs --entra-tenant (or a --metadata URL of the form .../{tenant}/federationmetadata/...)`);
    return undefined;
  }
  const clientId = o.required('entra-client-id', 'samlscope\'s app registration in the tenant');
  const secret = o.str('entra-client-secret');
  const certFile = o.str('entra-client-cert');
  if (Boolean(secret) === Boolean(certFile)) o.problems.push('--entra-client-secret or --entra-client-cert: exactly one');
  let certPem: string | undefined;
  if (certFile) {
    try { certPem = readFileSync(certFile, 'utf8'); } catch (e) { o.problems.push(`--entra-client-cert: cannot read "${certFile}": ${(e as Error).message}`); }
  }
  const authority = o.url('entra-authority-host');
  const graph = o.url('graph-url');
  for (const [name, u] of [['entra-authority-host', authority], ['graph-url', graph]] as const) {
    if (u && u.protocol !== 'https:') o.problems.push(`--${name}: Microsoft's libraries need https, got "${u.toString()}"`);
  }
  return {
    tenantId, clientId, clientSecret: secret || undefined, clientCertPem: certPem,
    authorityHost: authority?.toString().replace(/\/+$/, ''), graphUrl: graph?.toString().replace(/\/+$/, ''),
    ca: o.file('entra-ca', 'utf8'), appId: o.str('entra-app-id') ?? fromUrl.appId,
  };
}
