// `samlscope demo`: fleet-sim, a MOCK Entra IdP and the samlscope proxy on loopback, with a landing page; runs until stopped.
import { homedir } from 'node:os';
import pino from 'pino';
import { OptionReader, type CommandDef } from './options.js';
import { startDemo, type DemoHandle } from '../demo/demo.js';
import { DEFAULT_DEMO_PORTS } from '../demo/ports.js';
import { defaultStateDir } from '../demo/state.js';
import type { Attempt } from '../proxy/attempt.js';

/** The one line `--json` prints. */
export function demoJson(d: DemoHandle): string {
  return JSON.stringify({
    proxyUrl: d.proxyUrl,
    adminUrl: d.adminUrl,
    idpUrl: d.idpUrl,
    fleetUrl: d.fleetUrl,
    landingUrl: d.landingUrl,
    mode: d.mode,
    entityId: d.entityId,
    stateDir: d.stateDir,
    tlsCertFile: d.tlsCertFile,
    // test-only credentials of the mock, on loopback: what preflight and the proxy need (--entra-ca = tlsCertFile)
    fleetApiToken: d.fleetApiToken,
    entra: d.entra,
    users: d.users.map((u) => ({ email: u.email, fleetUser: u.fleetUser, entraAssigned: u.entraAssigned, expect: u.expect, loginUrl: u.loginUrl })),
  }) + '\n';
}

export function demoBanner(d: DemoHandle): string {
  const lines = [
    '*** samlscope demo: this is a demo with a MOCK IdP on loopback (fleet-sim stands in for Fleet; demo-only keys; nothing talks to Microsoft) ***',
    '',
    `Open:           ${d.landingUrl}   <- start here (self-signed TLS cert: accept it once in the browser)`,
    `Fleet (proxy):  ${d.proxyUrl}   (samlscope in ${d.mode} mode, in front of fleet-sim)`,
    `Diagnostics UI: ${d.adminUrl}/   (attempts, findings, remedies; /metrics)`,
    `Diagnosis API:  ${d.adminUrl}/api/attempts`,
    `MOCK Entra ID:  ${d.idpUrl}`,
    `fleet-sim:      ${d.fleetUrl}   (direct, bypasses the proxy)`,
    `Entity ID:      ${d.entityId}`,
    `Fleet API token: ${d.fleetApiToken}   (demo-only; try: samlscope preflight --fleet ${d.proxyUrl} --api-token ${d.fleetApiToken} --ca ${d.tlsCertFile})`,
    `State folder:   ${d.stateDir}${d.stateDirFallback ? '   (temporary: the default folder was not writable)' : ''}`,
    `TLS cert:       ${d.tlsCertFile}${d.created.length > 0 ? '   (generated now)' : ''}`,
    ...(d.entra ? [`MOCK Graph:     ${d.entra.graphUrl}   (tenant ${d.entra.tenantId}, client ${d.entra.clientId}; the test-only secret: --json)`] : []),
    '',
    'Demo users:',
    ...d.users.map((u) => `  ${u.email.padEnd(24)} ${u.expect.padEnd(16)} ${u.loginUrl}`),
    '',
    'Each SSO attempt is listed below with its findings and a link to its diagnosis. Ctrl-C stops the demo.',
    '',
  ];
  return lines.join('\n');
}

/** One line per attempt for the terminal. */
export function attemptLine(a: Attempt, adminUrl: string): string {
  const codes = a.findings.filter((f) => f.severity !== 'info').map((f) => f.code);
  return `attempt ${a.id}: ${a.nameId ?? '(no NameID)'} verdict=${a.verdict} fleet=${a.fleet.actual} (predicted ${a.fleet.predicted})` +
    `${codes.length ? ' ' + codes.join(',') : ''}  ${adminUrl}/attempts/${encodeURIComponent(a.id)}\n`;
}

