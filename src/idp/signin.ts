// Turns (app, user, request context) into the EntraResponseSpec Entra would sign: NameID choice, claims, audience, lifetime.
import { randomBytes } from 'node:crypto';
import { claimValues, isAppId, nameIdFormatUri, nameIdValue, type AppConfig, type UserConfig } from './config.js';
import { audienceFor, NAMEID_FORMAT, pairwiseNameId, type EntraResponseSpec, type SigningKey } from './response.js';

export interface SignInContext {
  tenantId: string;
  app: AppConfig;
  user: UserConfig;
  /** the Identifier the request named (SP-initiated) or the app's first one (IdP-initiated) */
  identifier: string;
  /** the tenant's older-tenant quirk: `spn:` + every non-URI Identifier (IdpConfig.legacySpnAudience) */
  legacySpnAudience?: boolean;
  acsUrl: string;
  /** absent when IdP-initiated */
  inResponseTo?: string;
  requestedNameIdFormat?: string | null;
  now: Date;
  key: SigningKey;
}

/** The NameID Entra issues: the configured format wins unless it is "Default", then the request's NameIDPolicy decides. */
export function chooseNameId(app: AppConfig, user: UserConfig, identifier: string, requested: string | null | undefined): { value: string; format: string } {
  const source = nameIdValue(user, app.nameId.source);
  const pairwise = () => pairwiseNameId(user.objectId, identifier);
  const transient = () => randomBytes(32).toString('base64url');
  const fmt = app.nameId.format;
  if (fmt === 'Default' && requested) {
    if (requested === NAMEID_FORMAT.persistent || requested === NAMEID_FORMAT.unspecified) return { value: pairwise(), format: NAMEID_FORMAT.persistent };
    if (requested === NAMEID_FORMAT.transient) return { value: transient(), format: NAMEID_FORMAT.transient };
    return { value: source, format: NAMEID_FORMAT.emailAddress };
  }
  if (fmt === 'persistent') return { value: pairwise(), format: NAMEID_FORMAT.persistent };
  if (fmt === 'transient') return { value: transient(), format: NAMEID_FORMAT.transient };
  return { value: source, format: nameIdFormatUri(fmt) };
}

export function responseSpecFor(c: SignInContext): EntraResponseSpec {
  const nameId = chooseNameId(c.app, c.user, c.identifier, c.requestedNameIdFormat);
  return {
    tenantId: c.tenantId,
    acsUrl: c.acsUrl,
    audience: audienceFor(c.identifier, { namedByAppId: isAppId(c.app, c.identifier), legacySpnAudience: c.legacySpnAudience }),
    inResponseTo: c.inResponseTo,
    now: c.now,
    nameId: nameId.value || null,
    nameIdFormat: nameId.format,
    objectId: c.user.objectId,
    displayName: c.user.displayName,
    attributes: c.app.claims.map((cl) => ({ name: cl.name, values: claimValues(c.user, cl) })),
    signing: c.app.signing,
    algorithm: c.app.algorithm,
    key: c.key,
    lifetimeMinutes: c.app.tokenLifetimeMinutes,
  };
}
