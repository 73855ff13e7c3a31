// preflight(): reads Fleet's SSO settings and the IdP metadata, runs a headless login when the IdP is samlscope's mock, and reports what will fail.
import { readFile } from 'node:fs/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { fetchText } from '../net/fetch-text.js';
import { parseMetadata, type Finding, type IdpMetadata } from '../saml/index.js';
import { login, type LoginResult } from '../login/login.js';
import { compareWithFleetMetadata, loginFinding, metadataChecks, settingsFindings, type MetadataOutcome, type MetadataSource } from './checks.js';
import { readFleetConfig, replyUrlFor, urlPrefixOf, type FleetSettings } from './fleet-settings.js';
import { GraphError } from '../entra/graph-client.js';
import { entraPreflight, fetchFleetUsers, type EntraPreflightOptions, type EntraPreflightPart } from './entra-preflight.js';

export interface PreflightOptions {
  /** where Fleet answers (its API), url_prefix included */
  fleetUrl: string;
  /** a Fleet API token of a global admin (sso_settings is shown to global admins only) */
  apiToken: string;
  /** IdP metadata to check instead of Fleet's: an http(s) URL or a file path */
  metadata?: string;
  /** samlscope's mock IdP: run a headless login (also done when the metadata's SSO URL answers as the mock) */
  idpUrl?: string;
  /** who logs in through the mock IdP (default alice@contoso.example) */
  loginUser?: string;
  /** skip TLS verification towards Fleet and the mock IdP */
  insecure?: boolean;
  /** extra CA certificates (PEM) for Fleet and the mock IdP */
  ca?: string;
  /** the clock certificates are judged by (default: now) */
  now?: Date;
  /** per HTTP request (default 30 s; metadata always gets Fleet's 5 s) */
  timeoutMs?: number;
  /** the Fleet release to predict (default: the newest samlscope knows) */
  fleetVersion?: string;
  /** read Entra's half from Microsoft Graph (src/preflight/entra-preflight.ts); `user` is --user */
  entra?: EntraPreflightOptions;
}

export interface PreflightCert {
  thumbprint: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
}

export interface PreflightReport {
  /** 'fail' when any finding is an error: something will fail */
  verdict: 'pass' | 'fail';
  findings: Finding[];
  fleet: {
    url: string;
    serverUrl: string;
    ssoServerUrl: string;
    urlPrefix: string;
    enableSso: boolean;
    entityId: string;
    idpName: string;
    /** the Reply URL to register in Entra; null when Fleet has no server_url */
    replyUrl: string | null;
    enableSsoIdpLogin: boolean;
    enableJitProvisioning: boolean;
    licenseTier: string | null;
  };
  metadata:
    | { source: MetadataSource; ok: true; entityId: string; redirectSsoUrl: string | null; hadBom: boolean; signed: boolean; certs: PreflightCert[] }
    | { source: MetadataSource; ok: false; error: string }
    | null;
  mockIdp: { detected: boolean; url: string | null };
  /** Entra's half, when Graph access was given */
  entra: EntraPreflightPart['summary'] | null;
  login:
    | { ran: true; user: string; outcome: LoginResult['outcome']; fleetStatus: string | null; idpError: string | null; reason: string | null; requestId: string | null }
    | { ran: false; skipped: 'no_mock_idp' | 'sso_disabled' | 'metadata_unusable' };
  checkedAt: string;
}

export type PreflightFailure = 'fleet_unreachable' | 'fleet_unauthorized' | 'fleet_bad_answer' | 'settings_hidden' | 'metadata_unreadable' | 'entra_unauthorized';

/** preflight could not do its job (the CLI's exit 2); `reason` is stable. */
export class PreflightError extends Error {
  constructor(readonly reason: PreflightFailure, message: string) {
    super(message);
    this.name = 'PreflightError';
  }
}

export const DEFAULT_LOGIN_USER = 'alice@contoso.example';
const FLEET_METADATA_TIMEOUT_MS = 5000;
const MAX_BODY = 4 * 1024 * 1024;
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

async function readBounded(body: AsyncIterable<Buffer | Uint8Array>, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > max) throw new Error(`answer larger than ${max} bytes`);
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function transportMessage(e: unknown): string {
  const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
  return `${err.code ?? err.cause?.code ?? err.name}: ${err.cause?.message ?? err.message}`;
}

