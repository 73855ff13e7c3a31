// XML-layer mutations of signed responses for the differential test: a byte-keeping signer, seeded mutators, the comparison with Go.
import { join } from 'node:path';
import { FIXTURE_PARAMS, KEYS, baseSpec, fixtureMetadata } from '../scripts/fixture-cases.js';
import { caseRng, type Rng } from '../src/fuzz/prng.js';
import { buildEntraResponse, signElement } from '../src/idp/response.js';
import { parseMetadata, type AnalysisReport } from '../src/saml/index.js';
import type { GoCase, GoVerdict } from './go-oracle.js';

export const root = join(import.meta.dirname, '..');
export const SEED = 0x5eed2028;
export const metadata = parseMetadata(fixtureMetadata());
const certsPem = [KEYS.signing.certPem, KEYS.expired.certPem];
export const OPTS = { ...FIXTURE_PARAMS, metadata };
export const LS = '\u2028';
export const NEL = '\u0085';

// ---- signing that keeps the document's bytes: xml-crypto computes the Signature, which is spliced into the original text

type Signed = 'Assertion' | 'Response';
const ISSUER_END = /<\/(?:[\w.-]+:)?Issuer>/g;

export function startOf(xml: string, which: Signed): number {
  return which === 'Response' ? 0 : xml.search(/<(?:[\w.-]+:)?Assertion[\s>]/);
}

function afterFirstIssuer(xml: string, from: number): number {
  ISSUER_END.lastIndex = from;
  const m = ISSUER_END.exec(xml);
  return m ? m.index + m[0].length : -1;
}

/** Signs `which` as the mock IdP does, then inserts that Signature into `xml` unchanged elsewhere (after the element's first Issuer). */
export function spliceSign(xml: string, which: Signed): string {
  const signed = signElement(xml, which, KEYS.signing, 'sha256');
  const at = afterFirstIssuer(signed, startOf(signed, which));
  const end = signed.indexOf('</Signature>', at) + '</Signature>'.length;
  if (!signed.startsWith('<Signature', at) || end < at) throw new Error('signature not where expected');
  const into = afterFirstIssuer(xml, startOf(xml, which));
  return xml.slice(0, into) + signed.slice(at, end) + xml.slice(into);
}

// ---- mutations at the XML layer

interface Mutation { name: string; apply(xml: string, rng: Rng): string | null }

const SPACES = [LS, '\u2029', NEL, '\u00a0', '\ufeff', '\u200b', '\u3000', '\t', '\n', '\r\n', '\r', ' '];
const SPACE_REFS = ['&#x2028;', '&#8232;', '&#x85;', '&#133;', '&#13;', '&#x9;', '&#10;', '&#xA0;'];
const ILLEGAL = ['\u0001', '\u000b', '\u001f', '\ufffe', '&#1;', '&#x1F;', '&#xFFFF;', '&#0;', '&#xD800;'];
const pick = <T>(rng: Rng, xs: readonly T[]) => xs[rng.int(xs.length)];

/** Inserts `s` at a random offset inside the text of the first element matching `tag`. */
function intoText(xml: string, tag: RegExp, s: string, rng: Rng): string | null {
  const m = tag.exec(xml);
  if (!m) return null;
  const textStart = m.index + m[0].length;
  const textEnd = xml.indexOf('<', textStart);
  const at = textStart + rng.int(textEnd - textStart + 1);
  return xml.slice(0, at) + s + xml.slice(at);
}

/** Inserts `s` into the value of attribute `name` (first occurrence). */
function intoAttr(xml: string, name: string, s: string, rng: Rng): string | null {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(xml);
  if (!m) return null;
  const valueStart = m.index + m[0].length - 1 - m[1].length;
  const at = valueStart + rng.int(m[1].length + 1);
  return xml.slice(0, at) + s + xml.slice(at);
}

