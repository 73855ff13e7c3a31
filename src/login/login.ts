// login(): Fleet's SP-initiated SSO flow driven headlessly (initiate → IdP with login_hint → form POST to the ACS) with undici and a cookie jar.
import { inflateRawSync } from 'node:zlib';
import { Agent, request, type Dispatcher } from 'undici';
import { SSO_SESSION_COOKIE, TOKEN_COOKIE_NAMES } from '../fleet/index.js';
import { findAadstsError, findFleetStatus, findFleetToken, findSamlForm, findScriptRedirect, type AadstsError } from './html-form.js';

export interface LoginOptions {
  /** Fleet's URL as the browser sees it (the proxy's, when one stands in front) */
  fleetUrl: string;
  /** the user's email / UPN, sent to the IdP as login_hint */
  user: string;
  /** Fleet's relay_url (where to land after login), default / */
  relayUrl?: string;
  /** a mock IdP fault name, sent as fault= */
  fault?: string;
  /** skip TLS verification (self-signed test setups) */
  insecure?: boolean;
  /** extra CA certificates (PEM) to trust */
  ca?: string;
  /** per request, default 120 s (Fleet's synchronous work and the IdP's slow fault) */
  timeoutMs?: number;
}

export type LoginOutcome =
  /** Fleet issued a session token */
  | 'success'
  /** Fleet answered /login?status=... */
  | 'fleet_status'
  /** the IdP showed an AADSTS error page and posted nothing */
  | 'idp_error'
  /** anything else: transport errors, unexpected answers, a proxy that blocked the callback */
  | 'failed';

export interface LoginStep {
  step: 'initiate' | 'idp' | 'callback';
  method: string;
  /** the URL without its query (SAMLRequest and hints stay out of reports) */
  url: string;
  status: number;
}

export interface LoginResult {
  ok: boolean;
  outcome: LoginOutcome;
  user: string;
  fleetUrl: string;
  /** the session token Fleet issued (success only) */
  token?: string;
  /** where Fleet's success page sends the browser */
  redirect?: string;
  /** Fleet's status= (error, account_invalid, account_disabled, org_disabled) */
  fleetStatus?: string;
  idpError?: AadstsError;
  /** the AuthnRequest ID Fleet issued */
  requestId?: string;
  /** the ACS URL the IdP posted to */
  acsUrl?: string;
  /** top StatusCode and message of the SAMLResponse the IdP posted, when it was not Success */
  samlStatus?: { code: string; message: string | null };
  /** short machine-readable reason when outcome is 'failed' */
  reason?: string;
  /** human-readable detail (never contains SAML) */
  detail?: string;
  /** SAML_* codes found in a blocking page (samlscope proxy in enforce mode) */
  codes?: string[];
  steps: LoginStep[];
}

/** A tiny browser-like cookie jar: per host name (browsers do not split cookies by port), Path and Secure ignored. */
export class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();
  store(url: URL, setCookie: string | string[] | undefined): void {
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair, ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      if (i <= 0) continue;
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const jar = this.byHost.get(url.hostname) ?? new Map<string, string>();
      this.byHost.set(url.hostname, jar);
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a)) || attrs.some((a) => /^\s*expires\s*=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now());
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }
  get(url: URL, name: string): string | undefined {
    return this.byHost.get(url.hostname)?.get(name);
  }
  header(url: URL): string | undefined {
    const jar = this.byHost.get(url.hostname);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function bare(u: URL): string {
  return u.origin + u.pathname;
}

function samlStatusOf(b64: string): { code: string; message: string | null } | undefined {
  const xml = Buffer.from(b64, 'base64').toString('utf8');
  const code = /<(?:\w+:)?StatusCode\b[^>]*\bValue="([^"]+)"/.exec(xml)?.[1];
  if (!code || code.endsWith(':Success')) return undefined;
  return { code, message: /<(?:\w+:)?StatusMessage>([^<]*)</.exec(xml)?.[1] ?? null };
}

