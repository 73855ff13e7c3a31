// Safe XML: a bounded pre-scan that refuses DTDs, entities and processing instructions, an XML 1.0 view, then a strict @xmldom/xmldom parse.
import { DOMParser } from '@xmldom/xmldom';
import { finding, type Finding } from './findings.js';
import type { XmlLimits } from './types.js';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
} as const;

/** `text` is what xmldom parsed (see xml10View); hand exactly that to xml-crypto so its DOM is the same. */
export type ParseResult = { ok: true; doc: Document; elementCount: number; text: string; emptyCdata: boolean } | { ok: false; findings: Finding[] };

export interface ParseOptions {
  /**
   * collect processing instructions and markup declarations (DOCTYPE, ENTITY ...) here instead of refusing the
   * document: Fleet's Go stack reads past both without processing them, so the caller can still predict Fleet while
   * refusing them itself. Entity references stay fatal (Go refuses undefined entities too).
   */
  policy?: Finding[];
}

/** Where a markup declaration starting at `lt` ends (after its '>'), the way Go's encoding/xml reads one: quotes, comments and nested <> skipped. */
export function declarationEnd(s: string, lt: number): number {
  let depth = 1;
  let quote = 0;
  for (let j = lt + 2; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (quote) { if (c === quote) quote = 0; continue; }
    if (c === 34 || c === 39) quote = c;
    else if (c === 60 /* < */) {
      if (s.startsWith('<!--', j)) { const e = s.indexOf('-->', j + 4); if (e === -1) return -1; j = e + 2; } else depth++;
    } else if (c === 62 /* > */ && --depth === 0) return j + 1;
  }
  return -1;
}

function addPolicy(policy: Finding[], f: Finding): void {
  if (!policy.some((p) => p.code === f.code)) policy.push(f);
}