const NAMEID = /<(?:[\w.-]+:)?NameID[^>]*>/;
const DISPLAYNAME = /<(?:[\w.-]+:)?Attribute Name="http:\/\/schemas.microsoft.com\/identity\/claims\/displayname"><(?:[\w.-]+:)?AttributeValue>/;
const A_ISSUER = /<(?:[\w.-]+:)?Assertion[^>]*>\s*<(?:[\w.-]+:)?Issuer>/;
const AUDIENCE = /<(?:[\w.-]+:)?Audience>/;
const ASSERTION_NAMES = ['Assertion', 'Issuer', 'Subject', 'NameID', 'SubjectConfirmationData', 'SubjectConfirmation', 'Conditions', 'AudienceRestriction', 'Audience', 'AttributeStatement', 'AttributeValue', 'Attribute', 'AuthnStatement', 'AuthnContextClassRef', 'AuthnContext'];

/** The Assertion in `prefix:` form instead of the default namespace (the Signature keeps its own default namespace). */
export function prefixAssertion(xml: string, prefix: string): string | null {
  const start = startOf(xml, 'Assertion');
  const end = xml.indexOf('</Assertion>', start);
  if (start < 0 || end < 0) return null;
  let body = xml.slice(start, end + '</Assertion>'.length);
  const names = ASSERTION_NAMES.join('|');
  body = body.replace(new RegExp(`<(/?)(${names})([\\s>/])`, 'g'), `<$1${prefix}:$2$3`);
  body = body.replace(`<${prefix}:Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"`, `<${prefix}:Assertion xmlns:${prefix}="urn:oasis:names:tc:SAML:2.0:assertion"`)
    .replace(/ xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/, ` xmlns:${prefix}="urn:oasis:names:tc:SAML:2.0:assertion"`);
  return xml.slice(0, start) + body + xml.slice(end + '</Assertion>'.length);
}

/** Repeats the first element named `tag` (with its content), changing its text to `value`, before or after the original. */
function duplicate(xml: string, tag: string, rng: Rng, value?: string): string | null {
  const re = new RegExp(`<((?:[\\w.-]+:)?${tag})(\\s[^>]*)?(?:/>|>[\\s\\S]*?</\\1>)`);
  const m = re.exec(xml);
  if (!m) return null;
  let copy = m[0];
  if (value !== undefined) copy = copy.replace(/>([^<]+)</, `>${value}<`);
  const at = rng.chance(0.5) ? m.index : m.index + m[0].length;
  return xml.slice(0, at) + copy + xml.slice(at);
}

