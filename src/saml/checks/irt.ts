// IRT checks: the Response's InResponseTo against the AuthnRequest ID (or IdP-initiated login), and each SubjectConfirmationData's.
import { finding, type Finding } from '../findings.js';
import type { Check } from './context.js';

export const irtChecks: Check = ({ response, view }, { opts, allowIdp }) => {
  const findings: Finding[] = [];
  const irt = response.inResponseTo;
  if (irt === null || irt === '') {
    if (allowIdp) findings.push(finding('SAML_IRT_IDP_INITIATED', 'The Response has no InResponseTo: IdP-initiated login.'));
    else findings.push(finding('SAML_IRT_UNSOLICITED', 'The Response has no InResponseTo and IdP-initiated login is not allowed.', opts.requestId ? { expected: opts.requestId } : undefined));
  } else if (opts.requestId !== undefined) {
    if (irt !== opts.requestId) findings.push(finding('SAML_IRT_MISMATCH', `InResponseTo is "${irt.slice(0, 120)}"; the AuthnRequest ID is "${opts.requestId}".`, { expected: opts.requestId, actual: irt.slice(0, 120) }));
  } else {
    findings.push(finding('SAML_IRT_NOT_MATCHED', `InResponseTo "${irt.slice(0, 120)}" was not compared with an AuthnRequest ID.`, { actual: irt.slice(0, 120) }));
  }
  const expected = opts.requestId ?? (irt || undefined);
  for (const c of view?.confirmations.filter((c) => c.hasData) ?? []) {
    if ((c.inResponseTo !== null && c.inResponseTo !== '') || !allowIdp) {
      if (expected !== undefined && c.inResponseTo !== expected) {
        findings.push(finding('SAML_IRT_CONFIRMATION_MISMATCH', `SubjectConfirmationData InResponseTo is ${c.inResponseTo ? `"${c.inResponseTo.slice(0, 120)}"` : 'missing'}; expected "${expected.slice(0, 120)}".`, { expected: expected.slice(0, 120), actual: c.inResponseTo?.slice(0, 120) ?? null }));
      }
    }
  }
  return findings;
};