/** GET /api/v1/fleet/config with the token; throws PreflightError when Fleet cannot be read. */
export async function fetchFleetSettings(fleetUrl: string, apiToken: string, dispatcher: Dispatcher): Promise<FleetSettings> {
  const url = fleetUrl.replace(/\/+$/, '') + '/api/v1/fleet/config';
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, { dispatcher, method: 'GET', headers: { authorization: `Bearer ${apiToken}`, accept: 'application/json', 'user-agent': 'samlscope-preflight' } });
  } catch (e) {
    throw new PreflightError('fleet_unreachable', `cannot reach Fleet at ${url}: ${transportMessage(e)}`);
  }
  let text: string;
  try {
    text = await readBounded(res.body, MAX_BODY);
  } catch (e) {
    throw new PreflightError('fleet_bad_answer', `GET ${url}: ${(e as Error).message}`);
  }
  if (res.statusCode === 401 || res.statusCode === 403) {
    throw new PreflightError('fleet_unauthorized', `GET ${url} answered HTTP ${res.statusCode}: the API token was refused (use the token of a global admin, e.g. from fleetctl login or an API-only user)`);
  }
  if (res.statusCode !== 200) throw new PreflightError('fleet_bad_answer', `GET ${url} answered HTTP ${res.statusCode}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PreflightError('fleet_bad_answer', `GET ${url} did not answer JSON (is this Fleet's URL?)`);
  }
  const settings = readFleetConfig(json);
  if (!settings) throw new PreflightError('settings_hidden', `GET ${url} answered without sso_settings: Fleet shows them to global admins only; use a global admin's API token`);
  return settings;
}

/** The metadata Fleet would use (or --metadata), fetched and parsed the way Fleet does; never throws for a URL. */
export async function loadPreflightMetadata(s: FleetSettings, option?: string): Promise<MetadataOutcome> {
  let source: MetadataSource;
  let xml: string;
  if (option) {
    const isUrl = /^https?:\/\//i.test(option);
    source = { from: 'option', location: option };
    if (isUrl) {
      try { xml = await fetchText(option, { timeoutMs: FLEET_METADATA_TIMEOUT_MS }); } catch (e) { return { kind: 'unreachable', source, message: (e as Error).message }; }
    } else {
      try { xml = await readFile(option, 'utf8'); } catch (e) { throw new PreflightError('metadata_unreadable', `--metadata: cannot read ${option}: ${(e as Error).message}`); }
    }
  } else if (s.sso.metadata) {
    // Fleet prefers the inline XML when both are set (as fleet-sim does)
    source = { from: 'fleet_metadata', location: 'inline' };
    xml = s.sso.metadata;
  } else if (s.sso.metadataUrl) {
    source = { from: 'fleet_metadata_url', location: s.sso.metadataUrl };
    try { xml = await fetchText(s.sso.metadataUrl, { timeoutMs: FLEET_METADATA_TIMEOUT_MS }); } catch (e) { return { kind: 'unreachable', source, message: (e as Error).message }; }
  } else {
    return { kind: 'missing' };
  }
  try {
    return { kind: 'ok', source, metadata: parseMetadata(xml) };
  } catch (e) {
    return { kind: 'unparseable', source, message: (e as Error).message };
  }
}

/** Whether an IdP URL answers as samlscope's mock Entra ID (its header, or a page that says MOCK). Never throws. */
export async function looksLikeMockIdp(url: string, dispatcher: Dispatcher): Promise<boolean> {
  try {
    const res = await request(url, { dispatcher, method: 'GET', headers: { accept: 'text/html', 'user-agent': 'samlscope-preflight' } });
    if (res.headers['x-samlscope-mock'] !== undefined) { await res.body.dump(); return true; }
    const text = await readBounded(res.body, 256 * 1024);
    return /MOCK Entra ID/.test(text);
  } catch {
    return false;
  }
}

function certSummary(md: IdpMetadata, now: Date): PreflightCert[] {
  return md.certs.map((c) => ({
    thumbprint: c.thumbprintSha1, subject: c.subject, notBefore: c.notBefore, notAfter: c.notAfter,
    daysLeft: Math.floor((Date.parse(c.notAfter) - now.getTime()) / 86_400_000),
  }));
}

