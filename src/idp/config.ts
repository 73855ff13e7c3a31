// The mock IdP's JSON configuration: schema, validation that reports every problem at once, and lookups.
import { NAMEID_FORMAT, type SigningAlgorithm, type SigningOption } from './response.js';
import { parseFault, type FaultRequest } from './faults.js';

export type NameIdSource = 'user.userprincipalname' | 'user.mail' | 'user.objectid';
export type NameIdFormatName = 'Default' | 'emailAddress' | 'persistent' | 'unspecified' | 'transient' | 'WindowsDomainQualifiedName';

export interface ClaimConfig {
  /** the Attribute Name (a claim URI, or e.g. FLEET_JIT_USER_ROLE_GLOBAL) */
  name: string;
  /** user.userprincipalname | user.mail | user.displayname | user.givenname | user.surname | user.objectid | user.groups | user.extension_<key> */
  source?: string;
  /** a constant value (instead of source) */
  value?: string | string[];
}

export interface ReplyUrl {
  url: string;
  default: boolean;
}

export interface AppConfig {
  /** display name on pages */
  name: string;
  /** the application (client) ID; used for spn: audiences */
  appId: string;
  /** Identifier (Entity ID) values; the AuthnRequest Issuer must be one of them */
  identifiers: string[];
  /** exactly one is the default */
  replyUrls: ReplyUrl[];
  signing: SigningOption;
  algorithm: SigningAlgorithm;
  nameId: { source: NameIdSource; format: NameIdFormatName };
  /** configured claims, after Entra's built-in ones */
  claims: ClaimConfig[];
  assignmentRequired: boolean;
  /** UPNs of the assigned users */
  assignedUsers: string[];
  /** object IDs of the assigned groups (direct members count, nested groups do not, as in Entra) */
  assignedGroups: string[];
  /** servicePrincipal.notificationEmailAddresses (cert expiry mails) */
  notificationEmails: string[];
  /** servicePrincipal.preferredSingleSignOnMode (default saml) */
  ssoMode: 'saml' | 'oidc' | 'password' | 'notSupported';
  tokenLifetimeMinutes: number;
  /** a fault applied to every login of this app (`name` or `name:N`) */
  fault: FaultRequest | null;
}

export interface UserConfig {
  upn: string;
  mail: string;
  displayName: string;
  givenName: string;
  surname: string;
  objectId: string;
  groups: string[];
  /** directory extension attributes, read by claims with source user.extension_<key> */
  extensions: Record<string, string | string[]>;
  /** user.accountEnabled (default true); a disabled user cannot sign in (AADSTS50057) */
  accountEnabled: boolean;
}

export interface IdpConfig {
  tenantId: string;
  /**
   * The older-tenant quirk (ENTRA.md): Audience = "spn:" + the Identifier whenever the Identifier is not a URI.
   * Off by default: Entra returns the Identifier as it is (the seed guide's `fleet` signs in), and prefixes `spn:`
   * only when the request's Issuer is the app ID GUID.
   */
  legacySpnAudience: boolean;
  apps: AppConfig[];
  users: UserConfig[];
}

export type ConfigResult = { ok: true; config: IdpConfig } | { ok: false; problems: string[] };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAMEID_SOURCES: NameIdSource[] = ['user.userprincipalname', 'user.mail', 'user.objectid'];
const NAMEID_FORMATS: NameIdFormatName[] = ['Default', 'emailAddress', 'persistent', 'unspecified', 'transient', 'WindowsDomainQualifiedName'];
const CLAIM_SOURCES = ['user.userprincipalname', 'user.mail', 'user.displayname', 'user.givenname', 'user.surname', 'user.objectid', 'user.groups'];
export const DEFAULT_TENANT_ID = '8e7a4f2c-0b1d-4c3e-9f5a-6d2b1c0e9a77';

