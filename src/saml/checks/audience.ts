// AUDIENCE checks: Conditions with an AudienceRestriction, and some Audience Fleet accepts (entity_id, server_url, the ACS URL).
import { finding } from '../findings.js';
import type { Check } from './context.js';

export const audienceChecks: Check = ({ view }, { opts }) => {
  if (!view) return [];
  if (!view.hasConditions || view.restrictions.length === 0) {
    return [finding('SAML_AUDIENCE_MISSING', view.hasConditions ? 'Conditions has no AudienceRestriction.' : 'The Assertion has no Conditions.')];
  }
  const accepted = new Set([opts.entityId, opts.acsUrl, ...(opts.extraAudiences ?? [])]);
  const satisfied = view.restrictions.map((ar) => ar.some((a) => accepted.has(a)));
  const all = view.restrictions.flat();
  if (!satisfied.some(Boolean)) {
    const spn = all.find((a) => a.startsWith('spn:'));
    return [spn
      ? finding('SAML_AUDIENCE_SPN_PREFIX', `Audience is "${spn.slice(0, 200)}"; Fleet expects "${opts.entityId}".`, { expected: opts.entityId, actual: all.slice(0, 5) })
      : finding('SAML_AUDIENCE_MISMATCH', `Audience is ${all.length ? all.map((a) => `"${a.slice(0, 200)}"`).slice(0, 3).join(', ') : 'empty'}; Fleet expects "${opts.entityId}".`, { expected: opts.entityId, actual: all.slice(0, 5) })];
  }
  if (!satisfied.every(Boolean)) {
    return [finding('SAML_AUDIENCE_RESTRICTION_UNSATISFIED', `${satisfied.filter((s) => !s).length} of ${satisfied.length} AudienceRestrictions do not name Fleet.`, { restrictions: view.restrictions.slice(0, 5) })];
  }
  return [];
};
