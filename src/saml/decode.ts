// Decoding what was posted or pasted into SAML XML: POST-binding base64, urlencoded form bodies, HAR files, raw XML, Redirect DEFLATE.
import { inflateRawSync } from 'node:zlib';
import { finding, type Finding } from './findings.js';
import { decodeBase64Go } from '../fleet/callback-request.js';
import type { InputKind, XmlLimits } from './types.js';

export type DecodeResult =
  | { ok: true; xml: string; kind: InputKind; relayState: string | null; findings?: Finding[] }
  | { ok: false; findings: Finding[]; kind: InputKind | null; relayState: string | null };

/** HAR files carry whole browsing sessions: read larger ones, but still bounded. */
export const MAX_HAR_BYTES = 64 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Go's base64.StdEncoding as Fleet decodes SAMLResponse (src/fleet/callback-request.ts): standard alphabet, padding
 * required, CR and LF ignored, any other whitespace refused (Fleet answers 400).
 */
export function decodeBase64Strict(value: string): Buffer | null {
  return decodeBase64Go(value);
}

function bytesToXml(bytes: Buffer, kind: InputKind, relayState: string | null, limits: XmlLimits): DecodeResult {
  if (bytes.length === 0) return { ok: false, findings: [finding('SAML_DECODE_EMPTY', 'The SAMLResponse value is empty.')], kind, relayState };
  if (bytes.length > limits.maxBytes) {
    return { ok: false, findings: [finding('SAML_DECODE_TOO_LARGE', `Decoded message is ${bytes.length} bytes; the limit is ${limits.maxBytes}.`, { bytes: bytes.length, limit: limits.maxBytes })], kind, relayState };
  }
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  while (start < bytes.length && (bytes[start] === 0x20 || bytes[start] === 0x0a || bytes[start] === 0x0d || bytes[start] === 0x09)) start++;
  if (bytes[start] !== 0x3c /* < */) {
    // A DEFLATE-compressed (Redirect-binding) message posted as if it were plain base64?
    try {
      const inflated = inflateRawSync(bytes, { maxOutputLength: limits.maxBytes });
      if (inflated.length > 0 && inflated.toString('latin1', 0, 64).trimStart().startsWith('<')) {
        return { ok: false, findings: [finding('SAML_DECODE_DEFLATED_IN_POST', 'The value is raw DEFLATE data that inflates to XML.', { inflatedBytes: inflated.length })], kind, relayState };
      }
    } catch { /* not deflate either */ }
    return { ok: false, findings: [finding('SAML_DECODE_NOT_XML', 'The decoded bytes do not start with "<".', { firstBytesHex: bytes.subarray(0, 8).toString('hex') })], kind, relayState };
  }
  let xml: string;
  try {
    xml = utf8.decode(bytes);
  } catch {
    return { ok: false, findings: [finding('SAML_XML_MALFORMED', 'The decoded message is not valid UTF-8.')], kind, relayState };
  }
  const decl = /^\uFEFF?\s*<\?xml[^?]*encoding\s*=\s*["']([^"']+)["']/.exec(xml);
  // Fleet's Go parsers read the bytes as UTF-8 whatever the label says (etree's and the round-trip validator's
  // CharsetReader pass the input through), so a wrong label is a finding, not the end of the analysis
  if (decl && !/^(utf-?8|us-ascii)$/i.test(decl[1])) {
    return { ok: true, xml, kind, relayState, findings: [finding('SAML_XML_MALFORMED', `The XML declares encoding "${decl[1].slice(0, 40)}" but its bytes were read as UTF-8 (as Fleet reads them).`, { encoding: decl[1].slice(0, 40) })] };
  }
  return { ok: true, xml, kind, relayState };
}

function fromBase64(value: string, kind: InputKind, relayState: string | null, limits: XmlLimits): DecodeResult {
  const bytes = decodeBase64Strict(value);
  if (!bytes) {
    const bad = /[^A-Za-z0-9+/=\r\n]/.exec(value);
    return {
      ok: false,
      findings: [finding('SAML_DECODE_BASE64_INVALID', bad ? `Character "${bad[0] === '%' ? '%' : bad[0].replace(/[^\x20-\x7e]/, '?')}" at position ${bad.index} is not in the base64 alphabet.` : 'Length or padding is not valid base64.', bad ? { position: bad.index } : { length: value.length })],
      kind,
      relayState,
    };
  }
  return bytesToXml(bytes, kind, relayState, limits);
}

