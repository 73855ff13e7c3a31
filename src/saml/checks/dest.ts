// DEST checks: the Response Destination and every SubjectConfirmationData Recipient name Fleet's ACS URL.
import { finding, type Finding } from '../findings.js';
import type { Check } from './context.js';

export const destChecks: Check = ({ response, respSigs, view }, { opts }) => {
  const findings: Finding[] = [];
  if (response.destination !== null) {
    if (response.destination !== opts.acsUrl) findings.push(finding('SAML_DEST_MISMATCH', `Destination is "${response.destination.slice(0, 300)}"; Fleet's ACS URL is "${opts.acsUrl}".`, { expected: opts.acsUrl, actual: response.destination.slice(0, 300) }));
  } else if (respSigs.length > 0) {
    findings.push(finding('SAML_DEST_MISSING', 'The Response is signed but has no Destination.'));
  }
  for (const c of view?.confirmations.filter((c) => c.hasData) ?? []) {
    if (c.recipient !== opts.acsUrl) {
      findings.push(finding('SAML_DEST_RECIPIENT_MISMATCH', `Recipient is ${c.recipient === null ? 'missing' : `"${c.recipient.slice(0, 300)}"`}; Fleet's ACS URL is "${opts.acsUrl}".`, { expected: opts.acsUrl, actual: c.recipient?.slice(0, 300) ?? null }));
    }
  }
  return findings;
};
