// The analysis core's public surface: everything the proxy, the CLI, the mock IdP and preflight call.
import { analyze } from './analyze.js';
import { withSecondOpinion } from './second-opinion.js';
import type { AnalysisReport, AnalyzeOptions } from './types.js';

export * from './types.js';
export * from './findings.js';
export { analyze, orderFindings, readAssertion, readResponse, STATUS_SUCCESS } from './analyze.js';
export { decodeSamlInput, decodeBase64Strict, decodeRedirectMessage } from './decode.js';
export { parseMetadata, metadataFindings, describeCert, pemToBase64, MetadataError, BINDING } from './metadata.js';
export { decodeAuthnRequest, parseAuthnRequestXml, authnRequestFromUrl, lintAuthnRequest, type AuthnRequestInfo } from './authn-request.js';
export { AADSTS, extractAadsts } from './aadsts.js';
export { nodeSamlOpinion, withSecondOpinion } from './second-opinion.js';

/** The whole engine: the pure analysis, then node-saml's second opinion on anything it would accept. */
export async function analyzeResponse(input: string | Buffer, opts: AnalyzeOptions): Promise<AnalysisReport> {
  return withSecondOpinion(analyze(input, opts), opts);
}
