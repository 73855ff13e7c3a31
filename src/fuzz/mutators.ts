// The mutation catalogue: text-level (tokens, elements, namespaces, attributes, markup), encoding and byte-level mutations.
import type { Rng } from './prng.js';
import { attributes, buildTag, elementSpan, elementStarts, join, tagName, tokenize, type Token } from './xml-tokens.js';

/** A structural mutation of XML text; null when it does not apply to this input. */
export interface TextMutator {
  name: string;
  apply(xml: string, rng: Rng): string | null;
}

/** The last step: how the (mutated) XML is delivered — raw, base64, form body, other encodings. */
export interface EncodingMutator {
  name: string;
  apply(xml: string, rng: Rng): string | Buffer;
}

/** Raw byte damage on whatever is delivered. */
export interface ByteMutator {
  name: string;
  apply(bytes: Buffer, rng: Rng): Buffer;
}

/** Values an attacker would like the SP to read. */
const HOSTILE_VALUES = [
  'admin@contoso.example', 'alice@contoso.example.evil', 'alice@contoso.example ', '', ' ', 'fleet', 'spn:fleet',
  'https://evil.example/api/v1/fleet/sso/callback', 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/',
  '_1b2c3d4e-0000-4000-8000-000000000001', '_1b2c3d4e-0000-4000-8000-000000000002', '#_1b2c3d4e-0000-4000-8000-000000000002',
  'id-0000000000000000000000000000000000000000', '2099-01-01T00:00:00Z', '1970-01-01T00:00:00Z', 'urn:oasis:names:tc:SAML:2.0:status:Success',
  '&amp;', '&lt;x&gt;', '&#x61;', '&#0;', '&unknown;', '\u0000', '\uFEFF', '\u202Eevil', 'a'.repeat(300),
];

const NAMESPACES = [
  'urn:oasis:names:tc:SAML:2.0:protocol', 'urn:oasis:names:tc:SAML:2.0:assertion', 'http://www.w3.org/2000/09/xmldsig#',
  'urn:oasis:names:tc:SAML:2.0:assertion ', 'urn:oasis:names:tc:SAML:2.0:ASSERTION', 'http://evil.example/ns', '',
];

const MARKUP = ['<!---->', '<!-- x -->', '<?pi x?>', '<?xml version="1.0"?>', '<![CDATA[]]>', '<![CDATA[x]]>', '&#x20;', '&amp;', '&lt;', '&ent;', '&#xD800;', ']]>', '<', '>', '&'];