/** The format URI for a configured format; 'Default' answers with emailAddress unless the request names a format. */
export function nameIdFormatUri(f: NameIdFormatName): string {
  if (f === 'Default') return NAMEID_FORMAT.emailAddress;
  return f === 'WindowsDomainQualifiedName' ? NAMEID_FORMAT.windowsDomain : NAMEID_FORMAT[f];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function httpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Validates a parsed JSON value; every problem is reported, each with its JSON path. */
export function validateConfig(raw: unknown): ConfigResult {
  const p: string[] = [];
  if (!isObj(raw)) return { ok: false, problems: ['(root): expected a JSON object with "apps" and "users"'] };
  for (const k of Object.keys(raw)) if (!['tenantId', 'legacySpnAudience', 'apps', 'users', '$comment'].includes(k)) p.push(`${k}: unknown key`);
  const tenantId = raw.tenantId === undefined ? DEFAULT_TENANT_ID : raw.tenantId;
  if (typeof tenantId !== 'string' || !GUID.test(tenantId)) p.push('tenantId: expected a GUID');
  const legacySpnAudience = raw.legacySpnAudience === undefined ? false : raw.legacySpnAudience;
  if (typeof legacySpnAudience !== 'boolean') p.push('legacySpnAudience: expected true or false');

  const str = (o: Obj, k: string, path: string, opts: { required?: boolean; dflt?: string } = {}): string => {
    const v = o[k];
    if (v === undefined) {
      if (opts.required) p.push(`${path}.${k}: required`);
      return opts.dflt ?? '';
    }
    if (typeof v !== 'string') { p.push(`${path}.${k}: expected a string`); return opts.dflt ?? ''; }
    return v;
  };
  const strList = (o: Obj, k: string, path: string): string[] => {
    const v = o[k];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) { p.push(`${path}.${k}: expected an array of strings`); return []; }
    return v as string[];
  };

  const users: UserConfig[] = [];
  if (!Array.isArray(raw.users)) p.push('users: expected an array');
  else raw.users.forEach((u, i) => {
    const path = `users[${i}]`;
    if (!isObj(u)) { p.push(`${path}: expected an object`); return; }
    for (const k of Object.keys(u)) if (!['upn', 'mail', 'displayName', 'givenName', 'surname', 'objectId', 'groups', 'extensions', 'accountEnabled'].includes(k)) p.push(`${path}.${k}: unknown key`);
    const upn = str(u, 'upn', path, { required: true });
    if (upn && !/^[^@\s]+@[^@\s]+$/.test(upn)) p.push(`${path}.upn: expected user@domain`);
    const objectId = str(u, 'objectId', path, { required: true });
    if (objectId && !GUID.test(objectId)) p.push(`${path}.objectId: expected a GUID`);
    const extensions: Record<string, string | string[]> = {};
    if (u.extensions !== undefined) {
      if (!isObj(u.extensions)) p.push(`${path}.extensions: expected an object of strings or string arrays`);
      else for (const [k, v] of Object.entries(u.extensions)) {
        if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) extensions[k] = v as string | string[];
        else p.push(`${path}.extensions.${k}: expected a string or an array of strings`);
      }
    }
    if (u.accountEnabled !== undefined && typeof u.accountEnabled !== 'boolean') p.push(`${path}.accountEnabled: expected true or false`);
    users.push({
      upn, objectId, extensions, accountEnabled: u.accountEnabled !== false,
      mail: str(u, 'mail', path), displayName: str(u, 'displayName', path), givenName: str(u, 'givenName', path),
      surname: str(u, 'surname', path), groups: strList(u, 'groups', path),
    });
  });
  const upns = new Set<string>();
  users.forEach((u, i) => {
    const key = u.upn.toLowerCase();
    if (u.upn && upns.has(key)) p.push(`users[${i}].upn: "${u.upn}" appears twice`);
    upns.add(key);
  });

  const apps: AppConfig[] = [];
  if (!Array.isArray(raw.apps) || raw.apps.length === 0) p.push('apps: expected a non-empty array');
  else raw.apps.forEach((a, i) => {
    const path = `apps[${i}]`;
    if (!isObj(a)) { p.push(`${path}: expected an object`); return; }
    const known = ['name', 'appId', 'identifiers', 'replyUrls', 'signing', 'algorithm', 'nameId', 'claims', 'assignmentRequired', 'assignedUsers', 'assignedGroups', 'notificationEmails', 'ssoMode', 'tokenLifetimeMinutes', 'fault'];
    for (const k of Object.keys(a)) if (!known.includes(k)) p.push(`${path}.${k}: unknown key`);
    const identifiers = strList(a, 'identifiers', path);
    if (identifiers.length === 0) p.push(`${path}.identifiers: at least one Identifier (Entity ID) is required`);
    const appId = str(a, 'appId', path, { dflt: '3f5b8a52-2f7d-4d8e-9c1b-6a0e4b7c9d00' });
    if (!GUID.test(appId)) p.push(`${path}.appId: expected a GUID`);

    const replyUrls: ReplyUrl[] = [];
    if (!Array.isArray(a.replyUrls) || a.replyUrls.length === 0) p.push(`${path}.replyUrls: at least one reply URL is required`);
    else a.replyUrls.forEach((r, j) => {
      const rp = `${path}.replyUrls[${j}]`;
      const url = typeof r === 'string' ? r : isObj(r) && typeof r.url === 'string' ? r.url : undefined;
      const dflt = isObj(r) ? r.default : undefined;
      if (url === undefined) { p.push(`${rp}: expected a URL string or { "url": ..., "default": true }`); return; }
      if (!httpUrl(url)) p.push(`${rp}: not an http(s) URL: "${url}"`);
      if (dflt !== undefined && typeof dflt !== 'boolean') p.push(`${rp}.default: expected true or false`);
      replyUrls.push({ url, default: dflt === true });
    });
    const defaults = replyUrls.filter((r) => r.default).length;
    if (defaults > 1) p.push(`${path}.replyUrls: ${defaults} reply URLs are marked default; exactly one may be`);
    if (defaults === 0 && replyUrls.length > 0) replyUrls[0].default = true;

    const signing = str(a, 'signing', path, { dflt: 'assertion' }) as SigningOption;
    if (!['assertion', 'response', 'both'].includes(signing)) p.push(`${path}.signing: expected "assertion", "response" or "both"`);
    const algorithm = str(a, 'algorithm', path, { dflt: 'sha256' }) as SigningAlgorithm;
    if (!['sha256', 'sha1'].includes(algorithm)) p.push(`${path}.algorithm: expected "sha256" or "sha1"`);

    let nameId: AppConfig['nameId'] = { source: 'user.userprincipalname', format: 'emailAddress' };
    if (a.nameId !== undefined) {
      if (!isObj(a.nameId)) p.push(`${path}.nameId: expected { "source": ..., "format": ... }`);
      else {
        const source = str(a.nameId, 'source', `${path}.nameId`, { dflt: nameId.source }) as NameIdSource;
        const format = str(a.nameId, 'format', `${path}.nameId`, { dflt: nameId.format }) as NameIdFormatName;
        if (!NAMEID_SOURCES.includes(source)) p.push(`${path}.nameId.source: expected one of ${NAMEID_SOURCES.join(', ')}`);
        if (!NAMEID_FORMATS.includes(format)) p.push(`${path}.nameId.format: expected one of ${NAMEID_FORMATS.join(', ')}`);
        nameId = { source, format };
      }
    }

    const claims: ClaimConfig[] = [];
    if (a.claims !== undefined && !Array.isArray(a.claims)) p.push(`${path}.claims: expected an array`);
    else (a.claims as unknown[] | undefined ?? []).forEach((c, j) => {
      const cp = `${path}.claims[${j}]`;
      if (!isObj(c)) { p.push(`${cp}: expected an object`); return; }
      const name = str(c, 'name', cp, { required: true });
      const source = c.source;
      const value = c.value;
      if ((source === undefined) === (value === undefined)) { p.push(`${cp}: needs exactly one of "source" or "value"`); return; }
      if (source !== undefined) {
        if (typeof source !== 'string' || !(CLAIM_SOURCES.includes(source) || /^user\.extension_[A-Za-z0-9_]+$/.test(source))) {
          p.push(`${cp}.source: expected one of ${CLAIM_SOURCES.join(', ')} or user.extension_<key>`);
          return;
        }
        claims.push({ name, source });
      } else {
        if (!(typeof value === 'string' || (Array.isArray(value) && value.every((x) => typeof x === 'string')))) { p.push(`${cp}.value: expected a string or an array of strings`); return; }
        claims.push({ name, value: value as string | string[] });
      }
    });

    const assignmentRequired = a.assignmentRequired === undefined ? false : a.assignmentRequired;
    if (typeof assignmentRequired !== 'boolean') p.push(`${path}.assignmentRequired: expected true or false`);
    const assignedUsers = strList(a, 'assignedUsers', path);
    assignedUsers.forEach((u, j) => { if (!upns.has(u.toLowerCase())) p.push(`${path}.assignedUsers[${j}]: "${u}" is not one of the users`); });
    const assignedGroups = strList(a, 'assignedGroups', path);
    assignedGroups.forEach((g, j) => { if (!GUID.test(g)) p.push(`${path}.assignedGroups[${j}]: expected a group object ID (GUID)`); });
    const notificationEmails = strList(a, 'notificationEmails', path);
    const ssoMode = str(a, 'ssoMode', path, { dflt: 'saml' }) as AppConfig['ssoMode'];
    if (!['saml', 'oidc', 'password', 'notSupported'].includes(ssoMode)) p.push(`${path}.ssoMode: expected "saml", "oidc", "password" or "notSupported"`);
    const lifetime = a.tokenLifetimeMinutes === undefined ? 60 : a.tokenLifetimeMinutes;
    if (typeof lifetime !== 'number' || !Number.isInteger(lifetime) || lifetime < 10 || lifetime > 1440) p.push(`${path}.tokenLifetimeMinutes: expected a whole number from 10 to 1440`);
    let fault: FaultRequest | null = null;
    if (a.fault !== undefined && a.fault !== null) {
      if (typeof a.fault !== 'string') p.push(`${path}.fault: expected a fault name`);
      else {
        const f = parseFault(a.fault);
        if ('error' in f) p.push(`${path}.fault: ${f.error}`); else fault = f;
      }
    }
    apps.push({
      name: str(a, 'name', path, { dflt: identifiers[0] ?? `app ${i}` }), appId, identifiers, replyUrls, signing, algorithm, nameId, claims,
      assignmentRequired: assignmentRequired === true, assignedUsers, assignedGroups, notificationEmails, ssoMode, tokenLifetimeMinutes: typeof lifetime === 'number' ? lifetime : 60, fault,
    });
  });
  const seen = new Map<string, number>();
  apps.forEach((a, i) => a.identifiers.forEach((id) => {
    if (seen.has(id)) p.push(`apps[${i}].identifiers: "${id}" is already an Identifier of apps[${seen.get(id)}] (Entra requires them unique per tenant)`);
    else seen.set(id, i);
  }));
  if (p.length > 0) return { ok: false, problems: p };
  return { ok: true, config: { tenantId: tenantId as string, legacySpnAudience: legacySpnAudience === true, apps, users } };
}

