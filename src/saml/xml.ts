// Safe XML: a bounded pre-scan that refuses DTDs, entities and processing instructions, then a strict @xmldom/xmldom parse.
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

export type ParseResult = { ok: true; doc: Document; elementCount: number } | { ok: false; findings: Finding[] };

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
export function prescanXml(s: string, limits: XmlLimits): Finding[] {
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
        return [finding('SAML_XML_MALFORMED', 'Text outside the root element.', { offset: i })];
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
        return [finding('SAML_XML_DTD_FORBIDDEN', `Markup declaration <!${what}> found.`, { offset: lt, declaration: what })];
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
        return [finding('SAML_XML_PI_FORBIDDEN', `Processing instruction <?${target}?> found.`, { offset: lt, target })];
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

/** Pre-scans, then parses with xmldom; any parser error or warning is a finding. Never throws. */
export function parseXmlSafely(text: string, limits: XmlLimits): ParseResult {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (Buffer.byteLength(s, 'utf8') > limits.maxBytes) {
    return { ok: false, findings: [finding('SAML_DECODE_TOO_LARGE', `XML larger than ${limits.maxBytes} bytes.`, { limit: limits.maxBytes })] };
  }
  const pre = prescanXml(s, limits);
  if (pre.length > 0) return { ok: false, findings: pre };
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
    return { ok: true, doc: doc as unknown as Document, elementCount: doc.getElementsByTagName('*').length };
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