/** One form name or value unescaped exactly as URLSearchParams would, or null where only URLSearchParams' lenient path can say. */
function unescapeFormPart(s: string): string | null {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    // decodeURIComponent (native, linear) equals WHATWG percent-decoding + UTF-8 whenever it does not throw
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * The SAMLResponse values and the first RelayState of a urlencoded body, as `new URLSearchParams(body)` gives them, in
 * one linear pass that unescapes only those two fields' values: a 1 MiB form costs a few ms instead of URLSearchParams'
 * ~10 ms (profiled: bench/README.md). Null when the body needs URLSearchParams' own handling (malformed escapes, lone
 * surrogates); the caller then uses URLSearchParams, so the result is the same either way.
 */
export function scanFormFields(body: string): { values: string[]; relay: string | null } | null {
  // lone surrogates: URLSearchParams replaces them with U+FFFD, decodeURIComponent keeps them (ES2024, in Node 20)
  if (!(body as string & { isWellFormed(): boolean }).isWellFormed()) return null;
  const values: string[] = [];
  let relay: string | null = null;
  for (let start = body.startsWith('?') ? 1 : 0; start < body.length;) {
    let end = body.indexOf('&', start);
    if (end === -1) end = body.length;
    if (end > start) {
      const eq = body.indexOf('=', start);
      const keyEnd = eq === -1 || eq > end ? end : eq;
      const key = unescapeFormPart(body.slice(start, keyEnd));
      if (key === null) return null;
      const wanted = key === 'SAMLResponse' || (key === 'RelayState' && relay === null);
      if (wanted) {
        const value = keyEnd === end ? '' : unescapeFormPart(body.slice(keyEnd + 1, end));
        if (value === null) return null;
        if (key === 'SAMLResponse') values.push(value);
        else relay = value;
      }
    }
    start = end + 1;
  }
  return { values, relay };
}

/** Parses an application/x-www-form-urlencoded body; a second SAMLResponse field is refused. */
function fromForm(body: string, limits: XmlLimits): DecodeResult {
  let fields = scanFormFields(body);
  if (!fields) {
    const params = new URLSearchParams(body);
    fields = { values: params.getAll('SAMLResponse'), relay: params.get('RelayState') };
  }
  const { values, relay } = fields;
  if (values.length === 0) return { ok: false, findings: [finding('SAML_DECODE_EMPTY', 'The form body has no SAMLResponse field.')], kind: 'form', relayState: relay };
  if (values.length > 1) {
    return { ok: false, findings: [finding('SAML_DECODE_FORM_DUPLICATE_FIELD', `The form body has ${values.length} SAMLResponse fields.`, { count: values.length })], kind: 'form', relayState: relay };
  }
  return fromBase64(values[0], 'form', relay, limits);
}

interface HarEntry {
  request?: { method?: string; url?: string; postData?: { text?: string; params?: Array<{ name?: string; value?: string }> } };
}

function fromHar(text: string, limits: XmlLimits): DecodeResult {
  let har: { log?: { entries?: HarEntry[] } };
  try {
    har = JSON.parse(text) as typeof har;
  } catch {
    return { ok: false, findings: [finding('SAML_DECODE_NOT_XML', 'The input starts like JSON but is not a valid HAR file.')], kind: 'har', relayState: null };
  }
  const entries = Array.isArray(har?.log?.entries) ? har.log.entries : [];
  const callbacks = entries.filter((e) => {
    const url = e?.request?.url;
    if (e?.request?.method?.toUpperCase() !== 'POST' || typeof url !== 'string') return false;
    try { return /\/sso\/callback\/?$/.test(new URL(url).pathname); } catch { return false; }
  });
  const last = callbacks[callbacks.length - 1];
  if (!last) return { ok: false, findings: [finding('SAML_DECODE_HAR_NO_CALLBACK', `The HAR has ${entries.length} entries and none is a POST to .../sso/callback.`, { entries: entries.length })], kind: 'har', relayState: null };
  const post = last.request?.postData;
  if (typeof post?.text === 'string' && post.text.length > 0) {
    const r = fromForm(post.text, limits);
    return r.ok ? { ...r, kind: 'har' } : { ...r, kind: 'har' };
  }
  const params = Array.isArray(post?.params) ? post.params : [];
  const fields = params.filter((p) => p?.name === 'SAMLResponse');
  const relay = params.find((p) => p?.name === 'RelayState')?.value ?? null;
  if (fields.length !== 1 || typeof fields[0].value !== 'string') {
    return fields.length > 1
      ? { ok: false, findings: [finding('SAML_DECODE_FORM_DUPLICATE_FIELD', `The callback POST has ${fields.length} SAMLResponse fields.`)], kind: 'har', relayState: relay }
      : { ok: false, findings: [finding('SAML_DECODE_EMPTY', 'The callback POST in the HAR has no SAMLResponse.')], kind: 'har', relayState: relay };
  }
  // HAR params hold URL-encoded values as the browser sent them
  let value = fields[0].value;
  if (/%[0-9A-Fa-f]{2}/.test(value)) { try { value = decodeURIComponent(value.replace(/\+/g, ' ')); } catch { /* judged as is */ } }
  return fromBase64(value, 'har', relay, limits);
}