function randomString(rng: Rng, max: number): string {
  const alphabet = 'abcxyz0129_-.:@#/ <>&"\'=\u00e9\u4e2d\ud83d\ude00';
  let s = '';
  const n = rng.int(max) + 1;
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

function hostileValue(rng: Rng, tokens: Token[]): string {
  const r = rng.int(4);
  if (r === 0) return randomString(rng, 40);
  if (r === 1) {
    // a value from elsewhere in the same document
    const vals = tokens.flatMap((t) => (t.kind === 'open' || t.kind === 'empty' ? attributes(t.text).map((a) => a.value) : []));
    if (vals.length > 0) return rng.pick(vals);
  }
  return rng.pick(HOSTILE_VALUES);
}

/** [start, end) of a random run of tokens. */
function run(tokens: Token[], rng: Rng): [number, number] {
  const a = rng.int(tokens.length);
  const len = 1 + rng.int(Math.min(8, tokens.length - a));
  return [a, a + len];
}

function randomElement(tokens: Token[], rng: Rng): [number, number] | null {
  const starts = elementStarts(tokens);
  if (starts.length === 0) return null;
  // prefer the interesting ones now and then
  const interesting = starts.filter((i) => /(Assertion|Signature|NameID|Subject|Audience|Issuer|Reference|SignedInfo|Conditions|SubjectConfirmation|Status|KeyInfo|X509)/.test(tagName(tokens[i])));
  const i = interesting.length > 0 && rng.chance(0.6) ? rng.pick(interesting) : rng.pick(starts);
  const span = elementSpan(tokens, i);
  return span ? [span[0], span[1] + 1] : null;
}

function tagIndexes(tokens: Token[]): number[] {
  return elementStarts(tokens).filter((i) => attributes(tokens[i].text).length > 0);
}

function rewriteTag(t: Token, f: (name: string, attrs: ReturnType<typeof attributes>) => { name: string; attrs: ReturnType<typeof attributes> }): Token {
  const { name, attrs } = f(tagName(t), attributes(t.text));
  return { kind: t.kind, text: buildTag(name, attrs, t.kind === 'empty') };
}

const tokenMutator = (name: string, f: (tokens: Token[], rng: Rng) => Token[] | null): TextMutator => ({
  name,
  apply(xml, rng) {
    const tokens = tokenize(xml);
    if (tokens.length === 0) return null;
    const out = f(tokens, rng);
    return out ? join(out) : null;
  },
});

export const TEXT_MUTATORS: TextMutator[] = [
  // ---- runs of tokens
  tokenMutator('tokens.drop', (t, rng) => { const [a, b] = run(t, rng); return [...t.slice(0, a), ...t.slice(b)]; }),
  tokenMutator('tokens.duplicate', (t, rng) => { const [a, b] = run(t, rng); return [...t.slice(0, b), ...t.slice(a, b), ...t.slice(b)]; }),
  tokenMutator('tokens.move', (t, rng) => {
    const [a, b] = run(t, rng);
    const rest = [...t.slice(0, a), ...t.slice(b)];
    const at = rng.int(rest.length + 1);
    return [...rest.slice(0, at), ...t.slice(a, b), ...rest.slice(at)];
  }),
  tokenMutator('tokens.swap', (t, rng) => {
    const i = rng.int(t.length); const j = rng.int(t.length);
    const out = [...t]; [out[i], out[j]] = [out[j], out[i]]; return out;
  }),
  // ---- whole elements
  tokenMutator('element.drop', (t, rng) => { const s = randomElement(t, rng); return s ? [...t.slice(0, s[0]), ...t.slice(s[1])] : null; }),
  tokenMutator('element.duplicate', (t, rng) => {
    const s = randomElement(t, rng); if (!s) return null;
    const el = t.slice(s[0], s[1]);
    // next to itself, or somewhere else entirely (a wrapping attempt)
    const at = rng.chance(0.5) ? s[1] : rng.int(t.length + 1);
    return [...t.slice(0, at), ...el, ...t.slice(at)];
  }),
  tokenMutator('element.move', (t, rng) => {
    const s = randomElement(t, rng); if (!s) return null;
    const el = t.slice(s[0], s[1]);
    const rest = [...t.slice(0, s[0]), ...t.slice(s[1])];
    const at = rng.int(rest.length + 1);
    return [...rest.slice(0, at), ...el, ...rest.slice(at)];
  }),
  tokenMutator('element.wrap', (t, rng) => {
    // put an element inside a new parent (Extensions / Object / a foreign element)
    const s = randomElement(t, rng); if (!s) return null;
    const wrapper = rng.pick(['samlp:Extensions', 'ds:Object xmlns:ds="http://www.w3.org/2000/09/xmldsig#"', 'x', 'Advice xmlns="urn:oasis:names:tc:SAML:2.0:assertion"']);
    const name = wrapper.split(' ')[0];
    return [...t.slice(0, s[0]), { kind: 'open', text: `<${wrapper}>` }, ...t.slice(s[0], s[1]), { kind: 'close', text: `</${name}>` }, ...t.slice(s[1])];
  }),
  // ---- namespaces and prefixes
  tokenMutator('ns.prefix-rename', (t, rng) => {
    // rename one element's prefix, declaring the new prefix with the same URI (or a different one)
    const starts = elementStarts(t); if (starts.length === 0) return null;
    const i = rng.pick(starts);
    const span = elementSpan(t, i);
    const name = tagName(t[i]);
    const local = name.includes(':') ? name.split(':')[1] : name;
    const np = rng.pick(['x', 'saml', 'samlp', 'ds', 'saml2']);
    const uri = rng.chance(0.7) ? rng.pick(NAMESPACES.slice(0, 3)) : rng.pick(NAMESPACES);
    const out = [...t];
    out[i] = rewriteTag(t[i], (_n, a) => ({ name: `${np}:${local}`, attrs: [...a, { name: `xmlns:${np}`, quote: '"', value: uri }] }));
    if (span && span[1] !== span[0]) out[span[1]] = { kind: 'close', text: `</${np}:${local}>` };
    return out;
  }),
  tokenMutator('ns.uri-change', (t, rng) => {
    const idx = elementStarts(t).filter((i) => /xmlns/.test(t[i].text)); if (idx.length === 0) return null;
    const i = rng.pick(idx);
    const out = [...t];
    out[i] = rewriteTag(t[i], (n, a) => ({ name: n, attrs: a.map((x) => (x.name.startsWith('xmlns') && rng.chance(0.7) ? { ...x, value: rng.pick(NAMESPACES) } : x)) }));
    return out;
  }),
  tokenMutator('ns.strip-prefix', (t, rng) => {
    const idx = elementStarts(t).filter((i) => tagName(t[i]).includes(':')); if (idx.length === 0) return null;
    const i = rng.pick(idx);
    const span = elementSpan(t, i);
    const local = tagName(t[i]).split(':')[1];
    const out = [...t];
    out[i] = rewriteTag(t[i], (_n, a) => ({ name: local, attrs: a }));
    if (span && span[1] !== span[0]) out[span[1]] = { kind: 'close', text: `</${local}>` };
    return out;
  }),
  tokenMutator('ns.default-decl', (t, rng) => {
    const starts = elementStarts(t); if (starts.length === 0) return null;
    const i = rng.pick(starts);
    const out = [...t];
    out[i] = rewriteTag(t[i], (n, a) => ({ name: n, attrs: [...a.filter((x) => x.name !== 'xmlns'), { name: 'xmlns', quote: '"', value: rng.pick(NAMESPACES) }] }));
    return out;
  }),
  // ---- attributes
  tokenMutator('attr.value', (t, rng) => {
    const idx = tagIndexes(t); if (idx.length === 0) return null;
    const i = rng.pick(idx);
    const out = [...t];
    out[i] = rewriteTag(t[i], (n, a) => { const k = rng.int(a.length); return { name: n, attrs: a.map((x, j) => (j === k ? { ...x, value: hostileValue(rng, t) } : x)) }; });
    return out;
  }),
  tokenMutator('attr.duplicate', (t, rng) => {
    const idx = tagIndexes(t); if (idx.length === 0) return null;
    const i = rng.pick(idx);
    const out = [...t];
    out[i] = rewriteTag(t[i], (n, a) => { const x = rng.pick(a); return { name: n, attrs: [...a, { ...x, value: rng.chance(0.5) ? x.value : hostileValue(rng, t) }] }; });
    return out;
  }),
  tokenMutator('attr.reorder', (t, rng) => {
    const idx = tagIndexes(t).filter((i) => attributes(t[i].text).length > 1); if (idx.length === 0) return null;
    const i = rng.pick(idx);
    const out = [...t];
    out[i] = rewriteTag(t[i], (n, a) => { const b = [...a]; for (let k = b.length - 1; k > 0; k--) { const j = rng.int(k + 1); [b[k], b[j]] = [b[j], b[k]]; } return { name: n, attrs: b }; });
    return out;
  }),
  tokenMutator('attr.drop', (t, rng) => {
    const idx = tagIndexes(t); if (idx.length === 0) return null;
    const i = rng.pick(idx);
    const out = [...t];
    out[i] = rewriteTag(t[i], (n, a) => { const k = rng.int(a.length); return { name: n, attrs: a.filter((_x, j) => j !== k) }; });
    return out;
  }),
  tokenMutator('attr.add-id', (t, rng) => {
    // a second element claiming an existing ID (or a look-alike)
    const starts = elementStarts(t); if (starts.length === 0) return null;
    const ids = t.flatMap((x) => (x.kind === 'open' || x.kind === 'empty' ? attributes(x.text).filter((a) => a.name === 'ID').map((a) => a.value) : []));
    const i = rng.pick(starts);
    const out = [...t];
    const value = ids.length > 0 && rng.chance(0.7) ? rng.pick(ids) : hostileValue(rng, t);
    out[i] = rewriteTag(t[i], (n, a) => ({ name: n, attrs: [...a, { name: rng.pick(['ID', 'Id', 'id', 'wsu:Id']), quote: '"', value }] }));
    return out;
  }),
  tokenMutator('attr.quote-swap', (t, rng) => {
    const idx = tagIndexes(t); if (idx.length === 0) return null;
    const i = rng.pick(idx);
    const out = [...t];
    out[i] = rewriteTag(t[i], (n, a) => ({ name: n, attrs: a.map((x) => (x.value.includes("'") ? x : { ...x, quote: "'" })) }));
    return out;
  }),
  tokenMutator('attr.giant', (t, rng) => {
    const starts = elementStarts(t); if (starts.length === 0) return null;
    const i = rng.pick(starts);
    const out = [...t];
    const size = rng.pick([64 * 1024, 256 * 1024, 900 * 1024, 1100 * 1024]);
    const ch = rng.pick(['a', ' ', '&amp;', '&#x41;', '\u00e9']);
    const giant = ch.repeat(Math.ceil(size / ch.length));
    out[i] = rewriteTag(t[i], (n, a) => (rng.chance(0.5) && a.length > 0
      ? { name: n, attrs: a.map((x, j) => (j === 0 ? { ...x, value: giant } : x)) }
      : { name: n, attrs: [...a, { name: 'Giant', quote: '"', value: giant }] }));
    return out;
  }),
  // ---- text content
  tokenMutator('text.value', (t, rng) => {
    const idx = t.map((x, i) => (x.kind === 'text' && x.text.trim() !== '' ? i : -1)).filter((i) => i >= 0); if (idx.length === 0) return null;
    const i = rng.pick(idx);
    const out = [...t];
    out[i] = { kind: 'text', text: rng.chance(0.5) ? hostileValue(rng, t) : t[i].text + rng.pick(['.evil', ' ', '\n', 'x']) };
    return out;
  }),
  tokenMutator('text.split', (t, rng) => {
    // a comment, PI or CDATA inside text ("alice@contoso.example<!---->.evil")
    const idx = t.map((x, i) => (x.kind === 'text' && x.text.length > 1 ? i : -1)).filter((i) => i >= 0); if (idx.length === 0) return null;
    const i = rng.pick(idx);
    const at = 1 + rng.int(t[i].text.length - 1);
    const out = [...t];
    out.splice(i, 1, { kind: 'text', text: t[i].text.slice(0, at) }, { kind: 'other', text: rng.pick(MARKUP) }, { kind: 'text', text: t[i].text.slice(at) });
    return out;
  }),
  tokenMutator('text.cdata', (t, rng) => {
    const idx = t.map((x, i) => (x.kind === 'text' && x.text.trim() !== '' ? i : -1)).filter((i) => i >= 0); if (idx.length === 0) return null;
    const i = rng.pick(idx);
    const out = [...t];
    out[i] = { kind: 'cdata', text: `<![CDATA[${t[i].text}]]>` };
    return out;
  }),
  tokenMutator('text.char-ref', (t, rng) => {
    // the same text with one character as a character reference (canonically identical)
    const idx = t.map((x, i) => (x.kind === 'text' && x.text.trim() !== '' && !x.text.includes('&') ? i : -1)).filter((i) => i >= 0); if (idx.length === 0) return null;
    const i = rng.pick(idx);
    const s = t[i].text; const k = rng.int(s.length);
    const cp = s.codePointAt(k) ?? 32;
    const ref = rng.chance(0.5) ? `&#x${cp.toString(16)};` : `&#${cp};`;
    const out = [...t];
    out[i] = { kind: 'text', text: s.slice(0, k) + ref + s.slice(k + (cp > 0xffff ? 2 : 1)) };
    return out;
  }),
  tokenMutator('markup.insert', (t, rng) => {
    const at = rng.int(t.length + 1);
    const ins = rng.pick([...MARKUP, '<!DOCTYPE r [<!ENTITY x "y">]>', '<!DOCTYPE Response>', '<?xml-stylesheet href="x"?>', '<x/>', '<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/>']);
    return [...t.slice(0, at), { kind: 'other', text: ins }, ...t.slice(at)];
  }),
  // ---- the whole text
  { name: 'text.truncate', apply: (xml, rng) => xml.slice(0, rng.int(xml.length)) },
  { name: 'text.whitespace', apply: (xml, rng) => { const at = rng.int(xml.length + 1); return xml.slice(0, at) + rng.pick([' ', '\n', '\r\n', '\t', '\u00a0', '\u2028']) + xml.slice(at); } },
  { name: 'text.char-change', apply: (xml, rng) => { const at = rng.int(xml.length); return xml.slice(0, at) + String.fromCharCode(rng.int(128)) + xml.slice(at + 1); } },
];

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

function utf16le(xml: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
}

function utf16be(xml: string): Buffer {
  const le = Buffer.from(xml, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) { const x = le[i]; le[i] = le[i + 1]; le[i + 1] = x; }
  return Buffer.concat([Buffer.from([0xfe, 0xff]), le]);
}

function withDecl(xml: string, enc: string): string {
  return `<?xml version="1.0" encoding="${enc}"?>` + xml.replace(/^\uFEFF?<\?xml[^?]*\?>/, '');
}

export const ENCODING_MUTATORS: EncodingMutator[] = [
  { name: 'enc.raw', apply: (xml) => xml },
  { name: 'enc.base64', apply: (xml) => b64(xml) },
  { name: 'enc.base64-wrapped', apply: (xml, rng) => b64(xml).replace(new RegExp(`(.{${rng.pick([1, 4, 64, 76])}})`, 'g'), `$1${rng.pick(['\n', '\r\n', ' ', '\t'])}`) },
  { name: 'enc.base64url', apply: (xml) => b64(xml).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') },
  { name: 'enc.base64-unpadded', apply: (xml) => b64(xml).replace(/=+$/, '') },
  { name: 'enc.form', apply: (xml) => 'SAMLResponse=' + encodeURIComponent(b64(xml)) + '&RelayState=%2F' },
  { name: 'enc.form-double-encoded', apply: (xml) => 'SAMLResponse=' + encodeURIComponent(encodeURIComponent(b64(xml))) },
  { name: 'enc.form-plus', apply: (xml) => 'SAMLResponse=' + b64(xml) },
  { name: 'enc.form-duplicate', apply: (xml) => `SAMLResponse=${encodeURIComponent(b64(xml))}&SAMLResponse=${encodeURIComponent(b64(xml))}` },
  { name: 'enc.utf8-bom', apply: (xml) => '\uFEFF' + xml },
  { name: 'enc.utf16le-bom', apply: (xml, rng) => (rng.chance(0.5) ? utf16le(xml) : b64(utf16le(xml))) },
  { name: 'enc.utf16be-bom', apply: (xml) => b64(utf16be(xml)) },
  { name: 'enc.declared', apply: (xml, rng) => withDecl(xml, rng.pick(['UTF-8', 'utf8', 'ISO-8859-1', 'UTF-16', 'US-ASCII', 'EBCDIC', 'x'])) },
  { name: 'enc.latin1-bytes', apply: (xml) => Buffer.from(xml, 'latin1') },
  { name: 'enc.leading-junk', apply: (xml, rng) => rng.pick([' \n', '\u0000', 'x', '\uFEFF\uFEFF']) + xml },
];

export const BYTE_MUTATORS: ByteMutator[] = [
  { name: 'bytes.bit-flip', apply: (b, rng) => { if (b.length === 0) return b; const c = Buffer.from(b); const i = rng.int(c.length); c[i] ^= 1 << rng.int(8); return c; } },
  { name: 'bytes.set', apply: (b, rng) => { if (b.length === 0) return b; const c = Buffer.from(b); c[rng.int(c.length)] = rng.int(256); return c; } },
  { name: 'bytes.insert', apply: (b, rng) => { const i = rng.int(b.length + 1); return Buffer.concat([b.subarray(0, i), Buffer.from([rng.int(256)]), b.subarray(i)]); } },
  { name: 'bytes.delete', apply: (b, rng) => { if (b.length === 0) return b; const i = rng.int(b.length); return Buffer.concat([b.subarray(0, i), b.subarray(i + 1 + rng.int(4))]); } },
];