/** Where the demo's JSON log goes: a file when --log-file is given, standard error only when --log-level is asked for, else nowhere. */
export function demoLogger(o: { logFile: string | undefined; level: string | undefined }): pino.Logger {
  if (o.logFile) return pino({ name: 'samlscope-demo', level: o.level ?? 'info' }, pino.destination({ dest: o.logFile, append: true, mkdir: true, sync: true }));
  if (o.level) return pino({ name: 'samlscope-demo', level: o.level }, pino.destination({ dest: 2, sync: true }));
  return pino({ name: 'samlscope-demo', level: 'silent' });
}

export const demoCommand: CommandDef = {
  name: 'demo',
  summary: 'try it now: fleet-sim, a MOCK Entra IdP and the proxy on loopback, with a landing page of scenarios',
  usage: 'samlscope demo [--json] [--mode observe|enforce] [--state-dir DIR] [--port N] [--random-ports] [--jit] [--login-timeout SECONDS] [--log-file FILE] [--log-level LEVEL]',
  options: {
    json: { type: 'boolean', description: 'print one JSON line with the URLs and users, then run until stopped' },
    mode: { type: 'string', value: 'observe|enforce', description: 'the proxy\'s mode', default: 'observe' },
    'state-dir': { type: 'string', value: 'DIR', description: 'where the TLS cert and the mock IdP keys are kept (default $XDG_STATE_HOME/samlscope/demo or ~/.samlscope/demo)' },
    port: { type: 'string', value: 'N', description: `the proxy's port, default ${DEFAULT_DEMO_PORTS.proxy} (0: any free port; a taken port falls back to a free one)` },
    'random-ports': { type: 'boolean', description: 'use free ports for everything (several demos at once)' },
    jit: { type: 'boolean', description: 'Fleet Premium with JIT provisioning: carol\'s first login creates her Fleet user (role from FLEET_JIT_USER_ROLE_GLOBAL)' },
    'login-timeout': { type: 'string', value: 'SECONDS', description: 'a login with no callback after this (bob: Entra stops at AADSTS50105) is recorded as no_idp_response', default: '300' },
    'log-file': { type: 'string', value: 'FILE', description: 'append the JSON log to FILE (level: --log-level, default info); without it the console shows only the attempt summaries' },
    'log-level': { type: 'string', value: 'LEVEL', description: 'JSON log level (trace, debug, info, warn, error, silent); without --log-file the log then goes to standard error (default: no JSON log)' },
  },
  async run(args, io) {
    const o = new OptionReader(args);
    const json = o.bool('json');
    const mode = o.str('mode') ?? 'observe';
    if (mode !== 'observe' && mode !== 'enforce') o.problems.push(`--mode: observe or enforce, got "${mode}"`);
    const port = o.int('port', 0, 65535);
    const loginTimeout = o.int('login-timeout', 1, 900) ?? 300;
    const level = o.str('log-level');
    const logFile = o.str('log-file');
    if (level !== undefined && !['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) o.problems.push(`--log-level: one of trace, debug, info, warn, error, silent; got "${level}"`);
    o.check();
    const stateDir = o.str('state-dir') ?? defaultStateDir({ XDG_STATE_HOME: io.env.XDG_STATE_HOME }, io.env.HOME || homedir());
    const logger = demoLogger({ logFile, level });
    let adminUrl = '';
    const demo = await startDemo({
      stateDir,
      mode: mode as 'observe' | 'enforce',
      loginTimeoutMs: loginTimeout * 1000,
      proxyPort: port,
      randomPorts: o.bool('random-ports'),
      jit: o.bool('jit'),
      logger,
      onAttempt: json ? undefined : (a) => io.stdout(attemptLine(a, adminUrl)),
    });
    adminUrl = demo.adminUrl;
    io.stdout(json ? demoJson(demo) : demoBanner(demo));
    await io.stopSignal;
    await demo.close();
    return 0;
  },
};
