// Read-only Microsoft Graph v1.0 client: app-only tokens from @azure/msal-node (client credentials), $select, paging, bounded 429/503 retries, timeouts.
import { createHash, X509Certificate } from 'node:crypto';
import { ConfidentialClientApplication, type Configuration, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { Agent, fetch as undiciFetch } from 'undici';

export const PUBLIC_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const PUBLIC_GRAPH_URL = 'https://graph.microsoft.com';

export interface EntraCredentials {
  tenantId: string;
  /** samlscope's own app registration (the reader), not the Fleet enterprise app */
  clientId: string;
  clientSecret?: string;
  /** PEM with the certificate and its private key (the certificate uploaded to the app registration) */
  clientCertPem?: string;
  /** default https://login.microsoftonline.com */
  authorityHost?: string;
  /** default https://graph.microsoft.com */
  graphUrl?: string;
}

export interface GraphClientOptions extends EntraCredentials {
  /** extra CA certificates (PEM) trusted for the token endpoint and Graph (sovereign proxies, the mock's TLS) */
  ca?: string;
  /** per HTTP request (default 10 s) */
  timeoutMs?: number;
  /** 429/503 retries per request (default 3) */
  maxRetries?: number;
  /** longest Retry-After honoured, in ms (default 10 s); a longer one fails the request */
  maxRetryWaitMs?: number;
  /** pages followed per collection (default 50) */
  maxPages?: number;
  /** waits between retries (tests pass one that records); default a timer */
  sleep?: (ms: number) => Promise<void>;
}

/** Why a Graph read failed; `kind` is stable and maps to a finding. */
export type GraphFailureKind = 'auth_failed' | 'permission_missing' | 'license_required' | 'not_found' | 'throttled' | 'unavailable' | 'bad_answer';

export class GraphError extends Error {
  constructor(
    readonly kind: GraphFailureKind,
    message: string,
    readonly detail: { status?: number; code?: string; path?: string; permission?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GraphError';
  }
}

/** The least-privilege application permission each read needs (docs/entra-graph.md). */
export function permissionFor(path: string): string {
  if (path.startsWith('/auditLogs/')) return 'AuditLog.Read.All';
  if (path.startsWith('/servicePrincipals') || path.startsWith('/applications')) return 'Application.Read.All';
  return 'Directory.Read.All';
}

/** The wait a 429/503 asks for: Retry-After seconds (or an HTTP date), else exponential backoff; null when it exceeds the bound. */
export function retryDelayMs(retryAfter: string | null, attempt: number, maxMs: number, nowMs: number): number | null {
  let ms: number;
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) ms = Number(retryAfter.trim()) * 1000;
  else if (retryAfter !== null && !Number.isNaN(Date.parse(retryAfter))) ms = Math.max(0, Date.parse(retryAfter) - nowMs);
  else ms = Math.min(maxMs, 500 * 2 ** attempt);
  return ms > maxMs ? null : ms;
}

/** MSAL's HTTP transport on undici with our Agent (timeouts, the extra CA); MSAL still builds every OAuth request. */
class UndiciNetworkModule implements INetworkModule {
  constructor(private readonly agent: Agent, private readonly timeoutMs: number) {}
  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'GET', options, timeout);
  }
  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'POST', options);
  }
  private async send<T>(url: string, method: 'GET' | 'POST', options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    const res = await undiciFetch(url, {
      method, dispatcher: this.agent, headers: options?.headers, body: method === 'POST' ? options?.body ?? '' : undefined,
      signal: AbortSignal.timeout(timeout ?? this.timeoutMs),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => { headers[k] = v; });
    return { headers, body: (await res.json()) as T, status: res.status };
  }
}

function certFromPem(pem: string): { privateKey: string; thumbprintSha256: string; x5c: string } {
  const certMatch = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  const keyMatch = /-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+?-----END (RSA )?PRIVATE KEY-----/.exec(pem);
  if (!certMatch || !keyMatch) throw new GraphError('auth_failed', 'the client certificate PEM needs both a CERTIFICATE and a PRIVATE KEY block');
  const der = new X509Certificate(certMatch[0]).raw;
  return { privateKey: keyMatch[0], thumbprintSha256: createHash('sha256').update(der).digest('hex'), x5c: certMatch[0] };
}

export interface GraphPage<T> { value: T[]; '@odata.nextLink'?: string }

/** A Graph reader. Secrets stay inside MSAL's configuration; nothing here logs or returns them. */
export class GraphClient {
  readonly graphUrl: string;
  readonly authorityHost: string;
  readonly tenantId: string;
  private readonly agent: Agent;
  private readonly msal: ConfidentialClientApplication;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly maxRetryWaitMs: number;
  private readonly maxPages: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly scope: string;

