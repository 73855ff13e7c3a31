// `samlscope check`: the offline verdict for one captured SAMLResponse (a contract: see DESIGN.md).
import { analyzeResponse, type AnalysisReport } from '../saml/index.js';
import { loadMetadata, readInput } from './load.js';
import { FLEET_VERSION_OPTION, OptionReader, type CommandDef } from './options.js';
import { acceptedAudiences, serverUrlOf } from '../fleet/index.js';
import { renderReport } from './report-text.js';
import { compareSigningCerts, type CertComparison } from '../saml/cert-comparison.js';

/** The --json shape of the contract (extra fields beyond it are allowed; these are required). */
export function checkJson(r: AnalysisReport, certificates?: CertComparison): object {
  return {
    verdict: r.verdict,
    findings: r.findings.map((f) => ({ code: f.code, severity: f.severity, title: f.title, message: f.message, remedy: f.remedy, ...(f.evidence ? { evidence: f.evidence } : {}) })),
    subject: r.subject ? { nameId: r.subject.nameId, format: r.subject.format } : null,
    signature: r.signature ? { signed: r.signature.signed, algorithm: r.signature.algorithm, certSha256: r.signature.certSha256 } : null,
    fleet: r.fleet,
    checkedAt: r.checkedAt,
    inputKind: r.inputKind,
    ...(certificates ? { certificates } : {}),
  };
}

export const checkCommand: CommandDef = {
  name: 'check',
  summary: 'offline verdict for one captured SAMLResponse (exit 0 accept, 1 reject, 2 could not check)',
  usage: 'samlscope check --metadata <file|url> --entity-id <id> --acs-url <url> [--server-url <url>] [--fleet-version X.Y.Z] [--now ISO] [--request-id ID] [--allow-idp-initiated] [--clock-skew S] [--json] [<input file> | -]',
  positionals: true,
  options: {
    metadata: { type: 'string', value: 'FILE|URL', description: 'IdP metadata (Entra: the App Federation Metadata Url or its file)' },
    'entity-id': { type: 'string', value: 'ID', description: "Fleet's sso_settings.entity_id (Entra's Identifier)" },
    'acs-url': { type: 'string', value: 'URL', description: "Fleet's ACS URL: server_url + /api/v1/fleet/sso/callback" },
    'server-url': { type: 'string', value: 'URL', description: "Fleet's server_url, an accepted Audience (default: --acs-url without the callback path)" },
    'fleet-version': FLEET_VERSION_OPTION,
    now: { type: 'string', value: 'ISO-8601', description: 'the clock to judge times by (default: now)' },
    'request-id': { type: 'string', value: 'ID', description: 'the AuthnRequest ID this response must answer' },
    'allow-idp-initiated': { type: 'boolean', description: "accept unsolicited responses (Fleet's enable_sso_idp_login)" },
    'clock-skew': { type: 'string', value: 'SECONDS', description: 'allowed skew for Conditions and SubjectConfirmationData', default: '180' },
    json: { type: 'boolean', description: 'print one JSON object' },
  },
  async run(args, io) {
    const o = new OptionReader(args);
    const metadataSource = o.required('metadata', 'a file or URL');
    const entityId = o.required('entity-id');
    // validated as a URL, but compared as the exact string given, as Fleet does (no normalisation)
    const acsUrl = o.url('acs-url', true) ? (o.str('acs-url') as string) : '';
    const serverUrl = o.url('server-url') ? (o.str('server-url') as string) : serverUrlOf(acsUrl);
    const fleetVersion = o.fleetVersion();
    const now = o.date('now') ?? new Date();
    const skew = o.int('clock-skew', 0, 3600) ?? 180;
    if (args.positionals.length > 1) o.problems.push('at most one input file');
    o.check();
    let loaded;
    try {
      loaded = await loadMetadata(metadataSource);
    } catch (e) {
      io.stderr(`samlscope check: ${(e as Error).message}\n`);
      return 2;
    }
    let input: Buffer;
    try {
      input = await readInput(args.positionals[0], io.readStdin);
    } catch (e) {
      io.stderr(`samlscope check: cannot read input: ${(e as Error).message}\n`);
      return 2;
    }
    const report = await analyzeResponse(input, {
      metadata: loaded.metadata,
      entityId,
      acsUrl,
      // the audiences Fleet accepts: entity_id, server_url and its ACS URL (src/fleet/rules.ts), and the ACS URL given
      extraAudiences: [...acceptedAudiences({ entityId, serverUrl, fleetVersion }), acsUrl],
      now,
      requestId: o.str('request-id'),
      allowIdpInitiated: o.bool('allow-idp-initiated'),
      clockSkewSeconds: skew,
    });
    const certs = compareSigningCerts(report.xml, loaded.metadata.certs, now);
    io.stdout(o.bool('json') ? JSON.stringify(checkJson(report, certs)) + '\n' : renderReport(report, certs));
    return report.verdict === 'accept' ? 0 : 1;
  },
};
