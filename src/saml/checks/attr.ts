// ATTR checks: the attributes Fleet reads: an email claim, and JIT role claims that are consistent and valid.
import { finding, type Finding } from '../findings.js';
import { EMAIL_CLAIMS, JIT_ROLE_VALUES } from '../read.js';
import type { Check } from './context.js';

export const attrChecks: Check = ({ view }) => {
  if (!view) return [];
  const findings: Finding[] = [];
  const attrs = view.summary.attributes;
  if (!EMAIL_CLAIMS.some((n) => (attrs[n] ?? []).some((v) => v.trim() !== ''))) {
    findings.push(finding('SAML_ATTR_EMAIL_MISSING', 'No email address claim among the attributes.', { attributes: Object.keys(attrs).slice(0, 20) }));
  }
  const roles = Object.keys(attrs).filter((n) => n.startsWith('FLEET_JIT_USER_ROLE_'));
  if (roles.includes('FLEET_JIT_USER_ROLE_GLOBAL') && roles.some((n) => /^FLEET_JIT_USER_ROLE_(TEAM|FLEET)_/.test(n))) {
    findings.push(finding('SAML_ATTR_JIT_ROLE_CONFLICT', `Both a global and team roles: ${roles.join(', ')}.`, { attributes: roles }));
  }
  const badRole = roles.flatMap((n) => attrs[n].map((v) => [n, v] as const)).find(([, v]) => !JIT_ROLE_VALUES.has(v.trim()));
  if (badRole) findings.push(finding('SAML_ATTR_JIT_ROLE_INVALID', `${badRole[0]} = "${badRole[1].slice(0, 40)}".`, { attribute: badRole[0], value: badRole[1].slice(0, 40) }));
  return findings;
};