/** Mutations applied to the unsigned document; the signature is computed afterwards, so it covers them. */
const PRE_SIGN: Mutation[] = [
  { name: 'unicode space in NameID', apply: (x, r) => intoText(x, NAMEID, pick(r, SPACES), r) },
  { name: 'unicode space in displayname', apply: (x, r) => intoText(x, DISPLAYNAME, pick(r, SPACES), r) },
  { name: 'unicode space in an attribute value', apply: (x, r) => intoAttr(x, pick(r, ['Name', 'Format', 'SessionIndex', 'Method']), pick(r, SPACES), r) },
  { name: 'char ref of a space in NameID', apply: (x, r) => intoText(x, NAMEID, pick(r, SPACE_REFS), r) },
  { name: 'char ref of a space in an attribute', apply: (x, r) => intoAttr(x, pick(r, ['Name', 'Format']), pick(r, SPACE_REFS), r) },
  { name: 'whitespace around Assertion Issuer', apply: (x, r) => intoText(x, A_ISSUER, pick(r, [' ', '\n', '\t', LS]), r) },
  { name: 'whitespace around Audience', apply: (x, r) => intoText(x, AUDIENCE, pick(r, [' ', '\n', NEL]), r) },
  { name: 'whitespace around NameID', apply: (x, r) => intoText(x, NAMEID, pick(r, [' ', '\n']), r) },
  { name: 'duplicate NameID', apply: (x, r) => duplicate(x, 'NameID', r, 'mallory@evil.example') },
  { name: 'duplicate Subject', apply: (x, r) => duplicate(x, 'Subject', r, 'mallory@evil.example') },
  { name: 'duplicate Assertion Issuer', apply: (x, r) => { const s = startOf(x, 'Assertion'); const d = duplicate(x.slice(s), 'Issuer', r, 'https://evil.example/'); return d && x.slice(0, s) + d; } },
  { name: 'duplicate Response Issuer', apply: (x, r) => duplicate(x, 'Issuer', r, 'https://evil.example/') },
  { name: 'duplicate Conditions', apply: (x, r) => duplicate(x, 'Conditions', r) },
  { name: 'duplicate Audience', apply: (x, r) => duplicate(x, 'Audience', r, 'https://other.example/') },
  { name: 'duplicate AudienceRestriction', apply: (x, r) => duplicate(x, 'AudienceRestriction', r) },
  { name: 'duplicate SubjectConfirmationData', apply: (x, r) => duplicate(x, 'SubjectConfirmationData', r) },
  { name: 'duplicate StatusCode', apply: (x, r) => duplicate(x, 'samlp:StatusCode', r) },
  { name: 'empty CDATA', apply: (x, r) => intoText(x, pick(r, [NAMEID, DISPLAYNAME]), '<![CDATA[]]>', r) },
  { name: 'CDATA in NameID', apply: (x, r) => intoText(x, NAMEID, `<![CDATA[${pick(r, ['x', LS, '<&>'])}]]>`, r) },
  { name: 'SubjectConfirmation without data', apply: (x) => x.replace(/<SubjectConfirmationData[^>]*\/>/, '') },
  { name: 'extra SubjectConfirmation without data', apply: (x) => x.replace('</SubjectConfirmation>', '</SubjectConfirmation><SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"/>') },
  { name: 'comment in NameID', apply: (x, r) => intoText(x, NAMEID, '<!--c-->', r) },
  { name: 'PI in NameID', apply: (x, r) => intoText(x, NAMEID, '<?x y?>', r) },
  { name: 'prefixed assertion', apply: (x) => prefixAssertion(x, 'saml') },
  { name: 'prefix rebinding inside the assertion', apply: (x) => (prefixAssertion(x, 'saml') ?? x).replace(/(<\/(?:saml:)?AttributeValue>)/, '<saml:x xmlns:saml="urn:other"/>$1') },
  { name: 'redundant namespace declaration', apply: (x) => x.replace(/<NameID /, '<NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ') },
  { name: 'unused prefix declaration', apply: (x) => x.replace(/<Subject>/, '<Subject xmlns:foo="urn:foo">') },
  { name: 'entity refs in NameID', apply: (x) => x.replace(/(<NameID[^>]*>)a/, '$1&#97;').replace('@contoso', '&#x40;contoso') },
  { name: 'undeclared-then-redeclared default namespace', apply: (x) => x.replace(/<AuthnContext>/, '<AuthnContext xmlns=""><x/></AuthnContext><AuthnContext>') },
  { name: 'duplicate attribute before signing', apply: (x) => x.replace(/<NameID Format="([^"]*)"/, '<NameID Format="urn:x" Format="$1"') },
  { name: 'DOCTYPE before signing', apply: (x) => '<!DOCTYPE Response>' + x },
  { name: 'amp in displayname', apply: (x, r) => intoText(x, DISPLAYNAME, '&amp;&lt;&gt;', r) },
];

