// NAMEID checks: a NameID Fleet can look a user up by (an email, not a pairwise ID) and a bearer SubjectConfirmation.
import { finding, type Finding } from '../findings.js';
import { CM_BEARER, EMAIL_RE, NAMEID_PERSISTENT } from '../read.js';
import { NS, descendants, firstChild } from '../xml.js';
import type { Check } from './context.js';

export const nameIdChecks: Check = ({ view, viewEl }) => {
  if (!view) return [];
  const findings: Finding[] = [];
  if (!view.subject) {
    const enc = viewEl && firstChild(viewEl, NS.assertion, 'Subject') && descendants(viewEl, NS.assertion, 'EncryptedID').length > 0;
    findings.push(finding('SAML_NAMEID_MISSING', enc ? 'The NameID is encrypted (EncryptedID); Fleet cannot read it.' : 'The Assertion has no Subject/NameID.'));
  } else if (view.subject.nameId.trim() === '') {
    findings.push(finding('SAML_NAMEID_MISSING', 'The NameID is empty.'));
  } else {
    const v = view.subject.nameId.trim();
    if (!EMAIL_RE.test(v)) {
      const unspecified = view.subject.format === null || view.subject.format.endsWith(':unspecified');
      const pairwise = view.subject.format === NAMEID_PERSISTENT || (unspecified && /^[A-Za-z0-9_-]{43}$/.test(v));
      findings.push(pairwise
        ? finding('SAML_NAMEID_PERSISTENT', `NameID "${v.slice(0, 80)}" is a pairwise identifier (format ${view.subject.format ?? 'unspecified'}); Fleet looks users up by email.`, { nameId: v.slice(0, 80), format: view.subject.format })
        : finding('SAML_NAMEID_NOT_EMAIL', `NameID "${v.slice(0, 80)}" is not an email address; Fleet looks users up by email.`, { nameId: v.slice(0, 80), format: view.subject.format }));
    }
  }
  if (!view.confirmations.some((c) => c.method === CM_BEARER)) {
    findings.push(finding('SAML_NAMEID_NO_BEARER_CONFIRMATION', `SubjectConfirmation methods: [${view.confirmations.map((c) => c.method ?? '(none)').join(', ')}].`));
  }
  return findings;
};
