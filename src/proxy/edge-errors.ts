// The EDGE_* catalogue: every error the proxy itself answers with (not Fleet's), with its HTTP status, and how it is rendered.
import { escapeHtml } from '../html/escape.js';
import { INLINE_FAVICON_LINK } from '../html/favicon.js';

export interface EdgeEntry {
  readonly status: number;
  readonly title: string;
}

export const EDGE_ERRORS = {
  EDGE_UPSTREAM_UNREACHABLE: { status: 502, title: 'Fleet cannot be reached' },
  EDGE_UPSTREAM_RESET: { status: 502, title: 'Fleet closed the connection' },
  EDGE_UPSTREAM_TLS: { status: 502, title: 'Fleet\'s TLS certificate is not trusted' },
  EDGE_UPSTREAM_TIMEOUT: { status: 504, title: 'Fleet did not answer in time' },
  EDGE_UPSTREAM_BAD_RESPONSE: { status: 502, title: 'Fleet sent an invalid response' },
  EDGE_BODY_NOT_ALLOWED: { status: 400, title: 'A GET, HEAD or TRACE request must not carry a body' },
  EDGE_BAD_PATH: { status: 400, title: 'The request path is not allowed' },
  EDGE_BAD_REQUEST: { status: 400, title: 'The request is malformed' },
  EDGE_BODY_TOO_LARGE: { status: 413, title: 'The SSO callback body is larger than Fleet accepts' },
  EDGE_BODY_TIMEOUT: { status: 408, title: 'The SSO callback body did not arrive in time' },
  EDGE_SSO_REJECTED: { status: 403, title: 'Sign-in blocked: the SAML response failed samlscope\'s checks' },
  EDGE_STATE_UNAVAILABLE: { status: 403, title: 'Sign-in blocked: samlscope cannot reach its shared state to check this response' },
  EDGE_ANALYSIS_UNAVAILABLE: { status: 503, title: 'Sign-in blocked: samlscope could not check this response in time' },
  EDGE_INTERNAL: { status: 500, title: 'samlscope failed to handle the request' },
  EDGE_NOT_SSO_ROUTE: { status: 421, title: 'This samlscope serves only Fleet\'s SSO routes: the front proxy sent it a request that belongs to Fleet' },
} as const satisfies Record<string, EdgeEntry>;

export type EdgeCode = keyof typeof EDGE_ERRORS;
export const EDGE_CODES = Object.keys(EDGE_ERRORS) as EdgeCode[];

/** An error the proxy answers with; keeps the transport failure as `cause`. */
export class EdgeError extends Error {
  readonly status: number;
  constructor(readonly code: EdgeCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? EDGE_ERRORS[code].title, options);
    this.name = 'EdgeError';
    this.status = EDGE_ERRORS[code].status;
  }
}

const TLS_CODES = /CERT|SELF_SIGNED|ERR_TLS|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME|ALTNAME|ERR_SSL|EPROTO/i;

/** Maps a transport failure talking to Fleet (undici errors, with causes) to an EDGE code. */
export function classifyUpstreamError(err: unknown): EdgeCode {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const o = e as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof o.code === 'string') codes.push(o.code);
    if (typeof o.name === 'string') codes.push(o.name);
    e = o.cause;
  }
  const all = codes.join(' ');
  if (TLS_CODES.test(all)) return 'EDGE_UPSTREAM_TLS';
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT|ConnectTimeout/.test(all)) return 'EDGE_UPSTREAM_UNREACHABLE';
  if (/TIMEOUT|Timeout|ETIMEDOUT/.test(all)) return 'EDGE_UPSTREAM_TIMEOUT';
  if (/ECONNRESET|UND_ERR_SOCKET|EPIPE|UND_ERR_CLOSED|SocketError|ECONNABORTED/.test(all)) return 'EDGE_UPSTREAM_RESET';
  if (/HPE_|UND_ERR_INFO|UND_ERR_RES|BadGateway/.test(all)) return 'EDGE_UPSTREAM_BAD_RESPONSE';
  return 'EDGE_UPSTREAM_UNREACHABLE';
}

/** Browsers (Accept: text/html) get a page; API clients and agents get JSON. */
export function wantsHtml(accept: string | undefined): boolean {
  return typeof accept === 'string' && accept.includes('text/html');
}

export interface EdgeBody {
  contentType: string;
  body: string;
}

/** The answer for an EDGE error: a short page or `{ "error": { code, status, title, requestId, ... } }`. */
export function renderEdge(code: EdgeCode, requestId: string, accept: string | undefined, extra: { findings?: string[]; detail?: string; loginUrl?: string } = {}): EdgeBody {
  const entry = EDGE_ERRORS[code];
  // one line per code: the engine may report a code once per place (Response and Assertion IssueInstant)
  const codes = extra.findings ? [...new Set(extra.findings)] : [];
  if (!wantsHtml(accept)) {
    const error: Record<string, unknown> = { code, status: entry.status, title: entry.title, requestId };
    if (codes.length > 0) error.findings = codes;
    return { contentType: 'application/json; charset=utf-8', body: JSON.stringify({ error }) };
  }
  const list = codes.length > 0 ? `<ul>${codes.map((c) => `<li><code>${escapeHtml(c)}</code></li>`).join('')}</ul>` : '';
  const back = extra.loginUrl ? `<p><a id="back-to-login" href="${escapeHtml(extra.loginUrl)}">Back to the Fleet login</a></p>` : '';
  const detail = extra.detail ? `<p>${escapeHtml(extra.detail)}</p>` : '';
  const body = '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="robots" content="noindex">' + INLINE_FAVICON_LINK +
    `<title>${escapeHtml(entry.title)}</title></head><body style="font:15px/1.5 sans-serif;max-width:40em;margin:3em auto">` +
    `<h1>${escapeHtml(entry.title)}</h1>${detail}${list}` +
    `<p>Code <code id="code">${escapeHtml(code)}</code> · request id <code id="request-id">${escapeHtml(requestId)}</code></p>` +
    '<p>Give the request id to your Fleet administrator: samlscope recorded the details.</p>' + back + '</body></html>';
  return { contentType: 'text/html; charset=utf-8', body };
}