/** Mutations applied after signing (the signature is not recomputed). */
const POST_SIGN: Mutation[] = [
  { name: 'post: unicode space in NameID', apply: (x, r) => intoText(x, NAMEID, pick(r, SPACES), r) },
  { name: 'post: LF → U+2028', apply: (x) => (x.includes('\n') ? x.replace('\n', LS) : null) },
  { name: 'post: literal → char ref of U+2028', apply: (x) => (x.includes(LS) ? x.replace(LS, '&#x2028;') : null) },
  { name: 'post: version 1.1', apply: (x) => '<?xml version="1.1" encoding="utf-8"?>' + x },
  { name: 'post: version 1.0 declaration', apply: (x, r) => `<?xml version="1.0"${pick(r, ['', ' encoding="UTF-8"', ' encoding="utf8"', ' encoding="us-ascii"', " encoding='utf-8' standalone='yes'"])}?>` + x },
  { name: 'post: illegal char in text', apply: (x, r) => intoText(x, pick(r, [NAMEID, DISPLAYNAME]), pick(r, ILLEGAL), r) },
  { name: 'post: illegal char in attribute', apply: (x, r) => intoAttr(x, pick(r, ['Name', 'SessionIndex']), pick(r, ILLEGAL), r) },
  { name: 'post: illegal char in comment', apply: (x) => x.replace('<samlp:Status>', '<!--\u0001--><samlp:Status>') },
  { name: 'post: whitespace around Issuer', apply: (x, r) => intoText(x, A_ISSUER, ' ', r) },
  { name: 'post: comment in NameID', apply: (x, r) => intoText(x, NAMEID, '<!---->', r) },
  { name: 'post: comment between elements', apply: (x) => x.replace('<Subject>', '<!--x--><Subject>') },
  { name: 'post: PI between elements', apply: (x) => x.replace('<samlp:Status>', '<?foo bar?><samlp:Status>') },
  { name: 'post: empty CDATA outside signed content', apply: (x) => x.replace('<samlp:StatusCode', '<![CDATA[]]><samlp:StatusCode') },
  { name: 'post: CDATA wrap of NameID', apply: (x) => x.replace(/(<NameID[^>]*>)([^<]+)</, '$1<![CDATA[$2]]><') },
  { name: 'post: char ref for a NameID letter', apply: (x) => x.replace(/(<NameID[^>]*>)a/, '$1&#x61;') },
  { name: 'post: attribute order', apply: (x) => x.replace(/<SubjectConfirmationData InResponseTo="([^"]*)" NotOnOrAfter="([^"]*)" Recipient="([^"]*)"/, '<SubjectConfirmationData Recipient="$3" NotOnOrAfter="$2" InResponseTo="$1"') },
  { name: 'post: single quotes', apply: (x) => x.replace(/<NameID Format="([^"]*)"/, "<NameID Format='$1'") },
  { name: 'post: whitespace inside tags', apply: (x) => x.replace(/<NameID Format=/, '<NameID \n\tFormat=').replace('<Subject>', '<Subject >') },
  { name: 'post: explicit end tag', apply: (x) => x.replace(/<SubjectConfirmationData([^>]*)\/>/, '<SubjectConfirmationData$1></SubjectConfirmationData>') },
  { name: 'post: redundant namespace declaration', apply: (x) => x.replace(/<NameID /, '<NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ') },
  { name: 'post: rebind a prefix after the assertion', apply: (x) => x.replace('</samlp:Response>', '<saml:x xmlns:saml="urn:other"/></samlp:Response>') },
  { name: 'post: rebind samlp after the assertion', apply: (x) => x.replace('</samlp:Response>', '<samlp:x xmlns:samlp="urn:other"/></samlp:Response>') },
  { name: 'post: BOM', apply: (x) => '\ufeff' + x },
  { name: 'post: DOCTYPE without entities', apply: (x, r) => pick(r, ['<!DOCTYPE Response>', '<!DOCTYPE x [<!ATTLIST Assertion ID ID #IMPLIED>]>', '<!DOCTYPE x [<!ENTITY a "]>">]>']) + x },
  { name: 'post: DOCTYPE and an entity reference', apply: (x) => '<!DOCTYPE x [<!ENTITY e "alice">]>' + x.replace(/(<NameID[^>]*>)alice/, '$1&e;') },
  { name: 'post: duplicate attribute', apply: (x, r) => x.replace(/<SubjectConfirmationData /, `<SubjectConfirmationData Recipient="${pick(r, ['https://fleet.example.com/api/v1/fleet/sso/callback', 'https://evil.example/'])}" `) },
  { name: 'post: no closing root tag', apply: (x) => x.replace('</samlp:Response>', '') },
  { name: 'post: text after the root', apply: (x, r) => x + pick(r, [' ', '\n', 'x', '<!--c-->', '<?p?>']) },
  { name: 'post: undeclare the default namespace', apply: (x) => x.replace('<samlp:Status>', '<samlp:Status><x xmlns=""/>') },
  { name: 'post: prefixed attribute', apply: (x) => x.replace('<Subject>', '<Subject xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="x">') },
  { name: 'post: tab in an attribute', apply: (x, r) => intoAttr(x, 'Recipient', pick(r, ['\t', '\n', '&#9;', '&#10;']), r) },
];