/** Parses and validates JSON text. */
export function parseConfig(text: string): ConfigResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, problems: [`(file): not valid JSON: ${(e as Error).message}`] };
  }
  return validateConfig(raw);
}

/** A copy with extra reply URLs added to one app (by Identifier) or to every app; the default stays as it was. */
export function withExtraReplyUrls(config: IdpConfig, urls: string[], identifier?: string): IdpConfig {
  return {
    ...config,
    apps: config.apps.map((a) => {
      if (identifier !== undefined && !a.identifiers.includes(identifier)) return a;
      const have = new Set(a.replyUrls.map((r) => r.url));
      return { ...a, replyUrls: [...a.replyUrls, ...urls.filter((u) => !have.has(u)).map((url) => ({ url, default: false }))] };
    }),
  };
}

/** A copy where the given URL becomes the app's default reply URL (added when missing). */
export function withDefaultReplyUrl(config: IdpConfig, url: string, identifier?: string): IdpConfig {
  return {
    ...config,
    apps: config.apps.map((a) => {
      if (identifier !== undefined && !a.identifiers.includes(identifier)) return a;
      const rest = a.replyUrls.filter((r) => r.url !== url).map((r) => ({ ...r, default: false }));
      return { ...a, replyUrls: [{ url, default: true }, ...rest] };
    }),
  };
}

