// Preflight's Entra checks as pure functions: the enterprise app read from Graph against Fleet's settings, metadata and users; one user's path end to end.
import { finding, type Finding } from '../saml/findings.js';
import type { GraphAppRoleAssignment, GraphApplication, GraphKeyCredential, GraphServicePrincipal, GraphUser } from '../entra/reads.js';

export interface FleetUser {
  email: string;
  ssoEnabled: boolean;
  name: string;
  globalRole: string | null;
}

export interface EntraAppView {
  sp: GraphServicePrincipal;
  app: GraphApplication | null;
}

export interface AppCheckContext {
  entityId: string;
  /** the ACS URL Fleet computes; null when Fleet has no server_url */
  acsUrl: string | null;
  /** SHA-1 thumbprints (hex) of the signing certs in Fleet's metadata; null when it could not be read */
  metadataThumbprints: string[] | null;
  now: Date;
}

const DAY = 86_400_000;
const norm = (s: string | null | undefined) => (s ?? '').replace(/[^0-9a-f]/gi, '').toUpperCase();

/** The signing certs the service principal lists, one per thumbprint (Entra lists a Sign and a Verify key per cert). */
export function signingCerts(sp: GraphServicePrincipal): (GraphKeyCredential & { thumbprint: string; active: boolean })[] {
  const active = norm(sp.preferredTokenSigningKeyThumbprint);
  const seen = new Map<string, GraphKeyCredential & { thumbprint: string; active: boolean }>();
  for (const k of sp.keyCredentials ?? []) {
    if (k.type !== 'AsymmetricX509Cert') continue;
    const t = norm(k.customKeyIdentifier);
    if (!t || seen.has(t)) continue;
    seen.set(t, { ...k, thumbprint: t, active: t === active });
  }
  return [...seen.values()];
}

/** The enterprise app against Fleet: SSO mode, Identifier, Reply URL, signing certificates. */
export function entraAppFindings(v: EntraAppView, c: AppCheckContext): Finding[] {
  const out: Finding[] = [];
  const where = { servicePrincipalId: v.sp.id, appId: v.sp.appId, displayName: v.sp.displayName };
  if (v.sp.preferredSingleSignOnMode !== 'saml') {
    out.push(finding('SAML_ENTRA_SSO_MODE_NOT_SAML', `The enterprise app "${v.sp.displayName}" uses single sign-on mode "${v.sp.preferredSingleSignOnMode ?? 'none'}", not SAML.`, { ...where, preferredSingleSignOnMode: v.sp.preferredSingleSignOnMode }));
  }
  if (v.app) {
    const ids = v.app.identifierUris ?? [];
    if (c.entityId && !ids.includes(c.entityId)) {
      out.push(finding('SAML_ENTRA_IDENTIFIER_MISMATCH', `Fleet's entity ID "${c.entityId}" is none of the app's Identifiers (${ids.map((i) => `"${i}"`).join(', ') || 'none'}): Entra answers AADSTS700016.`, { ...where, fleetEntityId: c.entityId, identifierUris: ids }));
    }
    const urls = v.app.web?.redirectUris ?? [];
    if (c.acsUrl) {
      if (!urls.includes(c.acsUrl)) {
        out.push(finding('SAML_ENTRA_REPLY_URL_MISSING', `Fleet's ACS URL "${c.acsUrl}" is none of the app's Reply URLs (${urls.map((u) => `"${u}"`).join(', ') || 'none'}): Entra answers AADSTS50011.`, { ...where, fleetAcsUrl: c.acsUrl, redirectUris: urls }));
      } else if (urls[0] !== c.acsUrl) {
        out.push(finding('SAML_ENTRA_REPLY_URL_NOT_DEFAULT', `Fleet's ACS URL is a Reply URL, but "${urls[0]}" is listed first (Entra's default answers IdP-initiated logins).`, { ...where, fleetAcsUrl: c.acsUrl, redirectUris: urls, basis: 'first listed' }));
      }
    }
  }
  const certs = signingCerts(v.sp);
  const active = certs.find((k) => k.active);
  if (active) {
    const ev = { ...where, thumbprint: active.thumbprint, endDateTime: active.endDateTime };
    const left = Math.floor((Date.parse(active.endDateTime) - c.now.getTime()) / DAY);
    if (left < 0) out.push(finding('SAML_ENTRA_CERT_EXPIRED', `Entra's active signing certificate ${active.thumbprint} expired on ${active.endDateTime}; Entra keeps signing with it and Fleet rejects every login.`, ev));
    else if (left <= 60) out.push(finding('SAML_ENTRA_CERT_EXPIRING', `Entra's active signing certificate ${active.thumbprint} expires in ${left} days (${active.endDateTime}).`, { ...ev, daysLeft: left }));
    if (c.metadataThumbprints && !c.metadataThumbprints.map(norm).includes(active.thumbprint)) {
      out.push(finding('SAML_ENTRA_CERT_NOT_IN_METADATA', `Entra signs with certificate ${active.thumbprint}, which is not among the ${c.metadataThumbprints.length} certificate(s) in Fleet's metadata (${c.metadataThumbprints.map(norm).join(', ') || 'none'}): Fleet will reject the signature.`, { ...ev, metadataThumbprints: c.metadataThumbprints.map(norm) }));
    }
    const newer = certs.filter((k) => !k.active && Date.parse(k.endDateTime) > Date.parse(active.endDateTime) && Date.parse(k.endDateTime) > c.now.getTime());
    for (const k of newer) out.push(finding('SAML_ENTRA_CERT_ROLLOVER_PENDING', `An inactive signing certificate ${k.thumbprint} (valid until ${k.endDateTime}) is waiting to be made active.`, { ...where, thumbprint: k.thumbprint, inFleetMetadata: c.metadataThumbprints?.map(norm).includes(k.thumbprint) ?? null }));
  }
  if ((v.sp.notificationEmailAddresses ?? []).length === 0) {
    out.push(finding('SAML_ENTRA_CERT_NO_NOTIFICATION_EMAIL', `The enterprise app "${v.sp.displayName}" has no notification email for certificate expiry.`, where));
  }
  return out;
}

