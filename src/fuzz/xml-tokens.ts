// Splits XML text into tokens (tags, text, comments, CDATA, PIs) and finds whole elements, for structure-aware mutations.
export type TokenKind = 'open' | 'close' | 'empty' | 'text' | 'comment' | 'cdata' | 'pi' | 'other';

export interface Token {
  kind: TokenKind;
  text: string;
}

const TOKEN_RE = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<[^>]*>|[^<]+|</g;

function kindOf(t: string): TokenKind {
  if (!t.startsWith('<')) return 'text';
  if (t.startsWith('<!--')) return 'comment';
  if (t.startsWith('<![CDATA[')) return 'cdata';
  if (t.startsWith('<?')) return 'pi';
  if (t.startsWith('</')) return 'close';
  if (!t.endsWith('>') || t.length < 3) return 'other';
  return t.endsWith('/>') ? 'empty' : 'open';
}

/** Lossless: tokens joined give the input back. */
export function tokenize(xml: string): Token[] {
  return (xml.match(TOKEN_RE) ?? []).map((text) => ({ kind: kindOf(text), text }));
}

export function join(tokens: readonly Token[]): string {
  let s = '';
  for (const t of tokens) s += t.text;
  return s;
}

/** The qualified name of a start, end or empty tag. */
export function tagName(t: Token): string {
  const m = /^<\/?([^\s/>]+)/.exec(t.text);
  return m ? m[1] : '';
}

/** [start, end] token indexes (inclusive) of the element that starts at `i`, or null when it never closes. */
export function elementSpan(tokens: readonly Token[], i: number): [number, number] | null {
  const t = tokens[i];
  if (t.kind === 'empty') return [i, i];
  if (t.kind !== 'open') return null;
  let depth = 0;
  for (let j = i; j < tokens.length; j++) {
    const k = tokens[j].kind;
    if (k === 'open') depth++;
    else if (k === 'close' && --depth === 0) return [i, j];
  }
  return null;
}

/** Indexes of the tokens that start an element (open or empty tags). */
export function elementStarts(tokens: readonly Token[]): number[] {
  const out: number[] = [];
  tokens.forEach((t, i) => { if (t.kind === 'open' || t.kind === 'empty') out.push(i); });
  return out;
}

export interface Attr {
  name: string;
  quote: string;
  value: string;
}

/** The attributes of a start/empty tag, in order (a permissive reader: mutated input is welcome). */
export function attributes(tag: string): Attr[] {
  const out: Attr[] = [];
  const re = /\s([^\s=/>]+)\s*=\s*(["'])([\s\S]*?)\2/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(tag)) !== null) out.push({ name: m[1], quote: m[2], value: m[3] });
  return out;
}

/** A start/empty tag rebuilt from a name and attributes. */
export function buildTag(name: string, attrs: readonly Attr[], empty: boolean): string {
  return `<${name}${attrs.map((a) => ` ${a.name}=${a.quote}${a.value}${a.quote}`).join('')}${empty ? '/>' : '>'}`;
}
