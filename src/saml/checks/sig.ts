// SIG checks: how many signatures, what verifying them found, whether anything is signed, and the signing certificate's dates and algorithm.
import { finding, type Finding } from '../findings.js';
import { CERT_EXPIRING_DAYS } from '../read.js';
import type { Check } from './context.js';

export const sigChecks: Check = (v, { now }) => {
  const findings: Finding[] = [];
  if (v.respSigs.length > 1) findings.push(finding('SAML_SIG_MULTIPLE_SIGNATURES', `The Response carries ${v.respSigs.length} Signature elements.`, { element: 'Response' }));
  if (v.aSigs.length > 1) findings.push(finding('SAML_SIG_MULTIPLE_SIGNATURES', `The Assertion carries ${v.aSigs.length} Signature elements.`, { element: 'Assertion' }));
  if (v.respCheck) findings.push(...v.respCheck.findings);
  if (v.aCheck) findings.push(...v.aCheck.findings);
  if (v.signed === 'none' && v.respSigs.length === 0 && v.aSigs.length === 0 && (v.assertionEl || v.success)) {
    findings.push(finding('SAML_SIG_MISSING', 'Neither the Response nor the Assertion carries a Signature.'));
  }
  for (const c of v.verified.filter((c, i, all) => all.findIndex((o) => o.cert?.sha256 === c.cert?.sha256) === i)) {
    if (!c.cert) continue;
    const nb = Date.parse(c.cert.notBefore);
    const na = Date.parse(c.cert.notAfter);
    const ev = { thumbprint: c.cert.thumbprintSha1, notBefore: c.cert.notBefore, notAfter: c.cert.notAfter };
    if (now < nb) findings.push(finding('SAML_SIG_CERT_NOT_YET_VALID', `Signing certificate ${c.cert.thumbprintSha1} is valid from ${c.cert.notBefore}.`, ev));
    else if (now > na) findings.push(finding('SAML_SIG_CERT_EXPIRED', `Signing certificate ${c.cert.thumbprintSha1} expired on ${c.cert.notAfter}.`, ev));
    else if (na - now < CERT_EXPIRING_DAYS * 86_400_000) findings.push(finding('SAML_SIG_CERT_EXPIRING', `Signing certificate ${c.cert.thumbprintSha1} expires in ${Math.floor((na - now) / 86_400_000)} days.`, ev));
  }
  if (v.verified.some((c) => c.algorithm === 'rsa-sha1' || c.digestAlgorithm === 'sha1')) {
    findings.push(finding('SAML_SIG_SHA1', 'The signature uses SHA-1.', { algorithms: v.verified.map((c) => [c.algorithm, c.digestAlgorithm]) }));
  }
  return findings;
};
