// Preflight's Entra half: find the Fleet enterprise app in Graph, read it (and one user), and turn it into findings; Fleet's users read through its API.
import { request, type Dispatcher } from 'undici';
import { GraphClient, GraphError, type GraphClientOptions } from '../entra/graph-client.js';
import {
  applicationByAppId, applicationByIdentifier, assignments, groupIds, samlServicePrincipals, servicePrincipalByAppId, userByMail, userByUpn,
  type GraphServicePrincipal,
} from '../entra/reads.js';
import { finding, type Finding } from '../saml/findings.js';
import { entraAppFindings, entraUserFindings, type FleetUser } from './entra-checks.js';

/** Fleet users whose email is compared with Entra's UPNs (one or two Graph reads each). */
const NAMEID_SAMPLE = 50;

export interface EntraPreflightOptions {
  graph: GraphClientOptions;
  /** the Fleet enterprise app's Application ID; else ?appid= of Fleet's metadata_url, else the app with Fleet's entity ID, else the only SAML app */
  appId?: string;
  /** --user: can this person sign in? */
  user?: string;
}

export interface EntraPreflightContext {
  entityId: string;
  acsUrl: string | null;
  metadataUrl: string;
  metadataThumbprints: string[] | null;
  fleetUsers: FleetUser[] | null;
  fleet: { jit: boolean; premium: boolean };
  now: Date;
}

export interface EntraPreflightPart {
  findings: Finding[];
  summary: {
    tenantId: string;
    app: { appId: string; servicePrincipalId: string; displayName: string; found: 'option' | 'metadata_url' | 'identifier' | 'only_saml_app' } | null;
    user: { upn: string; id: string; accountEnabled: boolean } | null;
  };
}

/** The appid of an app federation metadata URL (…/federationmetadata.xml?appid=…), if any. */
export function appIdFromMetadataUrl(url: string): string | null {
  try {
    return new URL(url).searchParams.get('appid');
  } catch {
    return null;
  }
}

/** A Graph failure as a finding; token refusal is not one (preflight cannot check Entra: the caller exits 2). */
export function graphFailureFinding(e: GraphError): Finding {
  if (e.kind === 'permission_missing') {
    return finding('SAML_ENTRA_PERMISSION_MISSING', `${e.message}.`, { path: e.detail.path, status: e.detail.status, code: e.detail.code, permission: e.detail.permission });
  }
  if (e.kind === 'license_required') return finding('SAML_ENTRA_LICENSE_REQUIRED', e.message, { path: e.detail.path, code: e.detail.code });
  return finding('SAML_ENTRA_GRAPH_UNAVAILABLE', e.message, { kind: e.kind, path: e.detail.path, status: e.detail.status });
}

async function resolveApp(g: GraphClient, o: EntraPreflightOptions, c: EntraPreflightContext): Promise<{ sp: GraphServicePrincipal; found: NonNullable<EntraPreflightPart['summary']['app']>['found'] } | null> {
  const fromUrl = appIdFromMetadataUrl(c.metadataUrl);
  const byId = o.appId ?? fromUrl;
  if (byId) {
    const sp = await servicePrincipalByAppId(g, byId);
    return sp ? { sp, found: o.appId ? 'option' : 'metadata_url' } : null;
  }
  const app = c.entityId ? await applicationByIdentifier(g, c.entityId) : null;
  if (app) {
    const sp = await servicePrincipalByAppId(g, app.appId);
    if (sp) return { sp, found: 'identifier' };
  }
  const saml = await samlServicePrincipals(g);
  return saml.length === 1 ? { sp: saml[0], found: 'only_saml_app' } : null;
}

