// The demo's parts on their own: state folder rules, TLS cert reuse, port fallback, escaping, and the command's terminal output.
import t from 'tap';
import { pollUntil } from './wait.js';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultStateDir, ensureStateDir, loadOrCreateDemoTls, tlsCertUsable } from '../src/demo/state.js';
import { probePort, withPortFallback } from '../src/demo/ports.js';
import { attemptRows } from '../src/demo/landing-page.js';
import { escapeHtml as esc } from '../src/html/escape.js';
import { DEMO_SCENARIOS } from '../src/demo/scenarios.js';
import { FAULTS } from '../src/idp/faults.js';
import { demoCommand } from '../src/commands/demo.js';
import { parseCommandArgs, type CommandIo } from '../src/commands/options.js';
import { login } from '../src/login/login.js';
import type { Attempt } from '../src/proxy/attempt.js';

const tmp = mkdtempSync(join(tmpdir(), 'samlscope-demo-helpers-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

t.test('state folder: XDG first, then ~/.samlscope; an unusable one falls back to a temp folder', async (t) => {
  t.equal(defaultStateDir({ XDG_STATE_HOME: '/x/state' }, '/home/u'), '/x/state/samlscope/demo');
  t.equal(defaultStateDir({}, '/home/u'), '/home/u/.samlscope/demo');
  t.equal(defaultStateDir({ XDG_STATE_HOME: 'relative' }, '/home/u'), '/home/u/.samlscope/demo', 'XDG paths must be absolute');
  const ok = ensureStateDir(join(tmp, 'a', 'b'));
  t.same(ok, { dir: join(tmp, 'a', 'b'), fallback: false });
  writeFileSync(join(tmp, 'file'), '');
  const bad = ensureStateDir(join(tmp, 'file', 'demo'));
  t.equal(bad.fallback, true);
  t.ok(existsSync(bad.dir));
  t.teardown(() => rmSync(bad.dir, { recursive: true, force: true }));
});

t.test('TLS cert: generated once for loopback, reused, renewed when it cannot serve the host', async (t) => {
  const dir = join(tmp, 'tls');
  ensureStateDir(dir);
  const now = new Date();
  const first = await loadOrCreateDemoTls(dir, '127.0.0.1', now);
  t.equal(first.created, true);
  t.ok(tlsCertUsable(first.certPem, '127.0.0.1', now));
  t.ok(tlsCertUsable(first.certPem, '::1', now));
  t.ok(tlsCertUsable(first.certPem, 'localhost', now));
  t.notOk(tlsCertUsable(first.certPem, 'example.com', now));
  t.notOk(tlsCertUsable(first.certPem, '127.0.0.1', new Date(now.getTime() + 360 * 24 * 3600_000)), 'expiring within a week');
  const again = await loadOrCreateDemoTls(dir, '127.0.0.1', now);
  t.equal(again.created, false);
  t.equal(again.certPem, first.certPem);
  const later = await loadOrCreateDemoTls(dir, '127.0.0.1', new Date(now.getTime() + 360 * 24 * 3600_000));
  t.equal(later.created, true);
  t.not(later.certPem, first.certPem);
});

t.test('ports: a taken fixed port falls back to a free one', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  t.teardown(() => blocker.close());
  const taken = (blocker.address() as net.AddressInfo).port;
  const p = await probePort('127.0.0.1', taken);
  t.not(p, taken);
  t.ok(p > 0);
  const tried: number[] = [];
  const got = await withPortFallback(taken, async (port) => {
    tried.push(port);
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen({ host: '127.0.0.1', port }, () => resolve()); });
    const bound = (s.address() as net.AddressInfo).port;
    s.close();
    return bound;
  });
  t.same(tried, [taken, 0]);
  t.not(got, taken);
  await t.rejects(withPortFallback(1234, async () => { throw Object.assign(new Error('boom'), { code: 'EOTHER' }); }), { code: 'EOTHER' });
});

t.test('scenarios name real faults with the code the mock IdP documents for them', async (t) => {
  for (const s of DEMO_SCENARIOS) {
    if (s.fault) t.equal(s.code, FAULTS[s.fault].expectedCode, s.id);
  }
  t.same(new Set(DEMO_SCENARIOS.map((s) => s.id)).size, DEMO_SCENARIOS.length, 'ids are unique');
});

t.test('landing HTML escapes what the SAML message controls', async (t) => {
  t.equal(esc(`<a href="x">'&`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
  const hostile = {
    id: 'x"><script>1</script>', time: '2026-01-01T00:00:00.000Z', verdict: 'reject', nameId: '<img src=x onerror=alert(1)>@contoso.example',
    fleet: { predicted: 'error', actual: 'error', answer: null },
    findings: [{ code: 'SAML_AUDIENCE_MISMATCH', severity: 'error', title: '"><b>', message: '', remedy: '' }],
  } as unknown as Attempt;
  const html = attemptRows([hostile], 'http://127.0.0.1:1');
  t.notMatch(html, '<script>');
  t.notMatch(html, '<img');
  t.match(html, '&lt;img src=x onerror=alert(1)&gt;');
  t.match(html, 'href="/attempts/x%22%3E%3Cscript%3E1%3C%2Fscript%3E"');
});

t.test('samlscope demo without --json: the MOCK banner, the users, then one line per attempt with its codes', async (t) => {
  let out = '';
  let stop!: () => void;
  const io: CommandIo = {
    argv: [], env: {}, stdout: (s) => { out += s; }, stderr: () => undefined,
    readStdin: async () => Buffer.alloc(0), stopSignal: new Promise<void>((r) => { stop = r; }),
  };
  const argv = ['--random-ports', '--state-dir', join(tmp, 'cmd'), '--log-level', 'silent'];
  const running = demoCommand.run(parseCommandArgs(demoCommand, argv, {}), io);
  await pollUntil('the demo banner', () => out.includes('Ctrl-C'), { timeoutMs: 10_000 });
  t.match(out, 'MOCK IdP on loopback');
  const proxyUrl = /Fleet \(proxy\):\s+(\S+)/.exec(out)?.[1];
  t.match(proxyUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  for (const u of ['alice@contoso.example', 'bob@contoso.example', 'carol@contoso.example']) t.match(out, u);
  const r = await login({ fleetUrl: proxyUrl!, user: 'carol@contoso.example', insecure: true });
  t.equal(r.fleetStatus, 'account_invalid');
  await pollUntil('the attempt log line', () => out.includes('attempt '), { timeoutMs: 5_000 });
  t.match(out, /attempt \S+: carol@contoso\.example verdict=accept fleet=account_invalid .*SAML_FLEET_ACCOUNT_INVALID/);
  stop();
  t.equal(await running, 0);
});