/** Runs every check; throws PreflightError only when it cannot check at all (Fleet unreachable, token refused ...). */
export async function preflight(opts: PreflightOptions): Promise<PreflightReport> {
  const now = opts.now ?? new Date();
  const timeout = opts.timeoutMs ?? 30_000;
  const dispatcher = new Agent({
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: { timeout, rejectUnauthorized: !opts.insecure, ...(opts.ca ? { ca: opts.ca } : {}) },
  });
  try {
    const settings = await fetchFleetSettings(opts.fleetUrl, opts.apiToken, dispatcher);
    const urlPrefix = urlPrefixOf(opts.fleetUrl);
    const findings: Finding[] = settingsFindings(settings, { fleetUrl: opts.fleetUrl, urlPrefix, fleetVersion: opts.fleetVersion });
    const md = await loadPreflightMetadata(settings, opts.metadata);
    findings.push(...metadataChecks(md, now));
    if (opts.metadata && md.kind === 'ok' && (settings.sso.metadata || settings.sso.metadataUrl)) {
      // what Fleet will really use, when --metadata replaced it for the checks above
      findings.push(...compareWithFleetMetadata(md.metadata, await loadPreflightMetadata(settings)));
    }

    let entraSummary: PreflightReport['entra'] = null;
    if (opts.entra) {
      const fleetUsers = await fetchFleetUsers(opts.fleetUrl, opts.apiToken, dispatcher).catch(() => null);
      try {
        const part = await entraPreflight(opts.entra, {
          entityId: settings.sso.entityId, acsUrl: replyUrlFor(settings, urlPrefix, opts.fleetVersion), metadataUrl: settings.sso.metadataUrl,
          metadataThumbprints: md.kind === 'ok' ? md.metadata.certs.map((c) => c.thumbprintSha1) : null, fleetUsers,
          fleet: { jit: settings.sso.enableJitProvisioning, premium: settings.licenseTier === 'premium' }, now,
        });
        findings.push(...part.findings);
        entraSummary = part.summary;
      } catch (e) {
        if (e instanceof GraphError && e.kind === 'auth_failed') throw new PreflightError('entra_unauthorized', `Microsoft Graph: ${e.message}`);
        throw e;
      }
    }

    const ssoUrl = md.kind === 'ok' ? md.metadata.redirectSsoUrl : null;
    const mockUrl = opts.idpUrl ?? (ssoUrl && (await looksLikeMockIdp(ssoUrl, dispatcher)) ? ssoUrl : null);
    let loginPart: PreflightReport['login'];
    if (!mockUrl) loginPart = { ran: false, skipped: md.kind === 'ok' ? 'no_mock_idp' : 'metadata_unusable' };
    else if (!settings.sso.enableSso) loginPart = { ran: false, skipped: 'sso_disabled' };
    else {
      const user = opts.loginUser ?? DEFAULT_LOGIN_USER;
      const r = await login({ fleetUrl: opts.fleetUrl, user, insecure: opts.insecure, ca: opts.ca, timeoutMs: timeout });
      findings.push(loginFinding(r, settings));
      loginPart = {
        ran: true, user, outcome: r.outcome, fleetStatus: r.fleetStatus ?? null, idpError: r.idpError?.code ?? null,
        reason: r.reason ?? null, requestId: r.requestId ?? null,
      };
    }

    const ordered = findings.map((f, i) => ({ f, i })).sort((a, b) => SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] || a.i - b.i).map((x) => x.f);
    return {
      verdict: ordered.some((f) => f.severity === 'error') ? 'fail' : 'pass',
      findings: ordered,
      fleet: {
        url: opts.fleetUrl, serverUrl: settings.serverUrl, ssoServerUrl: settings.sso.ssoServerUrl, urlPrefix,
        enableSso: settings.sso.enableSso, entityId: settings.sso.entityId, idpName: settings.sso.idpName,
        replyUrl: replyUrlFor(settings, urlPrefix, opts.fleetVersion), enableSsoIdpLogin: settings.sso.enableSsoIdpLogin,
        enableJitProvisioning: settings.sso.enableJitProvisioning, licenseTier: settings.licenseTier,
      },
      metadata: md.kind === 'missing'
        ? null
        : md.kind === 'ok'
          ? { source: md.source, ok: true, entityId: md.metadata.entityId, redirectSsoUrl: md.metadata.redirectSsoUrl, hadBom: md.metadata.hadBom, signed: md.metadata.signed, certs: certSummary(md.metadata, now) }
          : { source: md.source, ok: false, error: md.message },
      mockIdp: { detected: mockUrl !== null, url: mockUrl },
      entra: entraSummary,
      login: loginPart,
      checkedAt: now.toISOString(),
    };
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}