/**
 * Recognises the input form and returns the SAML XML. Never throws.
 * Forms: raw XML, a HAR file (JSON), a urlencoded form body (SAMLResponse=...), else a base64 SAMLResponse value.
 */
export function decodeSamlInput(input: string | Buffer, limits: XmlLimits): DecodeResult {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size === 0) return { ok: false, findings: [finding('SAML_DECODE_EMPTY', 'The input is empty.')], kind: null, relayState: null };
  if (size > MAX_HAR_BYTES) {
    return { ok: false, findings: [finding('SAML_DECODE_TOO_LARGE', `The input is ${size} bytes.`, { bytes: size, limit: MAX_HAR_BYTES })], kind: null, relayState: null };
  }
  const head = (typeof input === 'string' ? input.slice(0, 256) : input.subarray(0, 256).toString('latin1')).replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart();
  if (head.startsWith('{')) {
    const text = typeof input === 'string' ? input : input.toString('utf8');
    return fromHar(text, limits);
  }
  // everything but HAR is bounded by Fleet's body limit (a base64 body is 4/3 of its XML)
  const bodyLimit = Math.ceil((limits.maxBytes * 4) / 3) + 4096;
  if (size > bodyLimit) {
    return { ok: false, findings: [finding('SAML_DECODE_TOO_LARGE', `The input is ${size} bytes; the limit is ${bodyLimit}.`, { bytes: size, limit: bodyLimit })], kind: null, relayState: null };
  }
  if (head.startsWith('<')) {
    const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
    return bytesToXml(buf, 'xml', null, limits);
  }
  const text = (typeof input === 'string' ? input : input.toString('latin1')).trim();
  if (/(?:^|&)(?:SAMLResponse|RelayState|SAMLRequest|SigAlg|Signature)=/.test(text) || /^[A-Za-z_][\w.-]*=[^&]*&/.test(text)) return fromForm(text, limits);
  return fromBase64(text, 'base64', null, limits);
}

/**
 * The bytes Fleet base64-decoded from a callback's SAMLResponse field (src/fleet/callback-request.ts reads the request
 * as Go does): judged as they are, with no sniffing for HAR, XML or form input, which only files given to `check` need.
 */
export function decodeFleetBytes(bytes: Buffer, limits: XmlLimits): DecodeResult {
  return bytesToXml(bytes, 'base64', null, limits);
}

export type InflateResult = { ok: true; xml: string } | { ok: false; findings: Finding[] };

/** Redirect binding: URL-decoded base64 of raw DEFLATE, inflated with an output bound. */
export function decodeRedirectMessage(value: string, maxBytes = 256 * 1024): InflateResult {
  const bytes = decodeBase64Strict(value);
  if (!bytes) return { ok: false, findings: [finding('SAML_DECODE_BASE64_INVALID', 'The SAMLRequest value is not valid base64.')] };
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(bytes, { maxOutputLength: maxBytes });
  } catch (e) {
    const tooBig = /maxOutputLength|Cannot create a Buffer|buffer/i.test(String((e as Error).message));
    return { ok: false, findings: [tooBig ? finding('SAML_DECODE_TOO_LARGE', `The SAMLRequest inflates to more than ${maxBytes} bytes.`, { limit: maxBytes }) : finding('SAML_DECODE_INFLATE_FAILED', 'The SAMLRequest is not raw DEFLATE data.')] };
  }
  try {
    return { ok: true, xml: utf8.decode(inflated) };
  } catch {
    return { ok: false, findings: [finding('SAML_XML_MALFORMED', 'The inflated SAMLRequest is not valid UTF-8.')] };
  }
}