const DISPLAY_NAMES = ['Alice Example', `Ali${LS}ce`, `Al${NEL}ice`, 'Zoë Ünïcode', 'O\'Brien & <Co>', `A${LS}${LS}B`];
const NAME_IDS = ['alice@contoso.example', `ali${LS}ce@contoso.example`, `alice${NEL}@contoso.example`, 'bob@contoso.example'];

export interface Case { id: string; xml: string; steps: string[] }

/** Case `index` of the campaign: a fresh unsigned response, 0–2 pre-sign mutations, a signing option, 0–1 post-sign mutation. */
export function randomCase(index: number, seed = SEED): Case {
  const rng = caseRng(seed, index);
  const steps: string[] = [];
  let xml = buildEntraResponse(baseSpec({ signing: 'none', nameId: pick(rng, NAME_IDS), displayName: pick(rng, DISPLAY_NAMES) }));
  for (let k = rng.int(3); k > 0; k--) {
    const m = pick(rng, PRE_SIGN);
    const next = m.apply(xml, rng);
    if (next !== null && next !== xml) { xml = next; steps.push(m.name); }
  }
  const signing = pick(rng, ['assertion', 'assertion', 'response', 'both'] as const);
  steps.push(`sign ${signing}`);
  try {
    if (signing !== 'response') xml = spliceSign(xml, 'Assertion');
    if (signing !== 'assertion') xml = spliceSign(xml, 'Response');
  } catch { steps.push('(signer refused the document: unsigned)'); }
  if (rng.chance(0.6)) {
    const m = pick(rng, POST_SIGN);
    const next = m.apply(xml, rng);
    if (next !== null && next !== xml) { xml = next; steps.push(m.name); }
  }
  return { id: `case-${index}`, xml, steps };
}

export function goCase(id: string, xml: string): GoCase {
  return {
    id, xmlBase64: Buffer.from(xml, 'utf8').toString('base64'), certsPem, idpEntityId: metadata.entityId, entityId: OPTS.entityId, acsUrl: OPTS.acsUrl,
    audiences: [], requestIds: [OPTS.requestId], allowIdpInitiated: false, now: OPTS.now.toISOString(),
  };
}

/** Where samlscope's prediction and Go differ (empty when they agree), plus the invariant that samlscope never accepts what Fleet refuses. */
export function disagreement(r: AnalysisReport, go: GoVerdict): string | null {
  const goVerdict = go.ok ? 'accept' : 'reject';
  if (r.verdict === 'accept' && r.fleet.verdict !== 'accept') return 'samlscope accepts what it predicts Fleet refuses';
  if (r.fleet.verdict !== goVerdict) return `fleet.verdict ${r.fleet.verdict}, Go ${goVerdict} (${go.stage ?? ''}: ${(go.error ?? '').slice(0, 160)}); samlscope ${r.verdict} [${r.findings.filter((f) => f.severity === 'error').map((f) => f.code).join(', ')}]`;
  if (go.ok) {
    if (r.fleet.nameId !== go.nameId) return `nameId ${JSON.stringify(r.fleet.nameId)} vs Go ${JSON.stringify(go.nameId)}`;
    if (r.fleet.issuer !== go.issuer) return `issuer ${JSON.stringify(r.fleet.issuer)} vs Go ${JSON.stringify(go.issuer)}`;
    if (JSON.stringify(r.fleet.audiences) !== JSON.stringify(go.audiences)) return `audiences ${JSON.stringify(r.fleet.audiences)} vs Go ${JSON.stringify(go.audiences)}`;
  }
  return null;
}

