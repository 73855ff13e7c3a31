// Pretty-prints a parsed XML document for people: one element per line, attributes kept in order, text escaped.
function esc(s: string, attr = false): string {
  const t = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return attr ? t.replace(/"/g, '&quot;') : t;
}

function render(node: Node, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  if (node.nodeType === 8) { out.push(`${pad}<!--${node.nodeValue ?? ''}-->`); return; }
  if (node.nodeType === 3 || node.nodeType === 4) { const t = (node.nodeValue ?? '').trim(); if (t) out.push(pad + esc(t)); return; }
  if (node.nodeType !== 1) return;
  const e = node as Element;
  const attrs: string[] = [];
  for (let i = 0; i < e.attributes.length; i++) attrs.push(`${e.attributes[i].name}="${esc(e.attributes[i].value, true)}"`);
  const open = `${pad}<${e.tagName}${attrs.length ? ' ' + attrs.join(' ') : ''}`;
  const kids: Node[] = [];
  for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType !== 3 || (c.nodeValue ?? '').trim() !== '') kids.push(c);
  if (kids.length === 0) { out.push(open + '/>'); return; }
  if (kids.length === 1 && (kids[0].nodeType === 3 || kids[0].nodeType === 4)) {
    out.push(`${open}>${esc(kids[0].nodeValue ?? '')}</${e.tagName}>`);
    return;
  }
  out.push(open + '>');
  for (const k of kids) render(k, depth + 1, out);
  out.push(`${pad}</${e.tagName}>`);
}

export function prettyXml(doc: Document): string {
  const out: string[] = [];
  render(doc.documentElement, 0, out);
  return out.join('\n') + '\n';
}