export interface UserCheckInput {
  /** what was asked (--user) */
  email: string;
  /** the Entra user (found by UPN, else by mail); null when none */
  user: GraphUser | null;
  sp: GraphServicePrincipal;
  assignments: GraphAppRoleAssignment[];
  /** the user's transitive group IDs (Entra counts direct members of an assigned group only; nested groups are reported) */
  groupIds: string[];
  /** direct group IDs, when known; else transitive membership is used */
  directGroupIds?: string[];
  fleetUsers: FleetUser[] | null;
  fleet: { jit: boolean; premium: boolean };
}

/** Can this person sign in? Entra (exists, enabled, assigned), the NameID Entra sends (the UPN: Entra's default source), then Fleet's user. */
export function entraUserFindings(i: UserCheckInput): Finding[] {
  const out: Finding[] = [];
  if (!i.user) {
    out.push(finding('SAML_ENTRA_USER_NOT_FOUND', `No user "${i.email}" in the Entra tenant (neither UPN nor mail): Entra answers AADSTS50034.`, { user: i.email }));
    return out;
  }
  const u = i.user;
  const ev = { user: u.userPrincipalName, userId: u.id, appId: i.sp.appId };
  if (!u.accountEnabled) out.push(finding('SAML_ENTRA_USER_DISABLED', `The Entra account ${u.userPrincipalName} is disabled: Entra answers AADSTS50057.`, ev));
  const direct = i.assignments.some((a) => a.principalType === 'User' && a.principalId === u.id);
  const groups = new Set(i.directGroupIds ?? i.groupIds);
  const viaGroup = i.assignments.find((a) => a.principalType === 'Group' && groups.has(a.principalId));
  const nested = !viaGroup && i.directGroupIds ? i.assignments.find((a) => a.principalType === 'Group' && i.groupIds.includes(a.principalId)) : undefined;
  if (i.sp.appRoleAssignmentRequired && !direct && !viaGroup) {
    out.push(finding('SAML_ENTRA_USER_NOT_ASSIGNED', `${u.userPrincipalName} is not assigned to "${i.sp.displayName}" (assignment is required${nested ? `; only through the nested group ${nested.principalDisplayName}, which Entra does not count` : ''}): Entra answers AADSTS50105 and never posts to Fleet.`,
      { ...ev, assignmentRequired: true, assignedDirectly: false, assignedGroups: i.assignments.filter((a) => a.principalType === 'Group').map((a) => a.principalId) }));
  }
  const nameId = u.userPrincipalName;
  const entraOk = !out.some((f) => f.severity === 'error');
  if (entraOk) {
    out.push(finding('SAML_ENTRA_USER_CAN_SIGN_IN', `Entra lets ${u.userPrincipalName} sign in to "${i.sp.displayName}" (${!i.sp.appRoleAssignmentRequired ? 'assignment not required' : direct ? 'assigned directly' : `assigned through group ${viaGroup!.principalDisplayName}`}); the NameID will be "${nameId}" (source user.userprincipalname, Entra's default).`,
      { ...ev, nameId, nameIdSource: 'user.userprincipalname', assignedDirectly: direct, viaGroup: viaGroup?.principalId ?? null }));
  }
  if (i.fleetUsers) {
    const find = (e: string) => i.fleetUsers!.find((f) => f.email.toLowerCase() === e.toLowerCase());
    const fu = find(nameId);
    if (!fu) {
      const byMail = u.mail ? find(u.mail) : undefined;
      if (byMail) out.push(finding('SAML_ENTRA_NAMEID_NOT_FLEET_EMAIL', `Entra will send NameID "${nameId}" (the UPN) but Fleet's user is "${byMail.email}" (the user's mail).`, { ...ev, nameId, mail: u.mail, fleetEmail: byMail.email }));
      if (i.fleet.jit && i.fleet.premium) {
        out.push(finding('SAML_FLEET_JIT_INFO', `Fleet has no user "${nameId}"; JIT provisioning is on (Premium), so the first login creates one with the roles the FLEET_JIT_USER_ROLE_* attributes give.`, { nameId, jit: true }));
      } else {
        out.push(finding('SAML_FLEET_ACCOUNT_INVALID', `Fleet has no user with the email "${nameId}"${i.fleet.jit ? ' (JIT is on but the licence is not Premium)' : ''}: Fleet will answer status=account_invalid.`, { nameId, predicted: 'account_invalid' }));
      }
    } else if (!fu.ssoEnabled) {
      out.push(finding('SAML_FLEET_ACCOUNT_DISABLED', `Fleet's user "${fu.email}" exists but is not SSO-enabled: Fleet will answer status=account_disabled.`, { nameId, predicted: 'account_disabled' }));
    }
  }
  return out;
}
