// `samlscope fleet-sim`: runs the Fleet stand-in (SSO routes, agent-like traffic) until stopped; for tests and the demo, not Fleet.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { OptionReader, type CommandDef } from './options.js';
import { startFleetSim, type FleetSimOptions, type FleetSimUser } from '../fleet-sim/server.js';

/** "alice@x:sso,bob@x:nosso" → users; a bare email is SSO-enabled. */
export function parseUsers(items: string[], problems: string[]): FleetSimUser[] {
  const users: FleetSimUser[] = [];
  for (const item of items) {
    const m = /^([^:\s]+@[^:\s]+)(?::(sso|nosso))?$/.exec(item);
    if (!m) { problems.push(`--users: expected EMAIL[:sso|:nosso], got "${item}"`); continue; }
    users.push({ email: m[1], ssoEnabled: m[2] !== 'nosso' });
  }
  return users;
}

export const fleetSimCommand: CommandDef = {
  name: 'fleet-sim',
  summary: 'run a Fleet stand-in (SSO routes, osquery-like traffic) for tests and the demo: not Fleet',
  usage: 'samlscope fleet-sim [--listen 127.0.0.1:8080] [--server-url URL] [--metadata FILE|URL] [--entity-id fleet] [--users alice@x:sso,bob@x:nosso] [--allow-idp-initiated] [--jit] [--api-token T]',
  options: {
    listen: { type: 'string', value: 'HOST:PORT', description: 'where to listen', default: '127.0.0.1:8080' },
    'server-url': { type: 'string', value: 'URL', description: "Fleet's server_url: the public URL browsers use (default: the listen URL)" },
    'url-prefix': { type: 'string', value: 'PATH', description: "Fleet's server.url_prefix, e.g. /fleet" },
    metadata: { type: 'string', value: 'FILE|URL', description: 'IdP metadata: a file (sso_settings.metadata) or a URL fetched on every login (metadata_url)' },
    'entity-id': { type: 'string', value: 'ID', description: 'sso_settings.entity_id', default: 'fleet' },
    'idp-name': { type: 'string', value: 'NAME', description: 'sso_settings.idp_name', default: 'Microsoft Entra ID' },
    users: { type: 'string', value: 'LIST', multiple: true, description: 'Fleet users, EMAIL[:sso|:nosso], comma-separated', default: 'alice@contoso.example:sso' },
    'allow-idp-initiated': { type: 'boolean', description: 'sso_settings.enable_sso_idp_login' },
    jit: { type: 'boolean', description: 'answer as Fleet Premium with JIT provisioning: a first login creates the user from FLEET_JIT_USER_ROLE_GLOBAL / _FLEET_<id> / _TEAM_<id>' },
    'disable-sso': { type: 'boolean', description: 'sso_settings.enable_sso off (logins end in org_disabled)' },
    'api-token': { type: 'string', value: 'TOKEN', description: 'API token for GET /api/v1/fleet/config (default: a random one, printed)' },
    'tls-cert': { type: 'string', value: 'FILE', description: 'serve HTTPS with this certificate (PEM)' },
    'tls-key': { type: 'string', value: 'FILE', description: 'and this key (PEM)' },
    'session-ttl': { type: 'string', value: 'SECONDS', description: 'auth.sso_session_validity_period', default: '900' },
  },
  async run(args, io) {
    const o = new OptionReader(args);
    const listen = o.listen('listen') ?? { host: '127.0.0.1', port: 8080 };
    const serverUrl = o.url('server-url');
    const prefix = o.str('url-prefix') ?? '';
    if (prefix && !/^\/[^\s?#]*[^/\s?#]$/.test(prefix)) o.problems.push(`--url-prefix: expected a path like /fleet, got "${prefix}"`);
    const users = parseUsers(o.list('users'), o.problems);
    const ttl = o.int('session-ttl', 1, 86_400) ?? 900;
    const opts: FleetSimOptions = {
      host: listen.host, port: listen.port, serverUrl: serverUrl?.toString(), urlPrefix: prefix,
      entityId: o.str('entity-id') ?? 'fleet', idpName: o.str('idp-name'), users, sessionTtlSeconds: ttl,
      allowIdpInitiated: o.bool('allow-idp-initiated'), enableSso: !o.bool('disable-sso'), jit: o.bool('jit'),
      apiToken: o.str('api-token') ?? randomBytes(18).toString('base64url'),
    };
    const metadata = o.str('metadata');
    if (metadata && /^https?:\/\//i.test(metadata)) opts.metadataUrl = metadata;
    else if (metadata) opts.metadataXml = o.file('metadata', 'utf8');
    opts.tls = o.keyPair('tls-cert', 'tls-key');
    o.check();
    const log = pino({ name: 'samlscope-fleet-sim' }, pino.destination({ dest: 2, sync: true }));
    const sim = await startFleetSim({ ...opts, logger: { info: (obj, msg) => log.info(obj, msg), warn: (obj, msg) => log.warn(obj, msg) } });
    io.stdout([
      '*** fleet-sim: a Fleet stand-in for tests, not Fleet ***',
      `Listening:      ${sim.url}`,
      `server_url:     ${sim.serverUrl()}`,
      `ACS URL:        ${sim.acsUrl()}   (Entra: Reply URL)`,
      `Entity ID:      ${opts.entityId}   (Entra: Identifier)`,
      `Metadata:       ${opts.metadataUrl ?? (opts.metadataXml ? metadata : 'none: logins fail until --metadata is given')}`,
      `IdP-initiated:  ${opts.allowIdpInitiated ? 'allowed' : 'refused'}`,
      `Users:          ${users.map((u) => `${u.email}${u.ssoEnabled ? '' : ' (SSO off)'}`).join(', ') || '(none)'}`,
      `API token:      ${opts.apiToken}   (GET ${sim.url}${prefix}/api/v1/fleet/config)`,
      '',
    ].join('\n'));
    await io.stopSignal;
    await sim.close();
    return 0;
  },
};
