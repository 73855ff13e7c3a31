// `samlscope decode`: a SAMLRequest / SAMLResponse / form body / HAR / IdP URL → readable XML and a summary.
import { describeCert, decodeAuthnRequest, decodeSamlInput, readAssertion, readResponse, DEFAULT_LIMITS } from '../saml/index.js';
import { NS, attr, childElements, descendants, parseXmlSafely, textOf } from '../saml/xml.js';
import { readInput } from './load.js';
import { OptionReader, type CommandDef } from './options.js';
import { prettyXml } from './xml-pretty.js';
import { renderFinding } from './report-text.js';

function relative(iso: string | null, now: Date): string {
  if (!iso) return '(none)';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return `${iso} (unparseable)`;
  const s = Math.round((t - now.getTime()) / 1000);
  const abs = Math.abs(s);
  const human = abs < 120 ? `${abs} s` : abs < 7200 ? `${Math.round(abs / 60)} min` : abs < 172800 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86400)} days`;
  return `${iso} (${s >= 0 ? 'in ' + human : human + ' ago'})`;
}

/** Pulls a SAMLRequest out of an IdP URL or a form body, if that is what the input is. */
function requestFrom(text: string): { value: string; binding: 'redirect' | 'post' } | null {
  const t = text.trim();
  if (/^https?:\/\//i.test(t)) {
    try { const v = new URL(t).searchParams.get('SAMLRequest'); return v ? { value: v, binding: 'redirect' } : null; } catch { return null; }
  }
  if (/(^|&)SAMLRequest=/.test(t)) { const v = new URLSearchParams(t).get('SAMLRequest'); return v ? { value: v, binding: 'post' } : null; }
  return null;
}

export function summarize(doc: Document, now: Date): string[] {
  const root = doc.documentElement;
  const lines: string[] = [];
  const add = (k: string, v: string | null | undefined) => { if (v !== null && v !== undefined && v !== '') lines.push(`${(k + ':').padEnd(22)} ${v}`); };
  const r = readResponse(root);
  add('message', `${root.localName} (${root.namespaceURI ?? 'no namespace'})`);
  add('ID', r.id);
  add('Issuer', r.issuer);
  add('IssueInstant', relative(r.issueInstant, now));
  add('Destination', r.destination);
  add('InResponseTo', r.inResponseTo ?? (root.localName === 'Response' ? '(none: IdP-initiated)' : null));
  add('AssertionConsumerURL', attr(root, 'AssertionConsumerServiceURL'));
  if (r.statusCode) {
    add('Status', [r.statusCode, r.subStatusCode].filter(Boolean).join(' / '));
    add('StatusMessage', r.statusMessage?.replace(/\s+/g, ' ').slice(0, 300));
  }
  const signedParts: string[] = [];
  if (childElements(root, NS.dsig, 'Signature').length) signedParts.push('Response');
  for (const el of childElements(root, NS.assertion, 'Assertion')) {
    if (childElements(el, NS.dsig, 'Signature').length) signedParts.push('Assertion');
    const a = readAssertion(el);
    add('Assertion ID', a.summary.id);
    add('Assertion Issuer', a.summary.issuer);
    add('NameID', a.subject ? `${a.subject.nameId}  (${a.subject.format ?? 'no format'})` : '(none)');
    if (a.confirmations.some((c) => c.hasData)) { add('Recipient', a.summary.recipient); add('Confirmation expires', relative(a.summary.confirmationNotOnOrAfter, now)); }
    if (a.hasConditions) {
      add('NotBefore', relative(a.summary.notBefore, now));
      add('NotOnOrAfter', relative(a.summary.notOnOrAfter, now));
      add('Audience', a.summary.audiences.join(', '));
    }
  }
  if (descendants(root, NS.assertion, 'EncryptedAssertion').length) add('Assertion', 'encrypted (Fleet cannot decrypt it)');
  if (root.localName === 'Response') add('Signed', signedParts.length ? signedParts.join(' and ') : 'nothing');
  const algs = descendants(root, NS.dsig, 'SignatureMethod').map((e) => (attr(e, 'Algorithm') ?? '').replace(/^.*#/, ''));
  add('Signature algorithm', [...new Set(algs)].join(', '));
  for (const x of descendants(root, NS.dsig, 'X509Certificate')) {
    const c = describeCert(textOf(x) ?? '');
    add('KeyInfo cert', c ? `${c.subject}; thumbprint ${c.thumbprintSha1}; valid ${c.notBefore.slice(0, 10)}..${c.notAfter.slice(0, 10)}` : '(unparseable)');
  }
  return lines;
}

export const decodeCommand: CommandDef = {
  name: 'decode',
  summary: 'decode a SAMLRequest / SAMLResponse / form body / HAR / IdP URL into readable XML and a summary',
  usage: 'samlscope decode [--now ISO] [--json] [<input file> | -]',
  positionals: true,
  options: {
    now: { type: 'string', value: 'ISO-8601', description: 'show times relative to this instant (default: now)' },
    json: { type: 'boolean', description: 'print { kind, summary, xml } as JSON' },
  },
  async run(args, io) {
    const o = new OptionReader(args);
    const now = o.date('now') ?? new Date();
    o.check();
    let input: Buffer;
    try { input = await readInput(args.positionals[0], io.readStdin); } catch (e) { io.stderr(`samlscope decode: cannot read input: ${(e as Error).message}\n`); return 2; }
    const text = input.toString('utf8');
    const req = requestFrom(text);
    let xml: string;
    let kind: string;
    if (req) {
      const r = decodeAuthnRequest(req.value, req.binding);
      if (!r.request) { io.stdout(r.findings.map(renderFinding).join('\n') + '\n'); return 1; }
      xml = r.request.xml; kind = `SAMLRequest (${req.binding} binding)`;
    } else {
      const d = decodeSamlInput(input, DEFAULT_LIMITS);
      if (!d.ok) { io.stdout(d.findings.map(renderFinding).join('\n') + '\n'); return 1; }
      xml = d.xml; kind = `SAMLResponse (${d.kind})`;
    }
    const parsed = parseXmlSafely(xml, DEFAULT_LIMITS);
    if (!parsed.ok) { io.stdout(parsed.findings.map(renderFinding).join('\n') + '\n'); return 1; }
    const summary = summarize(parsed.doc, now);
    if (o.bool('json')) { io.stdout(JSON.stringify({ kind, summary, xml: prettyXml(parsed.doc) }) + '\n'); return 0; }
    io.stdout(`${kind}\n\n${summary.join('\n')}\n\n${prettyXml(parsed.doc)}`);
    return 0;
  },
};