/** The app a request's Issuer names: one of its Identifiers, or its application (client) ID. */
export function findAppByIdentifier(config: IdpConfig, identifier: string): AppConfig | undefined {
  return config.apps.find((a) => a.identifiers.includes(identifier)) ?? config.apps.find((a) => isAppId(a, identifier));
}

/** Whether a request's Issuer is the app's application (client) ID GUID rather than one of its Identifiers. */
export function isAppId(app: AppConfig, issuer: string): boolean {
  return GUID.test(issuer) && issuer.toLowerCase() === app.appId.toLowerCase();
}

export function findUser(config: IdpConfig, upn: string): UserConfig | undefined {
  const k = upn.toLowerCase();
  return config.users.find((u) => u.upn.toLowerCase() === k);
}

export function defaultReplyUrl(app: AppConfig): string {
  return (app.replyUrls.find((r) => r.default) ?? app.replyUrls[0]).url;
}

export function isAssigned(app: AppConfig, user: UserConfig): boolean {
  return !app.assignmentRequired || app.assignedUsers.some((u) => u.toLowerCase() === user.upn.toLowerCase())
    || app.assignedGroups.some((g) => user.groups.some((ug) => ug.toLowerCase() === g.toLowerCase()));
}

/** The value of a claim source for a user; [] when empty (Entra then omits the claim). */
export function claimValues(user: UserConfig, claim: ClaimConfig): string[] {
  if (claim.value !== undefined) return Array.isArray(claim.value) ? claim.value : [claim.value];
  const s = claim.source ?? '';
  const one = (v: string) => (v ? [v] : []);
  switch (s) {
    case 'user.userprincipalname': return one(user.upn);
    case 'user.mail': return one(user.mail);
    case 'user.displayname': return one(user.displayName);
    case 'user.givenname': return one(user.givenName);
    case 'user.surname': return one(user.surname);
    case 'user.objectid': return one(user.objectId);
    case 'user.groups': return user.groups;
  }
  const ext = /^user\.extension_(.+)$/.exec(s);
  if (ext) {
    const v = user.extensions[ext[1]];
    return v === undefined ? [] : Array.isArray(v) ? v : one(v);
  }
  return [];
}

/** The NameID value from the configured source ('' when empty). */
export function nameIdValue(user: UserConfig, source: NameIdSource): string {
  return source === 'user.mail' ? user.mail : source === 'user.objectid' ? user.objectId : user.upn;
}