/** Reads Entra's half and checks it; throws GraphError('auth_failed') when no token could be had. */
export async function entraPreflight(o: EntraPreflightOptions, c: EntraPreflightContext): Promise<EntraPreflightPart> {
  const g = new GraphClient(o.graph);
  const summary: EntraPreflightPart['summary'] = { tenantId: o.graph.tenantId, app: null, user: null };
  const findings: Finding[] = [];
  try {
    let resolved;
    try {
      resolved = await resolveApp(g, o, c);
    } catch (e) {
      if (e instanceof GraphError && e.kind !== 'auth_failed') return { findings: [graphFailureFinding(e)], summary };
      throw e;
    }
    if (!resolved) {
      findings.push(finding('SAML_ENTRA_APP_NOT_FOUND', `No enterprise app found for Fleet${o.appId ? ` with Application ID ${o.appId}` : ` (entity ID "${c.entityId}" is no app's Identifier, and the tenant has not exactly one SAML app)`}.`, { appId: o.appId ?? null, entityId: c.entityId }));
      return { findings, summary };
    }
    const { sp, found } = resolved;
    summary.app = { appId: sp.appId, servicePrincipalId: sp.id, displayName: sp.displayName, found };
    try {
      const app = await applicationByAppId(g, sp.appId);
      findings.push(...entraAppFindings({ sp, app }, { entityId: c.entityId, acsUrl: c.acsUrl, metadataThumbprints: c.metadataThumbprints, now: c.now }));
    } catch (e) {
      if (!(e instanceof GraphError) || e.kind === 'auth_failed') throw e;
      findings.push(graphFailureFinding(e));
    }
    if (c.fleetUsers && c.fleetUsers.length > 0) {
      // NameID source (Entra's default: the UPN) against Fleet's users: a Fleet email that is a user's mail but not their UPN
      try {
        const sample = c.fleetUsers.filter((u) => u.ssoEnabled).slice(0, NAMEID_SAMPLE);
        for (const fu of sample) {
          if (o.user && fu.email.toLowerCase() === o.user.toLowerCase()) continue; // --user reports it itself
          if (await userByUpn(g, fu.email)) continue;
          const byMail = await userByMail(g, fu.email);
          if (byMail) {
            findings.push(finding('SAML_ENTRA_NAMEID_NOT_FLEET_EMAIL', `Fleet's user "${fu.email}" is the mail of Entra user ${byMail.userPrincipalName}, whose UPN Entra sends as NameID by default: that login ends in account_invalid.`,
              { fleetEmail: fu.email, userPrincipalName: byMail.userPrincipalName, nameIdSource: 'user.userprincipalname', checkedFleetUsers: sample.length }));
          }
        }
      } catch (e) {
        if (!(e instanceof GraphError) || e.kind === 'auth_failed') throw e;
        findings.push(graphFailureFinding(e));
      }
    }
    if (o.user) {
      try {
        const user = (await userByUpn(g, o.user)) ?? (await userByMail(g, o.user));
        if (user) summary.user = { upn: user.userPrincipalName, id: user.id, accountEnabled: user.accountEnabled };
        const as = user ? await assignments(g, sp.id) : [];
        const direct = user ? await groupIds(g, user.id, 'memberOf') : [];
        const transitive = user ? await groupIds(g, user.id, 'transitiveMemberOf') : [];
        findings.push(...entraUserFindings({ email: o.user, user, sp, assignments: as, groupIds: transitive, directGroupIds: direct, fleetUsers: c.fleetUsers, fleet: c.fleet }));
      } catch (e) {
        if (!(e instanceof GraphError) || e.kind === 'auth_failed') throw e;
        findings.push(graphFailureFinding(e));
      }
    }
    // one permission finding per missing permission
    const seen = new Set<string>();
    return { findings: findings.filter((f) => f.code !== 'SAML_ENTRA_PERMISSION_MISSING' || (!seen.has(String(f.evidence?.permission)) && seen.add(String(f.evidence?.permission)))), summary };
  } finally {
    await g.close();
  }
}

/** Fleet's users through GET /api/v1/fleet/users (page / per_page), as a global admin's token sees them; null when Fleet refuses. */
export async function fetchFleetUsers(fleetUrl: string, apiToken: string, dispatcher: Dispatcher): Promise<FleetUser[] | null> {
  const out: FleetUser[] = [];
  const perPage = 500;
  for (let page = 0; page < 200; page++) {
    const url = `${fleetUrl.replace(/\/+$/, '')}/api/v1/fleet/users?page=${page}&per_page=${perPage}&order_key=email`;
    const res = await request(url, { dispatcher, headers: { authorization: `Bearer ${apiToken}`, accept: 'application/json', 'user-agent': 'samlscope-preflight' } });
    if (res.statusCode !== 200) { await res.body.dump(); return null; }
    const json = await res.body.json() as { users?: unknown[] };
    const users = Array.isArray(json.users) ? json.users : [];
    for (const u of users) {
      const o = (u ?? {}) as Record<string, unknown>;
      if (typeof o.email !== 'string') continue;
      out.push({ email: o.email, ssoEnabled: o.sso_enabled === true, name: typeof o.name === 'string' ? o.name : '', globalRole: typeof o.global_role === 'string' ? o.global_role : null });
    }
    if (users.length < perPage) break;
  }
  return out;
}
