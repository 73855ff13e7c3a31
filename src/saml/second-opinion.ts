// A second opinion: the same response through @node-saml/node-saml configured as Fleet would be; the stricter verdict wins.
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { finding, type Finding } from './findings.js';
import type { AnalysisReport, AnalyzeOptions } from './types.js';
import { xml10View } from './xml.js';

export interface SecondOpinion {
  accepted: boolean;
  reason: string | null;
}

/**
 * Runs node-saml on the decoded XML. Time checks are off here (acceptedClockSkewMs -1) because node-saml reads the
 * wall clock; the engine judges times with the pinned clock. InResponseTo is the engine's job too.
 */
export async function nodeSamlOpinion(xml: string, opts: AnalyzeOptions, audience: string): Promise<SecondOpinion> {
  const saml = new SAML({
    callbackUrl: opts.acsUrl,
    issuer: opts.entityId,
    audience,
    idpCert: opts.metadata.certs.map((c) => c.pem),
    idpIssuer: opts.metadata.entityId,
    wantAssertionsSigned: false,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: -1,
    validateInResponseTo: ValidateInResponseTo.never,
  });
  try {
    // node-saml parses with xmldom too: give it the XML 1.0 view (U+2028/U+0085 as references), or it digests them as LF
    await saml.validatePostResponseAsync({ SAMLResponse: Buffer.from(xml10View(xml).text, 'utf8').toString('base64') });
    return { accepted: true, reason: null };
  } catch (e) {
    return { accepted: false, reason: String((e as Error).message ?? e).slice(0, 300) };
  }
}

/** Adds node-saml's verdict to an accepted report; a disagreement turns it into a reject with a finding. */
export async function withSecondOpinion(report: AnalysisReport, opts: AnalyzeOptions): Promise<AnalysisReport> {
  if (report.verdict !== 'accept' || report.xml === null) return report;
  const accepted = new Set([opts.entityId, opts.acsUrl, ...(opts.extraAudiences ?? [])]);
  const audience = report.assertion?.audiences.find((a) => accepted.has(a)) ?? opts.entityId;
  const opinion = await nodeSamlOpinion(report.xml, opts, audience);
  if (opinion.accepted) return report;
  const f: Finding = finding('SAML_FLEET_SECOND_OPINION_REJECTS', `node-saml rejects the response: ${opinion.reason ?? 'no reason given'}.`, { nodeSaml: opinion.reason });
  return { ...report, verdict: 'reject', findings: [f, ...report.findings] };
}
