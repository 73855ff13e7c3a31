// `samlscope decode`: a SAMLRequest / SAMLResponse / form body / HAR / IdP URL → readable XML and a summary.
import { describeCert, decodeAuthnRequest, decodeSamlInput, DEFAULT_LIMITS } from '../saml/index.js';
import { NS, attr, childElements, descendants, firstChild, parseXmlSafely, textOf } from '../saml/xml.js';
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
  add('message', `${root.localName} (${root.namespaceURI ?? 'no namespace'})`);
  add('ID', attr(root, 'ID'));
  add('Issuer', textOf(firstChild(root, NS.assertion, 'Issuer')));
  add('IssueInstant', relative(attr(root, 'IssueInstant'), now));
  add('Destination', attr(root, 'Destination'));
  add('InResponseTo', attr(root, 'InResponseTo') ?? (root.localName === 'Response' ? '(none: IdP-initiated)' : null));
  add('AssertionConsumerURL', attr(root, 'AssertionConsumerServiceURL'));
  const status = firstChild(root, NS.protocol, 'Status');
  if (status) {
    const top = firstChild(status, NS.protocol, 'StatusCode');
    const sub = top ? firstChild(top, NS.protocol, 'StatusCode') : null;
    add('Status', [attr(top, 'Value'), attr(sub, 'Value')].filter(Boolean).join(' / '));
    add('StatusMessage', textOf(firstChild(status, NS.protocol, 'StatusMessage'))?.replace(/\s+/g, ' ').slice(0, 300));
  }
  const signedParts: string[] = [];
  if (childElements(root, NS.dsig, 'Signature').length) signedParts.push('Response');
  for (const a of childElements(root, NS.assertion, 'Assertion')) {
    if (childElements(a, NS.dsig, 'Signature').length) signedParts.push('Assertion');
    add('Assertion ID', attr(a, 'ID'));
    add('Assertion Issuer', textOf(firstChild(a, NS.assertion, 'Issuer')));
    const subject = firstChild(a, NS.assertion, 'Subject');
    const nameId = subject ? firstChild(subject, NS.assertion, 'NameID') : null;
    add('NameID', nameId ? `${textOf(nameId)}  (${attr(nameId, 'Format') ?? 'no format'})` : '(none)');
    const scd = descendants(a, NS.assertion, 'SubjectConfirmationData')[0];
    if (scd) { add('Recipient', attr(scd, 'Recipient')); add('Confirmation expires', relative(attr(scd, 'NotOnOrAfter'), now)); }
    const cond = firstChild(a, NS.assertion, 'Conditions');
    if (cond) {
      add('NotBefore', relative(attr(cond, 'NotBefore'), now));
      add('NotOnOrAfter', relative(attr(cond, 'NotOnOrAfter'), now));
      add('Audience', descendants(cond, NS.assertion, 'Audience').map((e) => textOf(e)).join(', '));
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
