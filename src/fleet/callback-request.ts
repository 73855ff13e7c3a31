// Fleet's SSO callback read byte for byte as Go and Fleet read it: ParseForm, FormValue("SAMLResponse"), base64, the 256 KiB cap.
//
// Pure (no I/O) and linear in the request: it runs on the proxy's event loop. Go strings are bytes, so every string
// here is latin1 (one char per byte) and never assumed to be UTF-8. Sources, read for this model (paths are in the
// Go tree `src/` and in fleetdm/fleet):
//
// Fleet
// - server/service/sessions.go `decodeCallbackRequest` (admin SSO; the MDM callback decodes the same way):
//   r.Cookie (only ErrNoCookie is possible) → r.ParseForm() (any error: 400 "failed to parse form") →
//   r.FormValue("SAMLResponse") == "" → 400 "missing SAMLResponse" (current Fleet; older Fleet reached the same 400 one
//   step later, when xml decoding of the empty value failed) → sso.DecodeSAMLResponse = base64.StdEncoding.DecodeString
//   (error: 400 "failed to decode SAMLResponse").
// - server/fleet/request_sizes.go (the size constants file): MaxSSOCallbackSize = 256 KiB, "bounds the body of the
//   unauthenticated SSO callback endpoints (regular and MDM)". Fleet PR #47463 (June 2026) describes it as a guard "at the
//   middleware layer". server/platform/endpointer/endpoint_utils.go MakeDecoder wraps r.Body for RequestDecoder types
//   before DecodeRequest and maps a read error to 413 (platform_http.PayloadTooLargeError); an endpoint limit below the
//   global default (MaxRequestBodySize, 1 MiB) is raised to the default there, so the 256 KiB cap is applied by the SSO
//   decoders themselves (callbackSSODecoder / callbackMDMSSODecoder in server/service/handler.go). Fleet PR #42363 moved
//   these wrappers from io.LimitReader to http.MaxBytesReader. Modelled as http.MaxBytesReader(cap): the error appears only
//   when something READS past the cap, which for these routes is only ParseForm's urlencoded branch. Consequences:
//     * a urlencoded POST body of cap bytes is read whole; cap + 1 bytes → 413, before any SAML check;
//     * a body that is not application/x-www-form-urlencoded (JSON, XML, text/plain, multipart, none) is never read, so
//       it is never 413 whatever its size or Content-Length: Go takes FormValue from the query string;
//     * a Content-Length over the cap is not refused by itself: MaxBytesReader counts bytes read, not the header;
//     * a media-type error found before the body read keeps its 400 (Go keeps the first error, see below).
//   Not verified against a built Fleet: if a deployed Fleet still used io.LimitReader, an oversize form would be read
//   truncated at the cap instead (no 413). The differential test's Go program applies the MaxBytesReader reading.
// - server/service/handler.go attachFleetAPIRoutes: `ne.POST("/api/v1/fleet/sso/callback", ...)` is registered for v1
//   only; `POST /api/_version_/fleet/mdm/sso/callback` for v1, 2022-04 and latest. gorilla/mux cleans the path (301 to the
//   clean one) and matches the decoded URL.Path. Routing is the proxy's business (paths.ts); this file starts at DecodeRequest.
//
// Go (Go 1.19 in Debian, which the differential test runs; current Fleet builds with Go 1.25.x)
// - net/http/request.go ParseForm: only POST, PUT and PATCH have their body parsed (parsePostForm); r.Form = PostForm
//   values first, then the URL query's (copyValues appends), so FormValue = the first body value, else the first query
//   value. The first error is kept (`if err == nil { err = e }`) while the form still fills; Fleet refuses on any error.
// - parsePostForm: an empty Content-Type is application/octet-stream (RFC 7231 3.1.1.5); mime.ParseMediaType; only
//   application/x-www-form-urlencoded is read (multipart/form-data is left to ParseMultipartForm, which FormValue never
//   calls because r.Form is already set); io.ReadAll through io.LimitReader(maxFormSize+1) unless the body is an
//   *http.maxBytesReader (Fleet's cap, so the 10 MB maxFormSize never applies; it would be unreachable anyway: 256 KiB <
//   10 MB); then url.ParseQuery(body). A ParseMediaType error still returns the media type when only a parameter is bad
//   (ErrInvalidMediaParameter): the body is read and parsed, but the returned error is that first one (400).
// - mime/mediatype.go ParseMediaType: base = v up to the first ';'; mediatype = TrimSpace(ToLower(base)) (Unicode:
//   'İ' U+0130 lowercases to 'i', the Kelvin sign U+212A to 'k'; NBSP, NEL and the other Unicode spaces are trimmed);
//   checkMediaTypeDisposition: token ['/' token], nothing else (a type without '/' is accepted); parameters:
//   consumeMediaParam ';' token '=' (token | quoted-string), Unicode spaces skipped around each part, names lowercased; a
//   duplicate name is an error ("mime: duplicate parameter name", mediatype ""): in current Go only when the values
//   differ ("we allow them if they are equal", golang/go#48866, after 1.19), in Go 1.19 always (found by the differential
//   test; `equalDuplicateParams: false` gives 1.19's reading); a lone trailing ';' is ignored, anything else unparsable is ErrInvalidMediaParameter. Quoted strings: a
//   backslash escapes only a tspecial, CR or LF inside ends the parse, an unterminated one is an error.
// - net/url/url.go ParseQuery/parseQuery: split on '&'; a pair containing ';' is an error ("invalid semicolon separator
//   in query"); empty pairs are skipped; key and value are cut at the first '='; QueryUnescape both ('+' → space, %XX →
//   any byte including %00 and %FF; '%' not followed by two hex digits is an EscapeError and the pair is dropped). Go
//   1.24.12 / 1.25.6 (GODEBUG urlmaxqueryparams, default 10000) first checks urlParamsWithinMax(strings.Count(query,
//   "&") + 1) and, over the limit, returns "number of URL query parameters exceeded limit" and no values at all (read
//   in a line-by-line transpilation of the current url.go; 10000 accepted, 10001 refused); Go 1.19 has no limit.
//   readCallbackRequest models current Fleet (limit on); `maxQueryParams: 0` gives Go 1.19's reading. The limit applies
//   to the body and to the query separately (two ParseQuery calls).
// - net/http ReadRequest → url.ParseRequestURI: the request-target is not split at '#' (a fragment is part of RawQuery).
// - encoding/base64 StdEncoding.DecodeString: standard alphabet, padding required, '\r' and '\n' ignored anywhere (also
//   between and after the '=' padding), no other whitespace, nothing after the padding, trailing bits not checked (not
//   Strict). An empty string decodes to zero bytes without error.

