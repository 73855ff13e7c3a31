// `samlscope decode`: a SAMLRequest / SAMLResponse / form body / HAR / IdP URL → readable XML and a summary.
import { describeCert, decodeAuthnRequest, decodeSamlInput, readAssertion, readResponse, DEFAULT_LIMITS } from '../saml/index.js';
import { NS, attr, childElements, descendants, parseXmlSafely, textOf } from '../saml/xml.js';
import { readInput } from './load.js';
import { OptionReader, type CommandDef } from './options.js';
import { prettyXml } from './xml-pretty.js';
import { renderFinding } from './report-text.js';

/** How far an instant lies from now ("in 60 min", "2 s ago"); null when there is none. */
function fromNow(iso: string | null, now: Date): string | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'unparseable';
  const s = Math.round((t - now.getTime()) / 1000);
  const abs = Math.abs(s);
  const human = abs < 120 ? `${abs} s` : abs < 7200 ? `${Math.round(abs / 60)} min` : abs < 172800 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86400)} days`;
  return s >= 0 ? 'in ' + human : human + ' ago';
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

/** A time as the summary gives it: the value, and how far it lies from now. */
interface TimeField { value: string | null; relative: string | null }

function timeField(iso: string | null, now: Date): TimeField {
  return { value: iso, relative: fromNow(iso, now) };
}

/** What the root element is: a SAML Response, an AuthnRequest, IdP metadata, or something else. */
export type MessageKind = 'SAMLResponse' | 'SAMLRequest' | 'IdP metadata' | 'XML';

export function messageKind(root: Element): MessageKind {
  if (root.namespaceURI === NS.protocol && root.localName === 'Response') return 'SAMLResponse';
  if (root.namespaceURI === NS.protocol && root.localName === 'AuthnRequest') return 'SAMLRequest';
  if (root.namespaceURI === NS.metadata && (root.localName === 'EntityDescriptor' || root.localName === 'EntitiesDescriptor')) return 'IdP metadata';
  return 'XML';
}

function certField(base64: string | null): Record<string, string> | null {
  const c = describeCert(base64 ?? '');
  return c ? { subject: c.subject, thumbprintSha1: c.thumbprintSha1, sha256: c.sha256, notBefore: c.notBefore, notAfter: c.notAfter } : null;
}

function responseFields(root: Element, now: Date): Record<string, unknown> {
  const r = readResponse(root);
  const signed: string[] = childElements(root, NS.dsig, 'Signature').length ? ['Response'] : [];
  const assertions = childElements(root, NS.assertion, 'Assertion').map((el) => {
    if (childElements(el, NS.dsig, 'Signature').length) signed.push('Assertion');
    const a = readAssertion(el);
    const confirmed = a.confirmations.some((c) => c.hasData);
    return {
      id: a.summary.id, issuer: a.summary.issuer,
      nameId: a.subject ? { value: a.subject.nameId, format: a.subject.format } : null,
      ...(confirmed ? { recipient: a.summary.recipient, confirmationNotOnOrAfter: timeField(a.summary.confirmationNotOnOrAfter, now) } : {}),
      ...(a.hasConditions ? { notBefore: timeField(a.summary.notBefore, now), notOnOrAfter: timeField(a.summary.notOnOrAfter, now), audiences: a.summary.audiences } : {}),
    };
  });
  return {
    id: r.id, issuer: r.issuer, issueInstant: timeField(r.issueInstant, now), destination: r.destination,
    inResponseTo: r.inResponseTo, idpInitiated: r.inResponseTo === null,
    status: r.statusCode ? { code: r.statusCode, subCode: r.subStatusCode, message: r.statusMessage?.replace(/\s+/g, ' ').slice(0, 300) ?? null } : null,
    assertions,
    encryptedAssertion: descendants(root, NS.assertion, 'EncryptedAssertion').length > 0,
    signed,
    signatureAlgorithms: [...new Set(descendants(root, NS.dsig, 'SignatureMethod').map((e) => (attr(e, 'Algorithm') ?? '').replace(/^.*#/, '')))],
    keyInfoCerts: descendants(root, NS.dsig, 'X509Certificate').map((x) => certField(textOf(x))),
  };
}

function requestFields(root: Element, now: Date): Record<string, unknown> {
  const issuer = childElements(root, NS.assertion, 'Issuer')[0] ?? null;
  const policy = childElements(root, NS.protocol, 'NameIDPolicy')[0] ?? null;
  return {
    id: attr(root, 'ID'), issuer: textOf(issuer), issueInstant: timeField(attr(root, 'IssueInstant'), now), destination: attr(root, 'Destination'),
    assertionConsumerServiceUrl: attr(root, 'AssertionConsumerServiceURL'), protocolBinding: attr(root, 'ProtocolBinding'),
    providerName: attr(root, 'ProviderName'), nameIdPolicyFormat: attr(policy, 'Format'),
    forceAuthn: attr(root, 'ForceAuthn') === 'true', isPassive: attr(root, 'IsPassive') === 'true',
  };
}

function metadataFields(root: Element, now: Date): Record<string, unknown> {
  const entity = root.localName === 'EntityDescriptor' ? root : descendants(root, NS.metadata, 'EntityDescriptor')[0] ?? root;
  const idp = descendants(entity, NS.metadata, 'IDPSSODescriptor')[0] ?? null;
  const keys = idp ? childElements(idp, NS.metadata, 'KeyDescriptor') : [];
  return {
    entityId: attr(entity, 'entityID'),
    signed: childElements(entity, NS.dsig, 'Signature').length > 0,
    validUntil: attr(entity, 'validUntil') ? timeField(attr(entity, 'validUntil'), now) : null,
    idpSsoDescriptor: idp !== null,
    singleSignOnServices: idp ? childElements(idp, NS.metadata, 'SingleSignOnService').map((e) => ({ binding: attr(e, 'Binding'), location: attr(e, 'Location') })) : [],
    signingCerts: keys.filter((k) => (attr(k, 'use') ?? 'signing') === 'signing')
      .flatMap((k) => descendants(k, NS.dsig, 'X509Certificate').map((x) => certField(textOf(x)))),
  };
}

/** The decoded message's facts as fields (the --json summary). */
export function summaryFields(doc: Document, now: Date): Record<string, unknown> {
  const root = doc.documentElement;
  const kind = messageKind(root);
  const base = { message: root.localName, namespace: root.namespaceURI };
  if (kind === 'SAMLResponse') return { ...base, ...responseFields(root, now) };
  if (kind === 'SAMLRequest') return { ...base, ...requestFields(root, now) };
  if (kind === 'IdP metadata') return { ...base, ...metadataFields(root, now) };
  return base;
}

const LABELS: Record<string, string> = {
  id: 'ID', issuer: 'Issuer', issueInstant: 'IssueInstant', destination: 'Destination', inResponseTo: 'InResponseTo',
  assertionConsumerServiceUrl: 'AssertionConsumerURL', protocolBinding: 'ProtocolBinding', providerName: 'ProviderName',
  nameIdPolicyFormat: 'NameIDPolicy Format', entityId: 'entityID', validUntil: 'validUntil', recipient: 'Recipient',
  confirmationNotOnOrAfter: 'Confirmation expires', notBefore: 'NotBefore', notOnOrAfter: 'NotOnOrAfter', audiences: 'Audience',
};

function certText(c: Record<string, string> | null): string {
  return c ? `${c.subject}; thumbprint ${c.thumbprintSha1}; valid ${c.notBefore.slice(0, 10)}..${c.notAfter.slice(0, 10)}` : '(unparseable)';
}

/** The summary fields as aligned text lines, for the terminal. */
export function summaryLines(f: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const add = (label: string, v: string | null | undefined) => { if (v !== null && v !== undefined && v !== '') lines.push(`${(label + ':').padEnd(22)} ${v}`); };
  const text = (v: unknown): string | null => {
    if (v === null || v === undefined) return null;
    if (Array.isArray(v)) return v.join(', ');
    if (typeof v === 'object' && 'relative' in (v as TimeField)) { const tf = v as TimeField; return tf.value ? `${tf.value} (${tf.relative})` : '(none)'; }
    return String(v);
  };
  add('message', `${String(f.message)} (${String(f.namespace ?? 'no namespace')})`);
  for (const k of ['entityId', 'id', 'issuer', 'issueInstant', 'destination', 'assertionConsumerServiceUrl', 'protocolBinding', 'nameIdPolicyFormat', 'validUntil']) add(LABELS[k], text(f[k]));
  if ('inResponseTo' in f) add('InResponseTo', (f.inResponseTo as string | null) ?? '(none: IdP-initiated)');
  const status = f.status as { code: string; subCode: string | null; message: string | null } | null | undefined;
  if (status) { add('Status', [status.code, status.subCode].filter(Boolean).join(' / ')); add('StatusMessage', status.message); }
  for (const a of (f.assertions as Array<Record<string, unknown>> | undefined) ?? []) {
    add('Assertion ID', text(a.id));
    add('Assertion Issuer', text(a.issuer));
    const n = a.nameId as { value: string; format: string | null } | null;
    add('NameID', n ? `${n.value}  (${n.format ?? 'no format'})` : '(none)');
    for (const k of ['recipient', 'confirmationNotOnOrAfter', 'notBefore', 'notOnOrAfter', 'audiences']) if (k in a) add(LABELS[k], text(a[k]));
  }
  if (f.encryptedAssertion) add('Assertion', 'encrypted (Fleet cannot decrypt it)');
  if (f.message === 'Response') add('Signed', (f.signed as string[]).length ? (f.signed as string[]).join(' and ') : 'nothing');
  if (f.signatureAlgorithms) add('Signature algorithm', text(f.signatureAlgorithms));
  for (const c of (f.keyInfoCerts as Array<Record<string, string> | null> | undefined) ?? []) add('KeyInfo cert', certText(c));
  if ('signed' in f && f.message !== 'Response') add('Signed', f.signed ? 'yes (enveloped Signature; Fleet does not verify it)' : 'no');
  for (const s of (f.singleSignOnServices as Array<{ binding: string; location: string }> | undefined) ?? []) add('SingleSignOnService', `${s.binding.replace(/^.*:/, '')} ${s.location}`);
  for (const c of (f.signingCerts as Array<Record<string, string> | null> | undefined) ?? []) add('signing cert', certText(c));
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
    let encoding: string;
    if (req) {
      const r = decodeAuthnRequest(req.value, req.binding);
      if (!r.request) { io.stdout(r.findings.map(renderFinding).join('\n') + '\n'); return 1; }
      xml = r.request.xml; encoding = `${req.binding} binding`;
    } else {
      const d = decodeSamlInput(input, DEFAULT_LIMITS);
      if (!d.ok) { io.stdout(d.findings.map(renderFinding).join('\n') + '\n'); return 1; }
      xml = d.xml; encoding = d.kind;
    }
    const parsed = parseXmlSafely(xml, DEFAULT_LIMITS);
    if (!parsed.ok) { io.stdout(parsed.findings.map(renderFinding).join('\n') + '\n'); return 1; }
    const kind = `${messageKind(parsed.doc.documentElement)} (${encoding})`;
    const summary = summaryFields(parsed.doc, now);
    if (o.bool('json')) { io.stdout(JSON.stringify({ kind, summary, xml: prettyXml(parsed.doc) }) + '\n'); return 0; }
    io.stdout(`${kind}\n\n${summaryLines(summary).join('\n')}\n\n${prettyXml(parsed.doc)}`);
    return 0;
  },
};
