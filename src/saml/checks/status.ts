// STATUS checks: the top-level StatusCode, with Entra's AADSTS codes explained when the status is not Success.
import { AADSTS, extractAadsts } from '../aadsts.js';
import { finding, type Finding } from '../findings.js';
import { STATUS_SUCCESS } from '../read.js';
import type { Check } from './context.js';

export const statusChecks: Check = ({ rawResponse: r }) => {
  if (r.statusCode === null) return [finding('SAML_STATUS_MISSING', 'The Response has no Status/StatusCode.')];
  if (r.statusCode === STATUS_SUCCESS) return [];
  const codes = extractAadsts(r.statusMessage);
  const known = codes.find((c) => AADSTS[c]);
  const short = (u: string | null) => (u ?? '').replace('urn:oasis:names:tc:SAML:2.0:status:', '');
  const message = `Status ${short(r.statusCode)}${r.subStatusCode ? '/' + short(r.subStatusCode) : ''}${codes.length ? ': AADSTS' + codes.join(', AADSTS') : ''}${known ? ' (' + AADSTS[known].meaning + ')' : ''}.`;
  const f: Finding = finding('SAML_STATUS_NOT_SUCCESS', message, { statusCode: r.statusCode, subStatusCode: r.subStatusCode, aadsts: codes, statusMessage: r.statusMessage?.slice(0, 500) ?? null }, known ? AADSTS[known].remedy : undefined);
  return [f];
};
