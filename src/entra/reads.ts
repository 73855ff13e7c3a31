// What samlscope reads from Graph v1.0 about the Fleet enterprise app, its users and its sign-ins (each read with $select).
import { GraphClient, odataString } from './graph-client.js';

export interface GraphKeyCredential {
  customKeyIdentifier: string | null;
  displayName: string | null;
  endDateTime: string;
  startDateTime: string;
  keyId: string;
  type: string;
  usage: string;
}

export interface GraphServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  appRoleAssignmentRequired: boolean;
  preferredSingleSignOnMode: string | null;
  preferredTokenSigningKeyThumbprint: string | null;
  keyCredentials: GraphKeyCredential[];
  notificationEmailAddresses: string[];
  samlSingleSignOnSettings: { relayState: string | null } | null;
  accountEnabled?: boolean;
}

export interface GraphApplication {
  id: string;
  appId: string;
  displayName: string;
  identifierUris: string[];
  web: { redirectUris: string[]; homePageUrl: string | null; logoutUrl: string | null } | null;
}

export interface GraphAppRoleAssignment {
  id: string;
  principalId: string;
  principalType: 'User' | 'Group' | 'ServicePrincipal';
  principalDisplayName: string;
  resourceId: string;
  appRoleId: string;
}

export interface GraphUser {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  accountEnabled: boolean;
  displayName: string | null;
}

export interface GraphDirectoryObject { '@odata.type': string; id: string; displayName?: string }

export interface GraphSignIn {
  id: string;
  createdDateTime: string;
  userPrincipalName: string;
  userDisplayName: string | null;
  userId: string;
  appId: string;
  appDisplayName: string;
  ipAddress: string;
  correlationId: string;
  status: { errorCode: number; failureReason: string | null; additionalDetails: string | null };
}

const SP_SELECT = 'id,appId,displayName,appRoleAssignmentRequired,preferredSingleSignOnMode,preferredTokenSigningKeyThumbprint,keyCredentials,notificationEmailAddresses,samlSingleSignOnSettings,accountEnabled';
const APP_SELECT = 'id,appId,displayName,identifierUris,web';
const USER_SELECT = 'id,userPrincipalName,mail,accountEnabled,displayName';
const SIGNIN_SELECT = 'id,createdDateTime,userPrincipalName,userDisplayName,userId,appId,appDisplayName,ipAddress,correlationId,status';

export async function servicePrincipalByAppId(g: GraphClient, appId: string): Promise<GraphServicePrincipal | null> {
  const r = await g.list<GraphServicePrincipal>(`/servicePrincipals?$filter=${encodeURIComponent(`appId eq ${odataString(appId)}`)}&$select=${SP_SELECT}`);
  return r[0] ?? null;
}

export async function applicationByAppId(g: GraphClient, appId: string): Promise<GraphApplication | null> {
  const r = await g.list<GraphApplication>(`/applications?$filter=${encodeURIComponent(`appId eq ${odataString(appId)}`)}&$select=${APP_SELECT}`);
  return r[0] ?? null;
}

/** The application that has this Identifier (identifierUris), if any. */
export async function applicationByIdentifier(g: GraphClient, identifier: string): Promise<GraphApplication | null> {
  const r = await g.list<GraphApplication>(`/applications?$filter=${encodeURIComponent(`identifierUris/any(x:x eq ${odataString(identifier)})`)}&$select=${APP_SELECT}`);
  return r[0] ?? null;
}

/** The service principals set to SAML single sign-on. */
export async function samlServicePrincipals(g: GraphClient): Promise<GraphServicePrincipal[]> {
  return g.list<GraphServicePrincipal>(`/servicePrincipals?$filter=${encodeURIComponent("preferredSingleSignOnMode eq 'saml'")}&$select=${SP_SELECT}`);
}

export async function assignments(g: GraphClient, spId: string): Promise<GraphAppRoleAssignment[]> {
  return g.list<GraphAppRoleAssignment>(`/servicePrincipals/${encodeURIComponent(spId)}/appRoleAssignedTo?$select=id,principalId,principalType,principalDisplayName,resourceId,appRoleId`);
}

/** The user, or null when there is none with that UPN. */
export async function userByUpn(g: GraphClient, upn: string): Promise<GraphUser | null> {
  try {
    return await g.get<GraphUser>(`/users/${encodeURIComponent(upn)}?$select=${USER_SELECT}`);
  } catch (e) {
    if ((e as { kind?: string }).kind === 'not_found') return null;
    throw e;
  }
}

/** A user found by mail when the UPN differs (the NameID source question). */
export async function userByMail(g: GraphClient, mail: string): Promise<GraphUser | null> {
  const r = await g.list<GraphUser>(`/users?$filter=${encodeURIComponent(`mail eq ${odataString(mail)}`)}&$select=${USER_SELECT}`);
  return r[0] ?? null;
}

/** Group IDs of the user: `memberOf` (direct: what app assignment counts) or `transitiveMemberOf` (nested too). */
export async function groupIds(g: GraphClient, userId: string, rel: 'memberOf' | 'transitiveMemberOf'): Promise<string[]> {
  const r = await g.list<GraphDirectoryObject>(`/users/${encodeURIComponent(userId)}/${rel}?$select=id,displayName`);
  return r.filter((o) => o['@odata.type'] === '#microsoft.graph.group').map((o) => o.id);
}

export const transitiveGroupIds = (g: GraphClient, userId: string) => groupIds(g, userId, 'transitiveMemberOf');

/** The app's sign-ins from `since` on (newest first, as Graph returns them). */
export async function signInsSince(g: GraphClient, appId: string, since: Date): Promise<GraphSignIn[]> {
  const filter = `appId eq ${odataString(appId)} and createdDateTime ge ${since.toISOString()}`;
  return g.list<GraphSignIn>(`/auditLogs/signIns?$filter=${encodeURIComponent(filter)}&$select=${SIGNIN_SELECT}`);
}
