// TIME checks: IssueInstants at most 90 s old, Conditions and SubjectConfirmationData within their window ± the clock skew.
import { finding, type Finding } from '../findings.js';
import { parseTime } from '../read.js';
import type { Check } from './context.js';

/** An IssueInstant: present, an xs:dateTime, not older than `maxAgeMs`, not further ahead than the skew. */
function issueInstantFindings(label: string, value: string | null, now: number, maxAgeMs: number, skewMs: number): Finding[] {
  const t = parseTime(value);
  if (t === null || Number.isNaN(t)) return [finding('SAML_TIME_INVALID', `${label} IssueInstant is ${value === null ? 'missing' : `"${value.slice(0, 40)}"`}.`, { element: label, value })];
  if (now - t > maxAgeMs) return [finding('SAML_TIME_ISSUE_INSTANT_STALE', `${label} IssueInstant ${value} is ${Math.round((now - t) / 1000)} s old; Fleet allows ${maxAgeMs / 1000} s.`, { element: label, issueInstant: value, ageSeconds: Math.round((now - t) / 1000) })];
  if (t - now > skewMs) return [finding('SAML_TIME_ISSUE_INSTANT_FUTURE', `${label} IssueInstant ${value} is ${Math.round((t - now) / 1000)} s in the future.`, { element: label, issueInstant: value })];
  return [];
}

export const timeChecks: Check = ({ view, response }, { opts, now, skewMs, maxAgeMs }) => {
  const findings: Finding[] = [];
  if (view) {
    for (const c of view.confirmations.filter((c) => c.hasData)) {
      const t = parseTime(c.notOnOrAfter);
      if (t === null || Number.isNaN(t)) findings.push(finding('SAML_TIME_INVALID', `SubjectConfirmationData NotOnOrAfter is ${c.notOnOrAfter === null ? 'missing' : `"${c.notOnOrAfter.slice(0, 40)}"`}.`, { element: 'SubjectConfirmationData', value: c.notOnOrAfter }));
      else if (now >= t + skewMs) findings.push(finding('SAML_TIME_CONFIRMATION_EXPIRED', `SubjectConfirmationData NotOnOrAfter ${c.notOnOrAfter} passed ${Math.round((now - t) / 1000)} s ago (skew ${skewMs / 1000} s).`, { notOnOrAfter: c.notOnOrAfter, now: opts.now.toISOString() }));
    }
    const nb = parseTime(view.summary.notBefore);
    const na = parseTime(view.summary.notOnOrAfter);
    if (Number.isNaN(nb) || Number.isNaN(na)) findings.push(finding('SAML_TIME_INVALID', 'Conditions NotBefore or NotOnOrAfter is not an xs:dateTime.', { notBefore: view.summary.notBefore, notOnOrAfter: view.summary.notOnOrAfter }));
    if (nb !== null && !Number.isNaN(nb) && now < nb - skewMs) findings.push(finding('SAML_TIME_NOT_YET_VALID', `Conditions NotBefore ${view.summary.notBefore} is ${Math.round((nb - now) / 1000)} s ahead of the clock (skew ${skewMs / 1000} s).`, { notBefore: view.summary.notBefore, now: opts.now.toISOString() }));
    if (na !== null && !Number.isNaN(na) && now >= na + skewMs) findings.push(finding('SAML_TIME_EXPIRED', `Conditions NotOnOrAfter ${view.summary.notOnOrAfter} passed ${Math.round((now - na) / 1000)} s ago (skew ${skewMs / 1000} s).`, { notOnOrAfter: view.summary.notOnOrAfter, now: opts.now.toISOString() }));
    findings.push(...issueInstantFindings('Assertion', view.summary.issueInstant, now, maxAgeMs, skewMs));
  }
  findings.push(...issueInstantFindings('Response', response.issueInstant, now, maxAgeMs, skewMs));
  return findings;
};
