// Adversarial SSO callback requests for the Fleet differential tests: a seeded generator, raw HTTP/1.1 serialisation, and Node's view of each.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { caseRng, type Rng } from '../src/fuzz/prng.js';
import { MAX_SSO_CALLBACK_BYTES, type CallbackRequest } from '../src/fleet/callback-request.js';

export interface CallbackCase {
  /** what the case exercises, for failure messages */
  label: string;
  method: string;
  target: string;
  /** extra header lines in order (Host, framing and Connection are added by serialize) */
  headers: Array<[string, string]>;
  body: Buffer;
  chunked: boolean;
  /** a framing oddity where Node's and Go's HTTP parsers may part (counted by the tests, not a model property) */
  framing?: FramingOddity;
}

export type FramingOddity = 'nonascii-target' | 'ctl-header' | 'cl-and-te' | 'obs-fold' | 'bare-lf' | 'space-before-colon';
const ODDITIES: readonly FramingOddity[] = ['nonascii-target', 'ctl-header', 'cl-and-te', 'obs-fold', 'bare-lf', 'space-before-colon'];

export const SSO_PATH = '/api/v1/fleet/sso/callback';
export const MDM_PATH = '/api/v1/fleet/mdm/sso/callback';

const FORM = 'application/x-www-form-urlencoded';
const DOC = '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_c"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/t/</saml:Issuer></samlp:Response>';

/** A small SAML-looking document made distinct per case, so the bytes judged can be told apart. */
export function samlDoc(tag: string): Buffer {
  return Buffer.from(DOC.replace('_c', `_${tag}`), 'utf8');
}