const ENTITY_OK = /^&(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/;

function isNameStart(c: number): boolean {
  // ASCII letters, '_', ':' and anything non-ASCII
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c > 127;
}

/** Finds entity references other than the predefined five and character references, remembering the next '&' so the whole scan stays linear. */
function entityChecker(s: string): (from: number, to: number) => boolean {
  let next = s.indexOf('&');
  return (from, to) => {
    if (next !== -1 && next < from) next = s.indexOf('&', from);
    while (next !== -1 && next < to) {
      if (!ENTITY_OK.test(s.slice(next, next + 12))) return true;
      next = s.indexOf('&', next + 1);
    }
    return false;
  };
}

/**
 * One linear pass over the text: refuses DOCTYPE/ENTITY/processing instructions, undefined entity references,
 * counts elements and depth against the limits and checks that tags nest. Runs before any DOM is built, so hostile
 * input costs at most one pass over at most `maxBytes` characters.
 */
export function prescanXml(s: string, limits: XmlLimits, opts: ParseOptions = {}): Finding[] {
  const n = s.length;
  let i = 0;
  let count = 0;
  const stack: string[] = [];
  let roots = 0;
  let first = true;
  const badEntityIn = entityChecker(s);
  while (i < n) {
    const lt = s.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      if (stack.length === 0 && s.slice(i, textEnd).trim() !== '') {
        const f = finding('SAML_XML_MALFORMED', 'Text outside the root element (Fleet\'s parser keeps it beside the document and reads on).', { offset: i });
        if (!opts.policy) return [f];
        addPolicy(opts.policy, f);
      }
      if (badEntityIn(i, textEnd)) {
        return [finding('SAML_XML_DTD_FORBIDDEN', 'Entity reference other than the five predefined ones or a character reference.', { offset: i })];
      }
    }
    if (lt === -1) break;
    const c1 = s.charCodeAt(lt + 1);
    if (c1 === 33 /* ! */) {
      if (s.startsWith('<!--', lt)) {
        const end = s.indexOf('-->', lt + 4);
        if (end === -1) return [finding('SAML_XML_MALFORMED', 'Unterminated comment.', { offset: lt })];
        i = end + 3;
      } else if (s.startsWith('<![CDATA[', lt)) {
        if (stack.length === 0) return [finding('SAML_XML_MALFORMED', 'CDATA outside the root element.', { offset: lt })];
        const end = s.indexOf(']]>', lt + 9);
        if (end === -1) return [finding('SAML_XML_MALFORMED', 'Unterminated CDATA section.', { offset: lt })];
        i = end + 3;
      } else {
        const what = /^<!([A-Za-z]*)/.exec(s.slice(lt, lt + 12))?.[1] ?? '';
        const f = finding('SAML_XML_DTD_FORBIDDEN', `Markup declaration <!${what}> found.`, { offset: lt, declaration: what });
        const end = opts.policy ? declarationEnd(s, lt) : -1;
        if (end === -1 || !opts.policy) return [f];
        addPolicy(opts.policy, f);
        i = end;
        continue;
      }
      first = false;
      continue;
    }
    if (c1 === 63 /* ? */) {
      const end = s.indexOf('?>', lt + 2);
      if (end === -1) return [finding('SAML_XML_MALFORMED', 'Unterminated processing instruction.', { offset: lt })];
      const target = /^<\?([^\s?]*)/.exec(s.slice(lt, Math.min(end, lt + 40)))?.[1] ?? '';
      const leading = s.slice(0, lt).trim() === '';
      if (!(first && leading && target === 'xml')) {
        const f = finding('SAML_XML_PI_FORBIDDEN', `Processing instruction <?${target}?> found.`, { offset: lt, target });
        if (!opts.policy || target.toLowerCase() === 'xml') return [f];
        addPolicy(opts.policy, f);
      }
      first = false;
      i = end + 2;
      continue;
    }
    first = false;
    // a tag: find its end, skipping quoted attribute values
    let j = lt + 1;
    let quote = 0;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (quote) { if (c === quote) quote = 0; } else if (c === 34 || c === 39) quote = c; else if (c === 62 /* > */) break; else if (c === 60 /* < */) break;
      j++;
    }
    if (j >= n || s.charCodeAt(j) !== 62) return [finding('SAML_XML_MALFORMED', 'Unterminated tag.', { offset: lt })];
    if (badEntityIn(lt, j)) {
      return [finding('SAML_XML_DTD_FORBIDDEN', 'Entity reference other than the five predefined ones or a character reference.', { offset: lt })];
    }
    if (c1 === 47 /* / */) {
      const name = s.slice(lt + 2, j).trim();
      const open = stack.pop();
      if (open !== name) return [finding('SAML_XML_MALFORMED', `End tag </${name.slice(0, 60)}> does not match <${(open ?? '').slice(0, 60)}>.`, { offset: lt })];
    } else {
      if (!isNameStart(c1)) return [finding('SAML_XML_MALFORMED', 'Invalid tag name.', { offset: lt })];
      let k = lt + 1;
      while (k < j) { const c = s.charCodeAt(k); if (c === 32 || c === 9 || c === 10 || c === 13 || c === 47) break; k++; }
      const name = s.slice(lt + 1, k);
      count++;
      if (count > limits.maxElements) return [finding('SAML_XML_TOO_MANY_ELEMENTS', `More than ${limits.maxElements} elements.`, { limit: limits.maxElements })];
      if (stack.length === 0) {
        roots++;
        if (roots > 1) return [finding('SAML_XML_MALFORMED', 'More than one root element.', { offset: lt })];
      }
      if (s.charCodeAt(j - 1) !== 47 /* self-closing */) {
        stack.push(name);
        if (stack.length > limits.maxDepth) return [finding('SAML_XML_TOO_DEEP', `Elements nested deeper than ${limits.maxDepth}.`, { limit: limits.maxDepth })];
      }
    }
    i = j + 1;
  }
  if (stack.length > 0) return [finding('SAML_XML_MALFORMED', `Element <${stack[stack.length - 1].slice(0, 60)}> is never closed.`)];
  if (roots === 0) return [finding('SAML_XML_MALFORMED', 'No root element.')];
  return [];
}

/** XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
export function isXml10Char(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids exactly these characters (Go's encoding/xml refuses them)
const ILLEGAL_LITERAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CHAR_REF = /&#(x[0-9a-fA-F]+|[0-9]+);/g;
/** The characters xmldom reads as line ends (an XML 1.1 rule) that XML 1.0, Go and xmlsec1 keep as they are. */
const XML11_LINE_ENDS = /[\u0085\u2028]/g;
const lineEndRef = (c: string) => `&#x${c.charCodeAt(0).toString(16)};`;

/** A literal character or a character reference that XML 1.0 (and Go's encoding/xml) refuses, or null. */
function illegalCharIn(segment: string): string | null {
  const lit = ILLEGAL_LITERAL.exec(segment);
  if (lit) return `U+${lit[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  for (const m of segment.matchAll(CHAR_REF)) {
    const cp = m[1][0] === 'x' ? parseInt(m[1].slice(1), 16) : parseInt(m[1], 10);
    if (!isXml10Char(cp)) return m[0];
  }
  return null;
}

/** An attribute value as Go reads it: line ends normalised to LF, then TAB and LF kept (as references, which xmldom does not normalise to spaces). */
function goAttributeValue(v: string): string {
  return v.replace(XML11_LINE_ENDS, lineEndRef).replace(/\r\n?/g, '\n').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

function escapeAsText(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(XML11_LINE_ENDS, lineEndRef);
}

/** `findings` are fatal (Go refuses the document); `notes` are what samlscope refuses but Go reads past (duplicate attributes). */
export interface Xml10View { text: string; findings: Finding[]; emptyCdata: boolean; notes: Finding[] }

const QUOTED_VALUE = /(=\s*)(?:"([^"]*)"|'([^']*)')/g;
const ATTRIBUTE = /([^\s=/<>]+)\s*=\s*("[^"]*"|'[^']*')/g;

/** Keeps one attribute per name, the last value in the first position (as the etree Fleet uses does). */
function lastAttributeWins(tag: string): string | null {
  const seen = new Map<string, string>();
  let dup = false;
  for (const m of tag.matchAll(ATTRIBUTE)) { if (seen.has(m[1])) dup = true; seen.set(m[1], m[2]); }
  if (!dup) return null;
  const written = new Set<string>();
  return tag.replace(ATTRIBUTE, (_all, name: string) => {
    if (written.has(name)) return '';
    written.add(name);
    return `${name}=${seen.get(name)}`;
  });
}

/** One start or end tag as Go reads it: attribute values rewritten (goAttributeValue), XML 1.1 line ends in markup refused, duplicate attributes noted. */
function goTag(tag: string, offset: number, notes: Finding[]): string | Finding {
  const markup = tag.replace(QUOTED_VALUE, '$1""');
  const le = /[\u0085\u2028]/.exec(markup);
  if (le) return finding('SAML_XML_MALFORMED', `Character U+${le[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} inside a tag is not allowed in XML 1.0.`, { offset });
  let bad: string | null = null;
  let out = tag.replace(QUOTED_VALUE, (_all, eq: string, dq: string | undefined, sq: string | undefined) => {
    const value = dq ?? sq ?? '';
    bad ??= illegalCharIn(value);
    const q = dq !== undefined ? '"' : "'";
    return `${eq}${q}${goAttributeValue(value)}${q}`;
  });
  if (bad) return finding('SAML_XML_MALFORMED', `Character ${bad} is not allowed in XML 1.0.`, { offset });
  const deduped = lastAttributeWins(out);
  if (deduped !== null) {
    out = deduped;
    if (!notes.some((n) => n.code === 'SAML_XML_MALFORMED')) notes.push(finding('SAML_XML_MALFORMED', 'An element repeats an attribute; Fleet keeps the last value.', { offset }));
  }
  return out;
}

/**
 * One linear pass over a pre-scanned document that makes xmldom read it as XML 1.0 and Go's encoding/xml do:
 * refuses an XML declaration other than version 1.0 and characters XML 1.0 forbids (literal or as references) in text
 * and attribute values, and rewrites what xmldom would otherwise change: U+0085 and U+2028 (xmldom turns them into LF)
 * become character references, and TAB/LF in attribute values are kept as Go keeps them (xmldom would make them
 * spaces). Comments and processing instructions are copied as they are. Reports empty CDATA sections (Fleet's
 * round-trip validator refuses them).
 */
export function xml10View(s: string): Xml10View {
  const out: string[] = [];
  const notes: Finding[] = [];
  let emptyCdata = false;
  let depth = 0;
  const bad = (what: string, offset: number): Xml10View => ({ text: s, emptyCdata, findings: [finding('SAML_XML_MALFORMED', `${what} is not allowed in XML 1.0.`, { offset })], notes });
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const textEnd = lt === -1 ? s.length : lt;
    if (textEnd > i) {
      const text = s.slice(i, textEnd);
      const illegal = illegalCharIn(text);
      if (illegal) return bad(`Character ${illegal}`, i);
      // text outside the root (the pre-scan noted it) is not part of the document xmldom must build
      if (depth > 0) out.push(text.replace(XML11_LINE_ENDS, lineEndRef));
    }
    if (lt === -1) break;
    if (s.startsWith('<!--', lt)) {
      const end = s.indexOf('-->', lt + 4) + 3;
      out.push(s.slice(lt, end));
      i = end;
    } else if (s.startsWith('<![CDATA[', lt)) {
      const end = s.indexOf(']]>', lt + 9);
      const content = s.slice(lt + 9, end);
      if (content === '') emptyCdata = true;
      const illegal = illegalCharIn(content.replace(/&/g, ' '));
      if (illegal) return bad(`Character ${illegal}`, lt);
      out.push(XML11_LINE_ENDS.test(content) ? escapeAsText(content) : s.slice(lt, end + 3));
      XML11_LINE_ENDS.lastIndex = 0;
      i = end + 3;
    } else if (s.charCodeAt(lt + 1) === 33 /* ! */) {
      // a markup declaration the pre-scan let through (policy mode): Go never processes it, xmldom must not see it
      i = declarationEnd(s, lt);
    } else if (s.charCodeAt(lt + 1) === 63 /* ? */) {
      const end = s.indexOf('?>', lt + 2) + 2;
      const pi = s.slice(lt, end);
      const version = /^<\?xml\s[^?]*?version\s*=\s*(["'])([^"']*)\1/.exec(pi);
      if (version && version[2] !== '1.0') return bad(`XML version "${version[2].slice(0, 20)}"`, lt);
      out.push(pi);
      i = end;
    } else {
      // a tag: find its end (quotes skipped), then rewrite it
      let j = lt + 1;
      for (let quote = 0; j < s.length; j++) {
        const c = s.charCodeAt(j);
        if (quote) { if (c === quote) quote = 0; } else if (c === 34 || c === 39) quote = c; else if (c === 62 /* > */) break;
      }
      const tag = goTag(s.slice(lt, j + 1), lt, notes);
      if (typeof tag !== 'string') return { text: s, emptyCdata, findings: [tag], notes };
      if (s.charCodeAt(lt + 1) === 47 /* / */) depth--; else if (s.charCodeAt(j - 1) !== 47) depth++;
      out.push(tag);
      i = j + 1;
    }
  }
  return { text: out.join(''), findings: [], emptyCdata, notes };
}

/** Pre-scans, then parses with xmldom (as XML 1.0, see xml10View); any parser error or warning is a finding. Never throws. */
export function parseXmlSafely(text: string, limits: XmlLimits, opts: ParseOptions = {}): ParseResult {
  const raw = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (Buffer.byteLength(raw, 'utf8') > limits.maxBytes) {
    return { ok: false, findings: [finding('SAML_DECODE_TOO_LARGE', `XML larger than ${limits.maxBytes} bytes.`, { limit: limits.maxBytes })] };
  }
  const pre = prescanXml(raw, limits, opts);
  if (pre.length > 0) return { ok: false, findings: pre };
  const view = xml10View(raw);
  if (view.findings.length > 0) return { ok: false, findings: view.findings };
  if (view.notes.length > 0) {
    if (!opts.policy) return { ok: false, findings: view.notes };
    for (const n of view.notes) addPolicy(opts.policy, n);
  }
  const s = view.text;
  const problems: string[] = [];
  try {
    const doc = new DOMParser({
      errorHandler: {
        warning: (m: string) => { problems.push(m); },
        error: (m: string) => { problems.push(m); },
        fatalError: (m: string) => { problems.push(m); },
      },
    }).parseFromString(s, 'text/xml');
    if (problems.length > 0 || !doc || !doc.documentElement) {
      return { ok: false, findings: [finding('SAML_XML_MALFORMED', 'The XML parser reported: ' + (problems[0] ?? 'no document').split('\n')[0].slice(0, 200))] };
    }
    return { ok: true, doc: doc as unknown as Document, elementCount: doc.getElementsByTagName('*').length, text: s, emptyCdata: view.emptyCdata };
  } catch (e) {
    return { ok: false, findings: [finding('SAML_XML_MALFORMED', 'The XML parser failed: ' + String((e as Error).message).split('\n')[0].slice(0, 200))] };
  }
}

// ---- small DOM helpers (xmldom has no querySelector)

export function childElements(parent: Node, ns?: string, localName?: string): Element[] {
  const out: Element[] = [];
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (c.nodeType !== 1) continue;
    const e = c as Element;
    if (ns !== undefined && e.namespaceURI !== ns) continue;
    if (localName !== undefined && e.localName !== localName) continue;
    out.push(e);
  }
  return out;
}

export function firstChild(parent: Node, ns: string, localName: string): Element | null {
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).namespaceURI === ns && (c as Element).localName === localName) return c as Element;
  }
  return null;
}

export function descendants(root: Node, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  const list = (root as Element).getElementsByTagNameNS(ns, localName);
  for (let i = 0; i < list.length; i++) out.push(list[i]);
  return out;
}

export function allElements(root: Node): Element[] {
  const out: Element[] = [];
  const list = (root as Element).getElementsByTagName('*');
  for (let i = 0; i < list.length; i++) out.push(list[i]);
  return out;
}

/** Concatenated text of an element's text and CDATA children (comments excluded, as exc-c14n would). */
export function textOf(e: Element | null): string | null {
  if (!e) return null;
  let s = '';
  for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 3 || c.nodeType === 4) s += c.nodeValue ?? '';
  return s;
}

/**
 * True when an element's text is split: a comment or processing instruction next to non-blank text, or several
 * non-blank text nodes ("admin@x.com<!---->.evil"). Whitespace between child elements does not count.
 */
export function hasSplitText(e: Element): boolean {
  let texts = 0;
  let marks = 0;
  for (let c = e.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 8 || c.nodeType === 7) marks++;
    else if ((c.nodeType === 3 || c.nodeType === 4) && (c.nodeValue ?? '').trim() !== '') texts++;
  }
  return texts > 1 || (marks > 0 && texts > 0);
}

export function attr(e: Element | null, name: string): string | null {
  if (!e || !e.hasAttribute(name)) return null;
  return e.getAttribute(name);
}

/** The ancestors of an element, nearest first, up to (not including) the document. */
export function ancestors(e: Node): Element[] {
  const out: Element[] = [];
  for (let p = e.parentNode; p && p.nodeType === 1; p = p.parentNode) out.push(p as Element);
  return out;
}