import { SSO_CALLBACK_BODY_BYTES } from './rules.js';

/** Fleet's SSO callback body cap (MaxSSOCallbackSize; the fact lives in rules.ts) */
export const MAX_SSO_CALLBACK_BYTES = SSO_CALLBACK_BODY_BYTES;
/** net/http parsePostForm's limit when the body is not an http.MaxBytesReader (unreachable under Fleet's cap) */
export const GO_MAX_FORM_SIZE = 10 << 20;
/** net/url's default parameter limit (Go ≥ 1.24.12 / 1.25.6, GODEBUG urlmaxqueryparams) */
export const GO_MAX_QUERY_PARAMS = 10_000;

export interface CallbackRequest {
  method: string;
  /** the request-target exactly as received (origin-form), e.g. '/api/v1/fleet/sso/callback?a=b' */
  target: string;
  /** the Content-Type header value as Go's Header.Get returns it (the first field), undefined when absent */
  contentType: string | undefined;
  /** the body bytes read (at most the cap + 1 when bodyOverCap) */
  body: Buffer;
  /** true when the body is longer than MAX_SSO_CALLBACK_BYTES (the caller stopped reading) */
  bodyOverCap: boolean;
}

export type FleetCallbackRead =
  | { outcome: 'refused'; status: 400 | 413; reason: 'form_parse' | 'body_too_large' | 'base64' | 'missing'; detail: string }
  | { outcome: 'read';
      /** FormValue("SAMLResponse") as a latin1 byte string, exactly the bytes Go holds (never '': Fleet refuses that as 'missing') */
      samlResponse: string;
      /** base64.StdEncoding of it: the bytes crewjam/saml will parse */
      decoded: Buffer;
      /** where FormValue found it; 'absent' is never produced (an absent value is refused as 'missing') */
      source: 'body' | 'query' | 'absent';
      /** FormValue("RelayState") as latin1 bytes, null when absent */
      relayState: string | null };

