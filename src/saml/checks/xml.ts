// XML checks: what the document's structure says before any SAML rule (duplicates, hidden or extra assertions, comments in signed text).
import { finding, type Finding } from '../findings.js';
import { NS, allElements, ancestors, childElements, hasSplitText, textOf } from '../xml.js';
import type { Check } from './context.js';

/** Children that SAML allows once per parent (Go's unmarshalling keeps the last of them, samlscope reads the first). */
const SINGLETONS: Array<[string, string, string, string]> = [
  [NS.protocol, 'Response', NS.assertion, 'Issuer'],
  [NS.protocol, 'Response', NS.protocol, 'Status'],
  [NS.protocol, 'Status', NS.protocol, 'StatusCode'],
  [NS.protocol, 'StatusCode', NS.protocol, 'StatusCode'],
  [NS.assertion, 'Assertion', NS.assertion, 'Issuer'],
  [NS.assertion, 'Assertion', NS.assertion, 'Subject'],
  [NS.assertion, 'Assertion', NS.assertion, 'Conditions'],
  [NS.assertion, 'Subject', NS.assertion, 'NameID'],
  [NS.assertion, 'SubjectConfirmation', NS.assertion, 'SubjectConfirmationData'],
];

/** The first singleton element that appears twice under one parent, as "Parent/Child", or null. */
export function duplicateSingleton(root: Element): string | null {
  for (const parent of [root, ...allElements(root)]) {
    for (const [pns, pname, cns, cname] of SINGLETONS) {
      if (parent.namespaceURI === pns && parent.localName === pname && childElements(parent, cns, cname).length > 1) return `${pname}/${cname}`;
    }
  }
  return null;
}

/** The first element inside a signed element whose text is split by a comment or PI (exc-c14n drops comments, so they survive verification). */
function splitSignedText(signed: Element[], root: Element): Finding | null {
  for (const el of signed) {
    const split = [el, ...allElements(el)].find((e) => e.namespaceURI !== NS.dsig && hasSplitText(e));
    if (split) return finding('SAML_XML_COMMENT_IN_SIGNED_CONTENT', `<${split.localName}> inside the signed ${el === root ? 'Response' : 'Assertion'} contains a comment or split text.`, { element: split.localName, signedValue: (textOf(split) ?? '').slice(0, 200) });
  }
  return null;
}

export const xmlChecks: Check = (v) => {
  const findings: Finding[] = [...v.policy];
  const dup = duplicateSingleton(v.root);
  if (dup) findings.push(finding('SAML_XML_DUPLICATE_ELEMENT', `<${dup.split('/')[0]}> has more than one <${dup.split('/')[1]}>.`, { element: dup, fleetNameId: v.fleet.nameId?.slice(0, 200) ?? null }));
  if (v.encrypted.length > 0) findings.push(finding('SAML_XML_ENCRYPTED_ASSERTION', `${v.encrypted.length} EncryptedAssertion element(s).`, { count: v.encrypted.length }));
  if (v.nested.length > 0) {
    findings.push(finding('SAML_XML_NESTED_ASSERTION', `An Assertion sits inside <${ancestors(v.nested[0])[0]?.localName ?? '?'}> instead of directly under the Response.`, { parents: v.nested.map((a) => ancestors(a).map((p) => p.localName).reverse().join('/')).slice(0, 5) }));
  }
  if (v.direct.length > 1) findings.push(finding('SAML_XML_MULTIPLE_ASSERTIONS', `${v.direct.length} Assertion elements under the Response.`, { count: v.direct.length }));
  if (v.direct.length === 0 && v.encrypted.length === 0 && v.success) findings.push(finding('SAML_XML_NO_ASSERTION', 'A Success response without an Assertion.'));
  const split = splitSignedText(v.signedOriginals, v.root);
  if (split) findings.push(split);
  return findings;
};
