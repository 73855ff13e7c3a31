// `samlscope demo --json` as a child process: one JSON line, the landing page and the proxy answer over TLS, SIGTERM exits 0.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { childEnv } from './child-env.js';
import { login } from '../src/login/login.js';
import { demoLogger } from '../src/commands/demo.js';

const BIN = new URL('../bin/samlscope.js', import.meta.url);

/** Runs samlscope to completion; exit code and output. */
function runToExit(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN.pathname, ...args], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

t.test('samlscope demo --json: one line, working URLs, clean stop on SIGTERM', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'samlscope-demo-cli-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [BIN.pathname, 'demo', '--json', '--random-ports', '--state-dir', stateDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv({ SAMLSCOPE_LOG_LEVEL: 'warn' }),
  });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  const firstLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no JSON line within 20 s; stderr: ${stderr}`)), 20_000);
    const check = () => {
      const i = stdout.indexOf('\n');
      if (i >= 0) { clearTimeout(timer); resolve(stdout.slice(0, i)); }
    };
    child.stdout.on('data', check);
    void exited.then(() => { clearTimeout(timer); reject(new Error(`exited early; stderr: ${stderr}`)); });
  });
  const info = JSON.parse(firstLine) as { proxyUrl: string; adminUrl: string; idpUrl: string; fleetUrl: string; landingUrl: string; tlsCertFile: string; fleetApiToken: string; users: { email: string; expect: string }[] };
  t.match(info, { proxyUrl: /^https:\/\/127\.0\.0\.1:\d+$/, adminUrl: /^http:\/\/127\.0\.0\.1:\d+$/, idpUrl: /^http:\/\/127\.0\.0\.1:\d+$/, fleetUrl: /^http:\/\/127\.0\.0\.1:\d+$/, landingUrl: /^https:\/\/127\.0\.0\.1:\d+$/ });
  t.same(info.users.map((u) => u.email), ['alice@contoso.example', 'bob@contoso.example', 'carol@contoso.example']);
  t.equal(info.tlsCertFile, join(stateDir, 'demo-tls.cert.pem'));

  // TLS verified against the cert the demo generated into the state folder
  const dispatcher = new Agent({ connect: { ca: readFileSync(info.tlsCertFile, 'utf8') } });
  t.teardown(() => dispatcher.close());
  const landing = await request(info.landingUrl + '/', { dispatcher });
  t.equal(landing.statusCode, 200);
  const html = await landing.body.text();
  t.match(html, 'id="mock-banner"');
  t.match(html, 'href="/start?scenario=alice"');
  const fleetLogin = await request(info.proxyUrl + '/login', { dispatcher });
  t.equal(fleetLogin.statusCode, 200, 'the proxy passes /login through to fleet-sim');
  t.match(await fleetLogin.body.text(), 'fleet-sim');
  const sso = await request(info.proxyUrl + '/api/v1/fleet/sso', { dispatcher });
  t.match(await sso.body.json(), { settings: { sso_enabled: true } });
  const health = await request(info.adminUrl + '/healthz');
  t.match(await health.body.json(), { status: 'ok', mode: 'observe' });

  // preflight against the demo with the API token --json printed
  t.match(info.fleetApiToken, /^[A-Za-z0-9_-]{20,}$/, 'fleetApiToken printed');
  const pf = await runToExit(['preflight', '--fleet', info.proxyUrl, '--api-token', info.fleetApiToken, '--ca', info.tlsCertFile, '--json']);
  t.equal(pf.code, 0, pf.err);
  const report = JSON.parse(pf.out) as { verdict: string; login: { ran: boolean; outcome: string }; findings: { code: string }[] };
  t.match(report.login, { ran: true, outcome: 'success' }, 'preflight logged in through the demo');
  t.ok(report.findings.some((f) => f.code === 'SAML_FLEET_LOGIN_OK'));

  const t0 = Date.now();
  child.kill('SIGTERM');
  const result = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
  t.same(result, { code: 0, signal: null }, 'exits 0 after SIGTERM');
  t.ok(Date.now() - t0 < 5000, 'within 5 s');
  t.equal(stdout.trimEnd().split('\n').length, 1, '--json prints exactly one line');
});

t.test('samlscope demo: bad options are all reported, exit 2', async (t) => {
  const child = spawn(process.execPath, [BIN.pathname, 'demo', '--mode', 'sideways', '--port', '99999'], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  t.equal(code, 2);
  t.match(stderr, '--mode');
  t.match(stderr, '--port');
});

t.test('samlscope demo (console): only the one-line summaries, each linking the attempt\'s HTML page; the JSON log goes to --log-file', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'samlscope-demo-console-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const logFile = join(stateDir, 'logs', 'demo.log');
  const env = childEnv();
  delete env.SAMLSCOPE_LOG_LEVEL;
  const child = spawn(process.execPath, [BIN.pathname, 'demo', '--random-ports', '--state-dir', stateDir, '--log-file', logFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** Resolves with stdout once it matches (the demo's own output is the readiness signal). */
  const stdoutMatching = (re: RegExp) => new Promise<RegExpExecArray>((resolve, reject) => {
    const check = () => { const m = re.exec(stdout); if (m) { child.stdout.off('data', check); resolve(m); } };
    child.stdout.on('data', check);
    void exited.then(() => reject(new Error(`exited early; stderr: ${stderr}`)));
    check();
  });
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  const banner = await stdoutMatching(/Fleet \(proxy\):\s+(\S+)[\s\S]*Diagnostics UI:\s+(\S+?)\/\s[\s\S]*Ctrl-C stops the demo\./);
  const [proxyUrl, adminUrl] = [banner[1], banner[2]];
  await login({ fleetUrl: proxyUrl, user: 'alice@contoso.example', fault: 'wrong-audience', insecure: true });
  const line = await stdoutMatching(/^attempt (\S+): .*SAML_AUDIENCE_MISMATCH.* {2}(\S+)$/m);
  t.equal(line[2], `${adminUrl}/attempts/${encodeURIComponent(line[1])}`, 'the summary links the HTML page of the attempt');
  const page = await request(line[2]);
  t.match(page.headers['content-type'], 'text/html');
  await page.body.dump();
  child.kill('SIGTERM');
  t.equal(await exited, 0);
  t.notMatch(stdout, /^\{/m, 'no JSON line on standard output');
  t.equal(stderr, '', 'nothing on standard error');
  const logged = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string });
  t.ok(logged.length > 0 && logged.every((l) => l.name === 'samlscope-demo'), 'the JSON log is in --log-file');
});

t.test('demoLogger: no JSON log unless asked (a file, or a level for standard error)', async (t) => {
  t.equal(demoLogger({ logFile: undefined, level: undefined }).level, 'silent');
  t.equal(demoLogger({ logFile: undefined, level: 'warn' }).level, 'warn');
});