/** Where Go versions differ; the defaults are the Go current Fleet builds with (1.25.x). */
export interface ReadOptions {
  /** url.ParseQuery's parameter limit: 10000 in the Go current Fleet builds with; 0 = none (Go before 1.24.12/1.25.6) */
  maxQueryParams?: number;
  /** mime.ParseMediaType accepts a repeated parameter with an equal value (current Go: true; Go 1.19: false) */
  equalDuplicateParams?: boolean;
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

// ---------------------------------------------------------------------------------------------------------------
// UTF-8 runes over a latin1 byte string, with Go's rules (invalid → RuneError, width 1)

const RUNE_ERROR = 0xfffd;

/** utf8.DecodeRuneInString(s[i:end]): [rune, width]. */
function decodeRune(s: string, i: number, end = s.length): [number, number] {
  const b0 = s.charCodeAt(i);
  if (b0 < 0x80) return [b0, 1];
  const n = end - i;
  const cont = (k: number) => { const b = s.charCodeAt(i + k); return b >= 0x80 && b <= 0xbf ? b & 0x3f : -1; };
  if (b0 >= 0xc2 && b0 <= 0xdf && n >= 2) {
    const c1 = cont(1);
    if (c1 >= 0) return [((b0 & 0x1f) << 6) | c1, 2];
  } else if (b0 >= 0xe0 && b0 <= 0xef && n >= 3) {
    const b1 = s.charCodeAt(i + 1);
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    const c2 = cont(2);
    if (b1 >= lo && b1 <= hi && c2 >= 0) return [((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | c2, 3];
  } else if (b0 >= 0xf0 && b0 <= 0xf4 && n >= 4) {
    const b1 = s.charCodeAt(i + 1);
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    const c2 = cont(2);
    const c3 = cont(3);
    if (b1 >= lo && b1 <= hi && c2 >= 0 && c3 >= 0) return [((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | (c2 << 6) | c3, 4];
  }
  return [RUNE_ERROR, 1];
}

/** utf8.DecodeLastRuneInString(s[from:end]): [rune, width]. */
function decodeLastRune(s: string, from: number, end: number): [number, number] {
  const last = s.charCodeAt(end - 1);
  if (last < 0x80) return [last, 1];
  // back to the nearest start byte, at most 4 bytes
  let start = end - 1;
  const lim = Math.max(from, end - 4);
  while (start > lim && (s.charCodeAt(start) & 0xc0) === 0x80) start--;
  const [r, w] = decodeRune(s, start, end);
  if (start + w !== end) return [RUNE_ERROR, 1];
  return [r, w];
}

/** unicode.IsSpace */
function isSpaceRune(r: number): boolean {
  if (r <= 0xff) return r === 0x20 || (r >= 0x09 && r <= 0x0d) || r === 0x85 || r === 0xa0;
  return r === 0x1680 || (r >= 0x2000 && r <= 0x200a) || r === 0x2028 || r === 0x2029 || r === 0x202f || r === 0x205f || r === 0x3000;
}

/** strings.TrimLeftFunc(s[i..], unicode.IsSpace): the new start. */
function skipSpaces(s: string, i: number, end = s.length): number {
  while (i < end) {
    const [r, w] = decodeRune(s, i);
    if (!isSpaceRune(r)) break;
    i += w;
  }
  return i;
}

/** strings.TrimRightFunc(s[start..end), unicode.IsSpace): the new end. */
function trimSpacesRight(s: string, start: number, end: number): number {
  while (end > start) {
    const [r, w] = decodeLastRune(s, start, end);
    if (!isSpaceRune(r)) break;
    end -= w;
  }
  return end;
}

// ---------------------------------------------------------------------------------------------------------------
// mime.ParseMediaType: only what decides Fleet's answer (the media type, and whether parsing failed)

const TSPECIALS = '()<>@,;:\\"/[]?=';

/** mime isTokenChar on a rune */
function isTokenRune(r: number): boolean {
  return r > 0x20 && r < 0x7f && !TSPECIALS.includes(String.fromCharCode(r));
}

/** consumeToken: the end of the token starting at i (i when there is none); runes, as strings.IndexFunc decodes them. */
function tokenEnd(s: string, i: number): number {
  while (i < s.length) {
    const [r, w] = decodeRune(s, i);
    if (!isTokenRune(r)) break;
    i += w;
  }
  return i;
}

/** unicode.ToLower for the only question asked of it here: which ASCII byte it gives, or -1 for a non-ASCII rune. */
function lowerToAscii(r: number): number {
  if (r < 0x80) return r >= 0x41 && r <= 0x5a ? r + 0x20 : r;
  if (r === 0x130) return 0x69; // LATIN CAPITAL LETTER I WITH DOT ABOVE → 'i'
  if (r === 0x212a) return 0x6b; // KELVIN SIGN → 'k'
  return -1;
}

export interface MediaType {
  /** the lowercased media type; '' when Go returns none */
  type: string;
  /** Go's error text, null when none */
  error: string | null;
}

/** mime.ParseMediaType, answering only the media type and the error. */
export function parseMediaTypeGo(v: string, equalDuplicateParams = true): MediaType {
  const semi = v.indexOf(';');
  const baseEnd = semi === -1 ? v.length : semi;
  // mediatype = strings.TrimSpace(strings.ToLower(base)), as runes: ASCII codes, -1 for a non-ASCII rune, -2 for a space
  const runes: number[] = [];
  for (let i = 0; i < baseEnd;) {
    const [r, w] = decodeRune(v, i, baseEnd);
    runes.push(isSpaceRune(r) ? -2 : lowerToAscii(r));
    i += w;
  }
  let a = 0;
  let b = runes.length;
  const spaceAt = (k: number) => runes[k] === -2;
  while (a < b && spaceAt(a)) a++;
  while (b > a && spaceAt(b - 1)) b--;
  let type = '';
  for (let k = a; k < b; k++) {
    const c = runes[k];
    // a non-ASCII rune (or an inner Unicode space) is never a token char: checkMediaTypeDisposition fails
    type += c >= 0 ? String.fromCharCode(c) : '\u0000';
  }
  // checkMediaTypeDisposition
  const t1 = tokenEnd(type, 0);
  if (t1 === 0) return { type: '', error: 'mime: no media type' };
  if (t1 < type.length) {
    if (type[t1] !== '/') return { type: '', error: 'mime: expected slash after first token' };
    const t2 = tokenEnd(type, t1 + 1);
    if (t2 === t1 + 1) return { type: '', error: 'mime: expected token after slash' };
    if (t2 !== type.length) return { type: '', error: 'mime: unexpected content after media subtype' };
  }
  // parameters
  const seen = new Map<string, string>();
  let p = baseEnd;
  while (p < v.length) {
    p = skipSpaces(v, p);
    if (p >= v.length) break;
    const param = consumeMediaParam(v, p);
    if (param === null) {
      // strings.TrimSpace(rest) == ";": a trailing semicolon is not an error
      const s = skipSpaces(v, p);
      const e = trimSpacesRight(v, s, v.length);
      if (e - s === 1 && v[s] === ';') break;
      return { type, error: 'mime: invalid media parameter' };
    }
    const prev = seen.get(param.key);
    if (prev !== undefined && (prev !== param.value || !equalDuplicateParams)) return { type: '', error: 'mime: duplicate parameter name' };
    seen.set(param.key, param.value);
    p = param.rest;
  }
  return { type, error: null };
}

/** consumeMediaParam at i: null when Go returns an empty key. */
function consumeMediaParam(v: string, i: number): { key: string; value: string; rest: number } | null {
  let r = skipSpaces(v, i);
  if (v[r] !== ';') return null;
  r = skipSpaces(v, r + 1);
  const ke = tokenEnd(v, r);
  if (ke === r) return null;
  const key = v.slice(r, ke).toLowerCase(); // an ASCII token: ASCII lowercasing is Go's
  r = skipSpaces(v, ke);
  if (v[r] !== '=') return null;
  r = skipSpaces(v, r + 1);
  const val = consumeValue(v, r);
  if (val.value === '' && val.rest === r) return null;
  return { key, value: val.value, rest: val.rest };
}

/** consumeValue: a token or a quoted-string (byte loop, as Go's). */
function consumeValue(v: string, i: number): { value: string; rest: number } {
  if (i >= v.length) return { value: '', rest: i };
  if (v[i] !== '"') {
    const e = tokenEnd(v, i);
    return { value: v.slice(i, e), rest: e };
  }
  let out = '';
  for (let k = i + 1; k < v.length; k++) {
    const c = v[k];
    if (c === '"') return { value: out, rest: k + 1 };
    if (c === '\\' && k + 1 < v.length && TSPECIALS.includes(v[k + 1])) { out += v[k + 1]; k++; continue; }
    if (c === '\r' || c === '\n') return { value: '', rest: i };
    out += c;
  }
  return { value: '', rest: i };
}

// ---------------------------------------------------------------------------------------------------------------
// url.ParseQuery, linear: every pair is validated, only SAMLResponse and RelayState keys are compared and their first
// values kept as byte ranges (unescaped later, once)

const PCT = 0x25;
const PLUS = 0x2b;
const AMP = 0x26;
const EQ = 0x3d;
const SEMI = 0x3b;

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

const SAML_KEY = Buffer.from('SAMLResponse', 'latin1');
const RELAY_KEY = Buffer.from('RelayState', 'latin1');

interface QueryScan {
  error: string | null;
  saml: [number, number] | null;
  relay: [number, number] | null;
}

/** QueryUnescape of buf[start..end) compared to `want`, without allocating (false when it differs or is invalid). */
function unescapesTo(buf: Buffer, start: number, end: number, want: Buffer): boolean {
  // each output byte takes 1 or 3 input bytes
  if (end - start < want.length || end - start > want.length * 3) return false;
  let o = 0;
  for (let i = start; i < end; o++) {
    if (o >= want.length) return false;
    let c = buf[i];
    if (c === PCT) { c = (hexVal(buf[i + 1]) << 4) | hexVal(buf[i + 2]); i += 3; } else { if (c === PLUS) c = 0x20; i++; }
    if (c !== want[o]) return false;
  }
  return o === want.length;
}

/** QueryUnescape of buf[start..end) (already validated) as a Buffer. */
function unescapeRange(buf: Buffer, start: number, end: number): Buffer {
  const first = nextOf(buf, start, end);
  if (first === -1) return buf.subarray(start, end);
  const out = Buffer.allocUnsafe(end - start);
  let o = 0;
  let i = start;
  while (i < end) {
    const c = buf[i];
    if (c === PCT) { out[o++] = (hexVal(buf[i + 1]) << 4) | hexVal(buf[i + 2]); i += 3; } else { out[o++] = c === PLUS ? 0x20 : c; i++; }
  }
  return out.subarray(0, o);
}

/** the first '%' or '+' in buf[start..end), -1 when none */
function nextOf(buf: Buffer, start: number, end: number): number {
  const p = buf.indexOf(PCT, start);
  const q = buf.indexOf(PLUS, start);
  const m = p === -1 || p >= end ? (q === -1 || q >= end ? -1 : q) : (q === -1 || q >= end ? p : Math.min(p, q));
  return m;
}

/** url.ParseQuery over bytes. Indexes of the next ';', '=' and '%' are cached so the whole scan stays linear. */
function scanQuery(buf: Buffer, maxParams: number): QueryScan {
  const len = buf.length;
  const res: QueryScan = { error: null, saml: null, relay: null };
  if (maxParams > 0) {
    let count = 1;
    for (let i = buf.indexOf(AMP); i !== -1; i = buf.indexOf(AMP, i + 1)) if (++count > maxParams) break;
    if (count > maxParams) { res.error = 'number of URL query parameters exceeded limit'; return res; }
  }
  let nextSemi = buf.indexOf(SEMI);
  let nextEq = buf.indexOf(EQ);
  let nextPct = buf.indexOf(PCT);
  const validEscapes = (start: number, end: number): boolean => {
    if (nextPct !== -1 && nextPct < start) nextPct = buf.indexOf(PCT, start);
    while (nextPct !== -1 && nextPct < end) {
      if (nextPct + 2 >= end || hexVal(buf[nextPct + 1]) < 0 || hexVal(buf[nextPct + 2]) < 0) return false;
      nextPct = buf.indexOf(PCT, nextPct + 3);
    }
    return true;
  };
  for (let start = 0; start < len;) {
    let end = buf.indexOf(AMP, start);
    if (end === -1) end = len;
    if (nextSemi !== -1 && nextSemi < start) nextSemi = buf.indexOf(SEMI, start);
    if (nextSemi !== -1 && nextSemi < end) { res.error = 'invalid semicolon separator in query'; return res; }
    if (end > start) {
      if (nextEq !== -1 && nextEq < start) nextEq = buf.indexOf(EQ, start);
      const keyEnd = nextEq !== -1 && nextEq < end ? nextEq : end;
      if (!validEscapes(start, keyEnd) || !validEscapes(keyEnd === end ? end : keyEnd + 1, end)) {
        res.error = 'invalid URL escape';
        return res;
      }
      const valStart = keyEnd === end ? end : keyEnd + 1;
      if (res.saml === null && unescapesTo(buf, start, keyEnd, SAML_KEY)) res.saml = [valStart, end];
      else if (res.relay === null && unescapesTo(buf, start, keyEnd, RELAY_KEY)) res.relay = [valStart, end];
    }
    start = end + 1;
  }
  return res;
}

// ---------------------------------------------------------------------------------------------------------------
// encoding/base64 StdEncoding.DecodeString

const B64 = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;

/** Go's StdEncoding over bytes: null on any error. */
function decodeBase64Bytes(src: Uint8Array): Buffer | null {
  const len = src.length;
  const out = Buffer.allocUnsafe(Math.floor(len / 4) * 3 + 3);
  let o = 0;
  let acc = 0;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const c = src[i];
    const v = B64[c];
    if (v >= 0) {
      acc = (acc << 6) | v;
      if (++n === 4) { out[o++] = acc >>> 16; out[o++] = (acc >>> 8) & 0xff; out[o++] = acc & 0xff; acc = 0; n = 0; }
      continue;
    }
    if (c === 0x0a || c === 0x0d) continue;
    if (c !== EQ || n < 2) return null;
    // padding: "xx==" or "xxx=", newlines allowed anywhere in it and after it, nothing else after it
    i++;
    if (n === 2) {
      while (i < len && (src[i] === 0x0a || src[i] === 0x0d)) i++;
      if (i >= len || src[i] !== EQ) return null;
      i++;
    }
    while (i < len && (src[i] === 0x0a || src[i] === 0x0d)) i++;
    if (i < len) return null;
    if (n === 2) out[o++] = (acc >>> 4) & 0xff;
    else { out[o++] = (acc >>> 10) & 0xff; out[o++] = (acc >>> 2) & 0xff; }
    return out.subarray(0, o);
  }
  if (n !== 0) return null;
  return out.subarray(0, o);
}

/** Go's base64.StdEncoding.DecodeString of a latin1 byte string: the bytes, or null where Go returns an error. */
export function decodeBase64Go(value: string): Buffer | null {
  return decodeBase64Bytes(Buffer.from(value, 'latin1'));
}

// ---------------------------------------------------------------------------------------------------------------
// the request

function refused(status: 400 | 413, reason: 'form_parse' | 'body_too_large' | 'base64' | 'missing', detail: string): FleetCallbackRead {
  return { outcome: 'refused', status, reason, detail };
}

/** The raw query Go's url.ParseRequestURI keeps: everything after the first '?', '#' included. */
export function rawQueryOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? '' : target.slice(q + 1);
}

/** What Fleet's callback DecodeRequest makes of this request: refused (400/413) or the SAMLResponse bytes it goes on to validate. */
export function readCallbackRequest(req: CallbackRequest, opts: ReadOptions = {}): FleetCallbackRead {
  const maxParams = opts.maxQueryParams ?? GO_MAX_QUERY_PARAMS;
  let firstError: FleetCallbackRead | null = null;
  let body: QueryScan | null = null;
  // ParseForm: only POST, PUT and PATCH bodies are parsed
  if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
    const ct = req.contentType === undefined || req.contentType === '' ? 'application/octet-stream' : req.contentType;
    const media = parseMediaTypeGo(ct, opts.equalDuplicateParams ?? true);
    if (media.error !== null) firstError = refused(400, 'form_parse', media.error);
    if (media.type === FORM_TYPE) {
      if (req.bodyOverCap || req.body.length > MAX_SSO_CALLBACK_BYTES) {
        // MaxBytesReader's error while ParseForm reads: Fleet's 413, unless a media-type error came first
        firstError ??= refused(413, 'body_too_large', `http: request body too large (over ${MAX_SSO_CALLBACK_BYTES} bytes)`);
      } else {
        const scan = scanQuery(req.body, maxParams);
        if (scan.error !== null) firstError ??= refused(400, 'form_parse', scan.error);
        body = scan;
      }
    }
  }
  const queryBytes = Buffer.from(rawQueryOf(req.target), 'latin1');
  const query = scanQuery(queryBytes, maxParams);
  if (query.error !== null) firstError ??= refused(400, 'form_parse', query.error);
  if (firstError) return firstError;

  // FormValue: the first body value, else the first query value
  const fromBody = body?.saml ?? null;
  const samlBytes = fromBody ? unescapeRange(req.body, fromBody[0], fromBody[1])
    : query.saml ? unescapeRange(queryBytes, query.saml[0], query.saml[1]) : Buffer.alloc(0);
  if (samlBytes.length === 0) return refused(400, 'missing', 'missing SAMLResponse');
  const relayRange = body?.relay ?? null;
  const relayState = relayRange ? unescapeRange(req.body, relayRange[0], relayRange[1]).toString('latin1')
    : query.relay ? unescapeRange(queryBytes, query.relay[0], query.relay[1]).toString('latin1') : null;
  const decoded = decodeBase64Bytes(samlBytes);
  if (decoded === null) return refused(400, 'base64', 'failed to decode SAMLResponse');
  return {
    outcome: 'read',
    samlResponse: samlBytes.toString('latin1'),
    decoded: Buffer.from(decoded),
    source: fromBody ? 'body' : 'query',
    relayState,
  };
}
