// `samlscope preflight`: compares Fleet's SSO settings with the IdP metadata and reports what will fail (exit 0 nothing, 1 something, 2 could not check).
import { FLEET_VERSION_OPTION, OptionReader, type CommandDef } from './options.js';
import { DEFAULT_LOGIN_USER, preflight, PreflightError } from '../preflight/preflight.js';
import { preflightJson, renderPreflight } from '../preflight/render.js';
import { ENTRA_OPTIONS, readEntraOptions } from './entra-options.js';

export const preflightCommand: CommandDef = {
  name: 'preflight',
  summary: "checks Fleet's SSO settings against the IdP metadata before go-live (exit 0 nothing will fail, 1 something will, 2 could not check)",
  usage: 'samlscope preflight --fleet URL --api-token T [--metadata URL|FILE] [--idp URL] [--login-user EMAIL] [--insecure | --ca FILE] [--now ISO] [--timeout SECONDS] [--fleet-version X.Y.Z] [--entra-tenant GUID --entra-client-id GUID (--entra-client-secret S | --entra-client-cert PEM) [--entra-app-id GUID] [--entra-authority-host URL] [--graph-url URL] [--entra-ca FILE] [--user EMAIL]] [--json]',
  options: {
    fleet: { type: 'string', value: 'URL', description: "where Fleet's API answers (with server.url_prefix, if any)" },
    'api-token': { type: 'string', value: 'TOKEN', description: "a global admin's Fleet API token (reads GET /api/v1/fleet/config)" },
    metadata: { type: 'string', value: 'URL|FILE', description: "IdP metadata to check instead of Fleet's metadata / metadata_url" },
    idp: { type: 'string', value: 'URL', description: "samlscope's mock IdP: run a headless login (detected from the metadata otherwise)" },
    'login-user': { type: 'string', value: 'EMAIL', description: 'who logs in through the mock IdP', default: DEFAULT_LOGIN_USER },
    insecure: { type: 'boolean', description: 'do not verify TLS certificates of Fleet and the mock IdP' },
    ca: { type: 'string', value: 'FILE', description: 'trust this CA certificate (PEM) too' },
    now: { type: 'string', value: 'ISO-8601', description: 'the clock certificates are judged by (default: now)' },
    timeout: { type: 'string', value: 'SECONDS', description: 'per request to Fleet and the mock IdP', default: '30' },
    'fleet-version': FLEET_VERSION_OPTION,
    ...ENTRA_OPTIONS,
    user: { type: 'string', value: 'EMAIL', description: 'with Graph: can this person sign in? (Entra user, assignment, NameID, Fleet user)' },
    json: { type: 'boolean', description: 'print one JSON object' },
  },
  async run(args, io) {
    const o = new OptionReader(args);
    const fleet = o.url('fleet', true);
    const apiToken = o.required('api-token', "a Fleet API token; SAMLSCOPE_API_TOKEN keeps it out of the process list");
    const idp = o.url('idp');
    const now = o.date('now');
    const timeout = o.int('timeout', 1, 3600) ?? 30;
    const { ca, insecure } = o.trust('ca', 'insecure');
    const fleetVersion = o.fleetVersion();
    const graph = readEntraOptions(o, o.str('metadata'));
    const user = o.str('user');
    if (user && !graph) o.problems.push('--user needs Graph access (--entra-tenant, --entra-client-id, --entra-client-secret or --entra-client-cert)');
    o.check();
    try {
      const report = await preflight({
        // as given: a trailing path is Fleet's url_prefix
        fleetUrl: (o.str('fleet') as string).replace(/\/+$/, '') || (fleet?.toString() ?? ''),
        apiToken, metadata: o.str('metadata'), idpUrl: idp ? o.str('idp') : undefined, loginUser: o.str('login-user'),
        insecure, ca, now, timeoutMs: timeout * 1000, fleetVersion,
        entra: graph ? { graph: { ...graph, ca: graph.ca ?? ca }, appId: graph.appId, user } : undefined,
      });
      io.stdout(o.bool('json') ? JSON.stringify(preflightJson(report)) + '\n' : renderPreflight(report));
      return report.verdict === 'pass' ? 0 : 1;
    } catch (e) {
      if (e instanceof PreflightError) {
        io.stderr(`samlscope preflight: could not check (${e.reason}): ${e.message}\n`);
        return 2;
      }
      throw e;
    }
  },
};
