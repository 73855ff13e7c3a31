// ISSUER checks: the Response Issuer (when present) and the Assertion Issuer (required) equal the metadata entityID, exactly.
import { finding, type Finding } from '../findings.js';
import type { Check } from './context.js';

export const issuerChecks: Check = ({ response, view }, { md }) => {
  const findings: Finding[] = [];
  if (response.issuer !== null && response.issuer !== md.entityId) {
    findings.push(finding('SAML_ISSUER_RESPONSE_MISMATCH', `Response Issuer is "${response.issuer.slice(0, 200)}"; the metadata entityID is "${md.entityId}".`, { expected: md.entityId, actual: response.issuer.slice(0, 200) }));
  }
  if (view) {
    if (view.summary.issuer === null) findings.push(finding('SAML_ISSUER_ASSERTION_MISSING', 'The Assertion has no Issuer.'));
    else if (view.summary.issuer !== md.entityId) {
      findings.push(finding('SAML_ISSUER_ASSERTION_MISMATCH', `Assertion Issuer is "${view.summary.issuer.slice(0, 200)}"; the metadata entityID is "${md.entityId}".`, { expected: md.entityId, actual: view.summary.issuer.slice(0, 200) }));
    }
  }
  return findings;
};