/** Drives one SP-initiated login. Never throws: every failure becomes a LoginResult. */
export async function login(opts: LoginOptions): Promise<LoginResult> {
  const timeout = opts.timeoutMs ?? 120_000;
  const dispatcher = new Agent({
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: { rejectUnauthorized: !opts.insecure, ...(opts.ca ? { ca: opts.ca } : {}) },
  });
  const jar = new CookieJar();
  const result: LoginResult = { ok: false, outcome: 'failed', user: opts.user, fleetUrl: opts.fleetUrl, steps: [] };
  const fail = (reason: string, detail: string): LoginResult => Object.assign(result, { ok: false, outcome: 'failed' as const, reason, detail });

  const send = async (step: LoginStep['step'], url: URL, init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string }) => {
    const cookie = jar.header(url);
    const res = await request(url, {
      dispatcher: dispatcher as Dispatcher,
      method: init.method,
      headers: { 'user-agent': 'samlscope-login', ...(cookie ? { cookie } : {}), ...init.headers },
      body: init.body,
    });
    jar.store(url, res.headers['set-cookie']);
    result.steps.push({ step, method: init.method, url: bare(url), status: res.statusCode });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  try {
    let fleet: URL;
    try {
      fleet = new URL(opts.fleetUrl);
    } catch {
      return fail('bad_fleet_url', `not a URL: ${opts.fleetUrl}`);
    }
    const base = fleet.href.replace(/\/+$/, '');

    // 1. initiate
    const initUrl = new URL(base + '/api/v1/fleet/sso');
    const init = await send('initiate', initUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ relay_url: opts.relayUrl ?? '/' }) });
    let idpUrl: URL;
    try {
      if (init.status !== 200) throw new Error(`HTTP ${init.status}`);
      idpUrl = new URL((JSON.parse(init.text) as { url: string }).url);
    } catch (e) {
      return fail('initiate_failed', `POST /api/v1/fleet/sso: ${(e as Error).message}: ${init.text.slice(0, 300)}`);
    }
    try {
      const sr = idpUrl.searchParams.get('SAMLRequest');
      if (sr) result.requestId = /\bID="([^"]+)"/.exec(inflateRawSync(Buffer.from(sr, 'base64')).toString('utf8'))?.[1];
    } catch {
      // an undecodable request is the IdP's to judge
    }
    if (!jar.get(initUrl, SSO_SESSION_COOKIE)) return fail('no_sso_cookie', `Fleet set no ${SSO_SESSION_COOKIE} cookie on initiate`);

    // 2. the IdP, headless
    idpUrl.searchParams.set('login_hint', opts.user);
    if (opts.fault) idpUrl.searchParams.set('fault', opts.fault);
    let idp = await send('idp', idpUrl, { method: 'GET', headers: { accept: 'text/html' } });
    for (let hops = 0; idp.status >= 300 && idp.status < 400 && idp.headers.location && hops < 5; hops++) {
      idpUrl = new URL(String(idp.headers.location), idpUrl);
      idp = await send('idp', idpUrl, { method: 'GET', headers: { accept: 'text/html' } });
    }
    const form = findSamlForm(idp.text);
    if (!form || !form.fields.SAMLResponse) {
      const aadsts = findAadstsError(idp.text);
      if (aadsts) return Object.assign(result, { ok: false, outcome: 'idp_error' as const, idpError: aadsts });
      return fail('idp_no_form', `the IdP answered HTTP ${idp.status} without a SAMLResponse form (is login_hint a configured user?)`);
    }
    const acs = new URL(form.action, idpUrl);
    result.acsUrl = bare(acs);
    result.samlStatus = samlStatusOf(form.fields.SAMLResponse);

    // 3. the callback, carrying Fleet's SSO cookie
    const cb = await send('callback', acs, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: new URLSearchParams(form.fields).toString() });
    const status = findFleetStatus(cb.text) ?? (cb.status >= 300 && cb.status < 400 ? findFleetStatus(String(cb.headers.location ?? '')) : null);
    if (status) return Object.assign(result, { ok: false, outcome: 'fleet_status' as const, fleetStatus: status });
    const token = TOKEN_COOKIE_NAMES.map((n) => jar.get(acs, n)).find((v) => v) ?? (cb.status === 200 ? findFleetToken(cb.text) : null);
    if (cb.status === 200 && token) {
      return Object.assign(result, { ok: true, outcome: 'success' as const, token, redirect: findScriptRedirect(cb.text) ?? undefined });
    }
    const codes = [...new Set(cb.text.match(/\b(?:SAML|EDGE)_[A-Z0-9_]+\b/g) ?? [])];
    if (codes.length > 0) result.codes = codes;
    return fail(cb.status === 400 ? 'callback_bad_request' : cb.status === 403 ? 'callback_blocked' : 'callback_unexpected', `the callback answered HTTP ${cb.status}: ${cb.text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300)}`);
  } catch (e) {
    const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
    return fail('transport', `${err.code ?? err.cause?.code ?? err.name}: ${err.cause?.message ?? err.message}`);
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}
