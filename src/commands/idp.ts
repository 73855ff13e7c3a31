// `samlscope idp`: runs the mock Entra ID on its own until stopped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { OptionReader, UsageError, type CommandDef } from './options.js';
import { parseConfig, type IdpConfig } from '../idp/config.js';
import { loadOrCreateStateKeys, loadTestKeys, repoCertsDir, type IdpKeys } from '../idp/keys.js';
import { startMockIdp } from '../idp/server.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const idpCommand: CommandDef = {
  name: 'idp',
  summary: 'run the MOCK Entra ID identity provider (tests and CI only)',
  usage: 'samlscope idp [--listen 127.0.0.1:8081] [--config FILE] [--tenant GUID] [--allow-remote] [--state-dir DIR] [--reply-url URL]...',
  options: {
    listen: { type: 'string', multiple: false, value: 'HOST:PORT', description: 'where to listen', default: '127.0.0.1:8081' },
    config: { type: 'string', multiple: false, value: 'FILE', description: 'JSON config (apps, users); default fixtures/idp/fleet.json' },
    tenant: { type: 'string', multiple: false, value: 'GUID', description: 'tenant ID (overrides the config)' },
    'allow-remote': { type: 'boolean', multiple: false, description: 'allow listening on a non-loopback address' },
    'state-dir': { type: 'string', multiple: false, value: 'DIR', description: 'keep Entra-like signing keys here, generated on first start (default: the TEST-ONLY keys in certs/)' },
    'reply-url': { type: 'string', value: 'URL', multiple: true, description: 'add a reply URL to every app (repeatable)' },
    'public-url': { type: 'string', multiple: false, value: 'URL', description: 'the URL peers reach the mock at, when not http://HOST:PORT' },
    'publish-rollover': { type: 'boolean', multiple: false, description: 'list the rollover cert in the metadata (Entra during a cert rollover)' },
  },
  async run(args, io) {
    const o = new OptionReader(args);
    const listen = o.listen('listen') ?? { host: '127.0.0.1', port: 8081 };
    const tenant = o.str('tenant');
    if (tenant !== undefined && !GUID.test(tenant)) o.problems.push(`--tenant: expected a GUID, got "${tenant}"`);
    const allowRemote = o.bool('allow-remote');
    if (!['127.0.0.1', '::1', 'localhost'].includes(listen.host) && !allowRemote) {
      o.problems.push(`--listen: ${listen.host} is not loopback; the MOCK IdP signs anything asked of it, add --allow-remote if you mean it`);
    }
    const replyUrls = o.list('reply-url');
    for (const u of replyUrls) if (!/^https?:\/\/[^\s]+$/.test(u)) o.problems.push(`--reply-url: not an http(s) URL: "${u}"`);
    const publicUrl = o.url('public-url');
    const configPath = o.str('config') ?? join(repoCertsDir(), '..', 'fixtures', 'idp', 'fleet.json');
    let config: IdpConfig | undefined;
    let text: string | undefined;
    try {
      text = readFileSync(configPath, 'utf8');
    } catch (e) {
      o.problems.push(`--config: cannot read ${configPath}: ${(e as Error).message}`);
    }
    if (text !== undefined) {
      const r = parseConfig(text);
      if (r.ok) config = r.config;
      else o.problems.push(...r.problems.map((p) => `--config ${configPath}: ${p}`));
    }
    o.check();
    if (!config) throw new UsageError(['--config: no configuration']);

    let keys: IdpKeys;
    const stateDir = o.str('state-dir');
    if (stateDir) {
      const r = await loadOrCreateStateKeys(stateDir, new Date());
      keys = r.keys;
      if (r.created.length > 0) io.stderr(`samlscope idp: generated ${r.created.join(', ')} in ${stateDir}\n`);
    } else {
      keys = loadTestKeys();
    }
    const logger = pino({ name: 'samlscope-idp-MOCK' }, pino.destination({ dest: 2, sync: true }));
    const idp = await startMockIdp({
      config, host: listen.host, port: listen.port, tenantId: tenant, keys, allowRemote, extraReplyUrls: replyUrls,
      publicUrl: publicUrl?.toString(), publishRollover: o.bool('publish-rollover'), logger,
    });
    const apps = config.apps.map((a) => `  ${a.name}: Identifier ${a.identifiers.join(', ')}; reply URLs ${a.replyUrls.map((r) => r.url + (r.default ? ' (default)' : '')).join(', ')}`);
    io.stdout([
      '*** MOCK Entra ID (samlscope): NOT Microsoft. It signs anything asked of it: tests and CI only. ***',
      `Login URL:            ${idp.loginUrl}`,
      `Metadata URL:         ${idp.metadataUrl}`,
      `Microsoft Entra ID:   ${idp.entityId}`,
      `Keys:                 ${stateDir ? stateDir : 'TEST-ONLY keys from certs/'}`,
      'Apps:', ...apps,
      `Users:                ${config.users.map((u) => u.upn).join(', ')}`,
      `Headless login:       add &login_hint=<upn> (and &fault=<name>) to the /saml2 URL; IdP-initiated: ${idp.tenantUrl}/launch?app=<identifier>&login_hint=<upn>`,
      '',
    ].join('\n'));
    await io.stopSignal;
    await idp.close();
    return 0;
  },
};