  constructor(o: GraphClientOptions) {
    if (!o.clientSecret === !o.clientCertPem) throw new GraphError('auth_failed', 'give exactly one of a client secret or a client certificate');
    this.authorityHost = (o.authorityHost ?? PUBLIC_AUTHORITY_HOST).replace(/\/+$/, '');
    this.graphUrl = (o.graphUrl ?? PUBLIC_GRAPH_URL).replace(/\/+$/, '');
    this.tenantId = o.tenantId;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.maxRetries = o.maxRetries ?? 3;
    this.maxRetryWaitMs = o.maxRetryWaitMs ?? 10_000;
    this.maxPages = o.maxPages ?? 50;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.agent = new Agent({ headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, connect: { timeout: this.timeoutMs, ...(o.ca ? { ca: o.ca } : {}) } });
    // the resource's .default scope: the Graph origin (https://graph.microsoft.com/.default, sovereign clouds alike)
    this.scope = `${new URL(this.graphUrl).origin}/.default`;
    const authorityUrl = new URL(this.authorityHost);
    const config: Configuration = {
      auth: {
        clientId: o.clientId,
        authority: `${this.authorityHost}/${o.tenantId}`,
        // a known authority skips Microsoft's instance discovery (sovereign clouds, the mock)
        knownAuthorities: [authorityUrl.host],
        ...(o.clientSecret ? { clientSecret: o.clientSecret } : { clientCertificate: certFromPem(o.clientCertPem!) }),
      },
      system: { networkClient: new UndiciNetworkModule(this.agent, this.timeoutMs), loggerOptions: { piiLoggingEnabled: false, loggerCallback: () => {} } },
    };
    this.msal = new ConfidentialClientApplication(config);
  }

  private async token(): Promise<string> {
    try {
      const r = await this.msal.acquireTokenByClientCredential({ scopes: [this.scope] });
      if (!r?.accessToken) throw new Error('no access token in the answer');
      return r.accessToken;
    } catch (e) {
      const err = e as { errorCode?: string; errorMessage?: string; message?: string };
      // MSAL's message names the AADSTS code (e.g. AADSTS7000215 invalid secret); it never contains the secret
      const aadsts = /AADSTS\d+/.exec(`${err.errorMessage ?? ''} ${err.message ?? ''}`)?.[0];
      throw new GraphError('auth_failed', `no Graph token for client ${this.tenantId}: ${err.errorCode ?? 'error'}${aadsts ? ` (${aadsts})` : ''}`, { code: aadsts ?? err.errorCode }, { cause: e });
    }
  }

  /** GET a Graph v1.0 path (e.g. /servicePrincipals?$filter=...) or a full nextLink; retries 429/503 within the bounds. */
  async get<T>(pathOrUrl: string): Promise<T> {
    const url = pathOrUrl.startsWith('https://') || pathOrUrl.startsWith('http://') ? pathOrUrl : `${this.graphUrl}/v1.0${pathOrUrl}`;
    const path = new URL(url).pathname.replace(/^.*?\/v1\.0/, '');
    const token = await this.token();
    for (let attempt = 0; ; attempt++) {
      let res;
      try {
        res = await undiciFetch(url, {
          dispatcher: this.agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': 'samlscope-graph' },
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        throw new GraphError('unavailable', `Graph GET ${path}: ${(e as Error).name === 'TimeoutError' ? 'timed out' : (e as Error).message}`, { path }, { cause: e });
      }
      if (res.status === 429 || res.status === 503) {
        await res.body?.cancel();
        const wait = attempt < this.maxRetries ? retryDelayMs(res.headers.get('retry-after'), attempt, this.maxRetryWaitMs, Date.now()) : null;
        if (wait === null) throw new GraphError(res.status === 429 ? 'throttled' : 'unavailable', `Graph GET ${path} answered HTTP ${res.status} after ${attempt + 1} tries`, { status: res.status, path });
        await this.sleep(wait);
        continue;
      }
      let body: unknown;
      try { body = await res.json(); } catch { throw new GraphError('bad_answer', `Graph GET ${path} answered HTTP ${res.status} without JSON`, { status: res.status, path }); }
      if (res.ok) return body as T;
      const code = (body as { error?: { code?: string } })?.error?.code ?? '';
      const message = (body as { error?: { message?: string } })?.error?.message ?? '';
      if (res.status === 403 && /NonPremiumTenant|B2CTenant/i.test(code + message)) {
        throw new GraphError('license_required', `Graph GET ${path}: the tenant has no Entra ID P1 licence (sign-in logs need it)`, { status: 403, code, path });
      }
      if (res.status === 403 || res.status === 401) {
        const permission = permissionFor(path);
        throw new GraphError('permission_missing', `Graph GET ${path} answered HTTP ${res.status} ${code}: the app registration lacks ${permission} (admin consent)`, { status: res.status, code, path, permission });
      }
      if (res.status === 404) throw new GraphError('not_found', `Graph GET ${path}: not found`, { status: 404, code, path });
      throw new GraphError('bad_answer', `Graph GET ${path} answered HTTP ${res.status} ${code}`, { status: res.status, code, path });
    }
  }

  /** Every item of a collection, following @odata.nextLink up to maxPages. */
  async list<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = path;
    for (let page = 0; next && page < this.maxPages; page++) {
      const r: GraphPage<T> = await this.get<GraphPage<T>>(next);
      out.push(...(Array.isArray(r.value) ? r.value : []));
      next = r['@odata.nextLink'];
    }
    return out;
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/** OData string literal: single quotes doubled. */
export function odataString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
