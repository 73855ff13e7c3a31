// A pasted Entra error on an attempt: its AADSTS codes with meaning and remedy, kept with the attempt as findings and data.
import { explainAadsts } from '../saml/aadsts.js';
import { finding } from '../saml/findings.js';
import type { Attempt, ReportedEntraError } from './attempt.js';

/** The most text kept from one paste (Entra's error page is a few hundred characters). */
export const ENTRA_ERROR_TEXT_MAX = 2000;

/** The attempt with the pasted text's AADSTS codes added (each code once); unchanged, with no codes, when there are none. */
export function withEntraError(a: Attempt, text: string, now: Date): { attempt: Attempt; codes: ReportedEntraError[] } {
  const kept = text.replace(/\s+/g, ' ').trim().slice(0, ENTRA_ERROR_TEXT_MAX);
  const codes: ReportedEntraError[] = explainAadsts(kept).map((c) => ({ ...c, text: kept, at: now.toISOString() }));
  if (codes.length === 0) return { attempt: a, codes };
  const known = new Set((a.entraErrors ?? []).map((e) => e.code));
  const fresh = codes.filter((c) => !known.has(c.code));
  const findings = fresh.map((c) => finding('SAML_IDP_AADSTS_REPORTED',
    `Entra answered AADSTS${c.code}${c.meaning ? `: ${c.meaning}` : ' (not in samlscope\'s table)'}.`,
    { aadsts: c.code, reportedAt: c.at },
    c.remedy ?? 'Look the code up in Microsoft\'s AADSTS error reference (learn.microsoft.com, "Microsoft Entra authentication and authorization error codes").'));
  return { attempt: { ...a, entraErrors: [...(a.entraErrors ?? []), ...fresh], findings: [...findings, ...a.findings] }, codes };
}