/** Percent-encodes every byte outside unreserved characters (what a browser form post does, with %20 instead of '+'). */
export function pct(s: string | Buffer): string {
  const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  let out = '';
  for (const c of b) {
    const ch = String.fromCharCode(c);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : '%' + c.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

const CONTENT_TYPES: ReadonlyArray<string | null> = [
  FORM, FORM, FORM, FORM,
  'Application/X-WWW-Form-Urlencoded', 'APPLICATION/X-WWW-FORM-URLENCODED', `${FORM}; charset=UTF-8`, `${FORM};charset="utf-8"`,
  `${FORM};`, `${FORM};;`, `${FORM}; ;`, `${FORM}; charset=a; charset=a`, `${FORM}; charset=a; CHARSET=b`, `${FORM}; charset`,
  `${FORM}; charset=`, `${FORM}; =x`, `${FORM}; a="x;y"`, `${FORM}; a="x\\"y"`, `${FORM}; a="unterminated`, `${FORM}; a=""`,
  `${FORM} ; a=b `, `${FORM}\t;\ta=b`, `${FORM}\xc2\xa0`, `\xc2\xa0${FORM}`, `${FORM}\xc2\x85`, 'appl\xc4\xb0cation/x-www-form-urlencoded',
  `${FORM}\xff`, `${FORM}, text/plain`, `${FORM}/x`, 'application /x-www-form-urlencoded', `${FORM}; a*=1; a*=2`, `${FORM}; a*0=x; a*1=y`,
  `${FORM}; a=\xe2\x9c\x93`, `${FORM};\xe2\x80\x83a=b`, 'x-www-form-urlencoded', 'application/x-www-form-urlencoded2',
  'multipart/form-data; boundary=b', 'text/plain', 'text/xml', 'application/json', 'application/octet-stream', '', null,
];

const SAML_KEYS: readonly string[] = [
  'SAMLResponse', 'SAMLResponse', 'SAMLResponse', 'SAML%52esponse', '%53AMLResponse', 'SAMLRespons%65', 'SAMLRespons%65',
  'samlresponse', 'SAMLResponse%20', 'SAMLResponse+', '+SAMLResponse', 'SAMLResponse%00', 'SAML+Response', 'SAMLResponse%',
  'SAMLResponse%2', 'SAMLResponse%zz', 'SAMLRESPONSE', 'SAMLResponse;', '%53%41%4d%4c%52%65%73%70%6f%6e%73%65',
];

const JUNK_PAIRS: readonly string[] = [
  '', '=', '==', '=x', 'a', 'a=b', 'a=b=c', 'x=%00', 'x=%FF', 'x=%e2%82%ac', '%FF=%FF',
  'x=%0D%0A', 'x=+', 'RelayState=r1', 'RelayState=%FFr+2', 'RelayState=', 'Relay%53tate=r3', 'SigAlg=x',
];
/** pairs url.ParseQuery refuses */
const BAD_PAIRS: readonly string[] = ['a;b=c', 'x=%G0', 'x=%', 'x=%4', 'x;=y', '%zz', 'k%4=v'];

/** The base64 value sent for a document, spelled one of the ways attackers and broken IdPs spell it. */
function b64Variant(rng: Rng, doc: Buffer): { raw: string; label: string } {
  const b64 = doc.toString('base64');
  const mid = 1 + rng.int(b64.length - 2);
  switch (rng.int(16)) {
    case 0: return { raw: b64, label: 'raw' };
    case 1: return { raw: b64.slice(0, mid) + ' ' + b64.slice(mid), label: 'space' };
    case 2: return { raw: b64.slice(0, mid) + '\t' + b64.slice(mid), label: 'tab' };
    case 3: return { raw: b64.slice(0, mid) + '\r\n' + b64.slice(mid), label: 'crlf' };
    case 4: return { raw: b64.replace(/(.{76})/g, '$1\n'), label: 'lf76' };
    case 5: return { raw: b64.replace(/=+$/, ''), label: 'nopad' };
    case 6: return { raw: b64.replace(/\+/g, '-').replace(/\//g, '_'), label: 'urlsafe' };
    case 7: return { raw: b64 + '=', label: 'extrapad' };
    case 8: return { raw: b64 + 'A', label: 'trailing' };
    case 9: return { raw: b64.replace(/=+$/, '') + '\n=\r\n'.slice(0, 1 + rng.int(3)), label: 'padnl' };
    case 10: return { raw: '', label: 'empty' };
    case 11: return { raw: ' ' + b64, label: 'leadspace' };
    default: return { raw: b64, label: 'canonical' };
  }
}

/** How the value is escaped in the form: percent-encoded, raw ('+' then means space), or mixed. */
function escapeVariant(rng: Rng, raw: string): string {
  switch (rng.int(6)) {
    case 0: return raw; // raw: '+' is a space to Go
    case 1: return raw.replace(/\+/g, '%2B').replace(/=/g, '%3d');
    case 2: return raw.replace(/ /g, '+').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
    case 3: return pct(raw).replace(/%2B/g, '%2b');
    default: return pct(raw);
  }
}

function shuffle<T>(rng: Rng, a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) { const j = rng.int(i + 1); [a[i], a[j]] = [a[j], a[i]]; }
  return a;
}

/** Form-looking bodies that the old proxy sniffed as something else, with a second message hidden for Go. */
function sniffBait(rng: Rng, evil: string, good: Buffer): string {
  const goodB64 = good.toString('base64');
  switch (rng.int(5)) {
    case 0: return JSON.stringify({ note: `&SAMLResponse=${evil}&`, log: { entries: [{ request: { method: 'POST', url: `https://f.test${SSO_PATH}`, postData: { text: `SAMLResponse=${pct(goodB64)}` } } }] } });
    case 1: return `${DOC.slice(0, -18)}<!--&SAMLResponse=${evil}&--></samlp:Response>`;
    case 2: return `${goodB64}&SAMLResponse=${evil}`;
    case 3: return ` {"SAMLResponse":"${goodB64}"}&SAMLResponse=${evil}`;
    default: return `<?xml version="1.0"?>&SAMLResponse=${evil}`;
  }
}

/**
 * Case `index` of the run seeded with `seed`. `docs` are the two messages it hides in different places (default: two
 * small distinct documents); `evil` is spelled the adversarial ways, `good` canonically.
 */
export function generateCase(seed: number, index: number, docs?: { good: Buffer; evil: Buffer }): CallbackCase {
  const rng = caseRng(seed, index);
  const labels: string[] = [];
  const good = docs?.good ?? samlDoc(`g${index}`);
  const evilDoc = docs?.evil ?? samlDoc(`e${index}`);
  const v = b64Variant(rng, evilDoc);
  labels.push(`b64:${v.label}`);
  const value = escapeVariant(rng, v.raw);

  // body
  let body: string;
  const shape = rng.int(10);
  if (shape <= 4) {
    const pairs: string[] = [];
    const key = rng.chance(0.8) ? 'SAMLResponse' : rng.pick(SAML_KEYS);
    labels.push(`key:${key}`);
    pairs.push(`${key}=${value}`);
    for (let k = rng.int(4); k > 0; k--) pairs.push(rng.chance(0.08) ? rng.pick(BAD_PAIRS) : rng.pick(JUNK_PAIRS));
    if (rng.chance(0.25)) pairs.push(`${rng.pick(SAML_KEYS)}=${pct(good.toString('base64'))}`);
    body = (rng.chance(0.85) ? shuffle(rng, pairs) : pairs).join(rng.chance(0.05) ? '&&' : '&');
    if (rng.chance(0.1)) body = '&' + body;
    if (rng.chance(0.1)) body += '&';
  } else if (shape === 5) {
    body = sniffBait(rng, value, good);
    labels.push('sniffbait');
  } else if (shape === 6) {
    body = rng.pick([v.raw, good.toString('utf8'), '', `SAMLResponse=${value};`, `;SAMLResponse=${value}`, 'a'.repeat(rng.int(50))]);
    labels.push('bare');
  } else if (shape === 7) {
    // around the cap, or far over it
    const target = rng.pick([MAX_SSO_CALLBACK_BYTES - 1, MAX_SSO_CALLBACK_BYTES, MAX_SSO_CALLBACK_BYTES + 1, MAX_SSO_CALLBACK_BYTES + 1 + rng.int(4096), 1024 * 1024, MAX_SSO_CALLBACK_BYTES - 1 - rng.int(4096)]);
    const head = `SAMLResponse=${value}&pad=`;
    body = head + 'p'.repeat(Math.max(0, target - head.length));
    labels.push(`size:${body.length - MAX_SSO_CALLBACK_BYTES}`);
  } else if (shape === 8) {
    // the parameter limit
    const n = rng.pick([9_998, 9_999, 10_000, 10_001]);
    body = '&'.repeat(n) + `SAMLResponse=${value}`;
    labels.push(`amps:${n}`);
  } else {
    body = `RelayState=r&x=${rng.int(9)}`;
    labels.push('relay-only');
  }

  // target
  let target = rng.chance(0.75) ? SSO_PATH : MDM_PATH;
  const q = rng.chance(0.4) ? 0 : rng.int(12);
  if (q === 1) target += '?';
  else if (q === 2 || q === 3) target += `?SAMLResponse=${pct(good.toString('base64'))}`;
  else if (q === 4) target += `?RelayState=q${index}`;
  else if (q === 5) target += '?a;b=c';
  else if (q === 6) target += '?x=%zz';
  else if (q === 7) target += `?SAMLResponse=${pct(good.toString('base64'))}#frag`;
  else if (q === 8) target += `?SAML%52esponse=${pct(good.toString('base64'))}&SAMLResponse=x`;
  else if (q === 9) target += `?${'&'.repeat(rng.pick([9_999, 10_000]))}SAMLResponse=${pct(good.toString('base64'))}`;
  else if (q === 10) target += '#SAMLResponse=x';
  if (q >= 2 && q <= 10) labels.push(`query:${q}`);

  const method = rng.chance(0.9) ? 'POST' : rng.pick(['PUT', 'PATCH', 'GET', 'DELETE', 'OPTIONS']);
  const headers: Array<[string, string]> = [];
  const ct = rng.chance(0.5) ? FORM : rng.pick(CONTENT_TYPES);
  if (ct !== null) headers.push(['Content-Type', ct]);
  if (rng.chance(0.05)) headers.push(['Content-Type', rng.pick([FORM, 'application/json'])]);
  labels.push(`ct:${JSON.stringify(ct)}`, method);
  const chunked = rng.chance(0.2);
  if (chunked) labels.push('chunked');
  const framing = rng.chance(0.03) ? rng.pick(ODDITIES) : undefined;
  if (framing) labels.push(`framing:${framing}`);
  return { label: labels.join(' '), method, target, headers, body: Buffer.from(body, 'latin1'), chunked, ...(framing ? { framing } : {}) };
}

/** The case as bytes on the wire; `caseId` goes in an X-Case header so Node's view can be matched to it. */
export function serialize(c: CallbackCase, caseId?: string, rng?: Rng): Buffer {
  const target = c.framing === 'nonascii-target' ? `${c.target}${c.target.includes('?') ? '&' : '?'}x=\xff\xfe` : c.target;
  let head = `${c.method} ${target} HTTP/1.1\r\nHost: fleet.test\r\n`;
  for (const [k, v] of c.headers) head += `${k}: ${v}\r\n`;
  if (c.framing === 'ctl-header') head += 'X-Odd: a\x01b\r\n';
  if (c.framing === 'obs-fold') head += 'X-Odd: a\r\n folded\r\n';
  if (c.framing === 'bare-lf') head += 'X-Odd: a\n';
  if (c.framing === 'space-before-colon') head += 'X-Odd : a\r\n';
  if (caseId !== undefined) head += `X-Case: ${caseId}\r\n`;
  head += 'Connection: close\r\n';
  if (c.framing === 'cl-and-te' && !c.chunked) head += 'Transfer-Encoding: identity\r\n';
  if (c.framing === 'cl-and-te' && c.chunked) head += `Content-Length: ${c.body.length}\r\n`;
  if (!c.chunked) return Buffer.concat([Buffer.from(`${head}Content-Length: ${c.body.length}\r\n\r\n`, 'latin1'), c.body]);
  const parts: Buffer[] = [Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\n`, 'latin1')];
  for (let i = 0; i < c.body.length;) {
    const n = Math.min(c.body.length - i, 1 + (rng ? rng.int(70_000) : 16_384));
    parts.push(Buffer.from(n.toString(16) + '\r\n', 'latin1'), c.body.subarray(i, i + n), Buffer.from('\r\n', 'latin1'));
    i += n;
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}

/** Node's view of one raw request: what its HTTP parser hands a handler, or null when the parser refused it. */
export type NodeView = CallbackRequest | null;

/**
 * Sends every raw request to a real Node http server (one connection each, a few at a time) and returns the request
 * as a handler sees it: method, raw url, the first Content-Type, the body read up to the cap + 1.
 */
export async function nodeViews(raws: Buffer[], concurrency = 16): Promise<NodeView[]> {
  const views: NodeView[] = new Array(raws.length).fill(null);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { if (size <= MAX_SSO_CALLBACK_BYTES) chunks.push(c); size += c.length; });
    req.on('end', () => {
      const all = Buffer.concat(chunks);
      const id = Number(req.headers['x-case']);
      const over = size > MAX_SSO_CALLBACK_BYTES;
      views[id] = {
        method: req.method ?? '', target: req.url ?? '',
        contentType: typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : undefined,
        body: over ? all.subarray(0, MAX_SSO_CALLBACK_BYTES + 1) : all, bodyOverCap: over,
      };
      res.setHeader('connection', 'close');
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  let next = 0;
  const one = (i: number) => new Promise<void>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(raws[i]));
    s.on('data', () => {});
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
  const worker = async () => { while (next < raws.length) await one(next++); };
  await Promise.all(Array.from({ length: concurrency }, worker));
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  return views;
}
