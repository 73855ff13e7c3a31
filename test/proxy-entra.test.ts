// The proxy with Graph: bob's login that never came back gets SAML_ENTRA_SIGNIN_FAILED (AADSTS50105) from the mock's sign-in log; Graph down never slows a login; the secret never reaches a log line or the admin API.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startDemo } from '../src/demo/demo.js';
import { login } from '../src/login/login.js';
import type { Attempt, AttemptSummary } from '../src/proxy/attempt.js';
import { pickSignIn, startSignInMatcher } from '../src/entra/signin-matcher.js';
import { MemoryStore } from '../src/proxy/store.js';
import { GraphError } from '../src/entra/graph-client.js';
import type { GraphSignIn } from '../src/entra/reads.js';

t.test('demo: bob through the proxy leaves an attempt naming him with SAML_ENTRA_SIGNIN_FAILED and AADSTS50105', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(c, _e, cb) { lines.push(...c.toString().split('\n').filter(Boolean)); cb(); } });
  let matched!: (a: Attempt) => void;
  const updated = new Promise<Attempt>((r) => { matched = r; });
  let succeeded!: (a: Attempt) => void;
  const carolSeen = new Promise<Attempt>((r) => { succeeded = r; });
  const demo = await startDemo({
    stateDir: mkdtempSync(join(tmpdir(), 'samlscope-proxy-entra-')), randomPorts: true, loginTimeoutMs: 300, entraPollDelaysMs: [0, 100, 200, 400],
    logger: pino({ level: 'debug' }, sink),
    onAttemptUpdated: (a) => {
      if (a.findings.some((f) => f.code === 'SAML_ENTRA_SIGNIN_FAILED')) matched(a);
      if (a.findings.some((f) => f.code === 'SAML_ENTRA_SIGNIN_SUCCEEDED')) succeeded(a);
    },
  });
  t.teardown(() => demo.close());
  const started = Date.now();
  const r = await login({ fleetUrl: demo.proxyUrl, user: 'bob@contoso.example', ca: demo.caPem, timeoutMs: 20_000 });
  t.notOk(r.ok);
  t.ok(Date.now() - started < 10_000, 'the login is not slowed by Graph');
  const a = await updated;
  const list = await fetch(`${demo.adminUrl}/api/attempts`).then((x) => x.json()) as AttemptSummary[];
  const row = list.find((x) => x.id === a.id)!;
  t.ok(row, 'listed by the admin API');
  t.equal(row.outcome, 'no_idp_response');
  t.ok(row.findings.some((x) => x.code === 'SAML_ENTRA_SIGNIN_FAILED'));
  t.same(row.entraSignIn && { user: row.entraSignIn.user, aadsts: row.entraSignIn.aadsts }, { user: 'bob@contoso.example', aadsts: '50105' }, 'the list names bob and the AADSTS code');
  const got = await fetch(`${demo.adminUrl}/api/attempts/${encodeURIComponent(a.id)}`).then((x) => x.json()) as Attempt;
  const f = got.findings.find((x) => x.code === 'SAML_ENTRA_SIGNIN_FAILED')!;
  t.equal(f.evidence!.aadsts, '50105');
  t.equal(f.evidence!.userPrincipalName, 'bob@contoso.example');
  t.match(f.evidence!.correlationId, /^[0-9a-f-]{36}$/);
  t.match(f.remedy, /Users and groups/);

  // the secret is in no log line (parsed as JSON) nor in the admin settings
  const secret = demo.entra!.clientSecret;
  t.ok(lines.length > 5);
  for (const l of lines) { JSON.parse(l); t.notOk(l.includes(secret), 'log line without the secret'); }
  t.ok(lines.some((l) => (JSON.parse(l) as { event?: string }).event === 'entra.signin_matched'));
  // a rejected callback gets Entra's view too: carol signed in at Entra, Fleet answered account_invalid
  const carol = await login({ fleetUrl: demo.proxyUrl, user: 'carol@contoso.example', ca: demo.caPem, timeoutMs: 20_000 });
  t.equal(carol.fleetStatus, 'account_invalid');
  const c = await carolSeen;
  t.equal(c.outcome, 'fleet_rejected');
  t.match(c.findings.find((x) => x.code === 'SAML_ENTRA_SIGNIN_SUCCEEDED')!.evidence, { aadsts: '0', userPrincipalName: 'carol@contoso.example' });

  const metrics = await fetch(`${demo.adminUrl}/metrics`).then((x) => x.text());
  t.match(metrics, /samlscope_entra_signins_matched_total\{aadsts="50105"\} 1/, 'counted in metrics');
  const settings = await fetch(`${demo.adminUrl}/settings`).then((x) => x.text());
  t.notOk(settings.includes(secret), 'settings masked');
});

const entry = (o: Partial<GraphSignIn>): GraphSignIn => ({
  id: 's1', createdDateTime: '2026-01-01T12:00:10Z', userPrincipalName: 'bob@contoso.example', userDisplayName: null, userId: 'u', appId: 'a',
  appDisplayName: 'Fleet', ipAddress: '10.0.0.1', correlationId: 'c', status: { errorCode: 50105, failureReason: 'x', additionalDetails: null }, ...o,
});
const attempt = (): Attempt => ({
  id: 'att1', time: '2026-01-01T12:05:00Z', outcome: 'no_idp_response', findings: [], client: { ip: '10.0.0.1', userAgent: null },
  session: { cookie: false, known: true, authnRequest: { recordedAt: '2026-01-01T12:00:00Z', request: { xml: '' } } },
} as unknown as Attempt);

t.test('pickSignIn: failures in the window, the client IP first, nearest the AuthnRequest, never one taken', async (t) => {
  const a = attempt();
  t.equal(pickSignIn(a, [entry({ status: { errorCode: 0, failureReason: null, additionalDetails: null } })], new Set(), 60_000), null, 'successes never match');
  t.equal(pickSignIn(a, [entry({ createdDateTime: '2026-01-01T11:50:00Z' })], new Set(), 60_000), null, 'before the window');
  t.equal(pickSignIn(a, [entry({ id: 'far', createdDateTime: '2026-01-01T12:03:00Z' }), entry({ id: 'near' })], new Set(), 60_000)!.id, 'near');
  t.equal(pickSignIn(a, [entry({ id: 'other-ip', ipAddress: '10.9.9.9' }), entry({ id: 'same-ip', createdDateTime: '2026-01-01T12:04:00Z' })], new Set(), 60_000)!.id, 'same-ip');
  t.equal(pickSignIn(a, [entry({})], new Set(['s1']), 60_000), null, 'taken');
});

t.test('the matcher: Graph down is retried then given up; a missing permission stops at once; the store is updated once', async (t) => {
  const store = new MemoryStore();
  const a = attempt();
  await store.addAttempt(a);
  let calls = 0;
  const gaveUp = new Promise<string>((resolve) => {
    const m = startSignInMatcher({ source: { signIns: async () => { calls++; throw new GraphError('unavailable', 'down'); } }, store, now: () => new Date(), pollDelaysMs: [0, 0, 0], onGaveUp: (_a, why) => resolve(why) });
    t.teardown(() => m.close());
    m.enqueue(a);
  });
  t.equal(await gaveUp, 'no_match');
  t.equal(calls, 3, 'bounded');
  const denied = new Promise<string>((resolve) => {
    const m = startSignInMatcher({ source: { signIns: async () => { throw new GraphError('permission_missing', 'no AuditLog.Read.All'); } }, store, now: () => new Date(), pollDelaysMs: [0, 0, 0], onGaveUp: (_a, why) => resolve(why) });
    t.teardown(() => m.close());
    m.enqueue(a);
  });
  t.equal(await denied, 'permission_missing');
  const hit = new Promise<Attempt>((resolve) => {
    const m = startSignInMatcher({ source: { signIns: async () => [entry({})] }, store, now: () => new Date(), pollDelaysMs: [0], onMatched: (x) => resolve(x) });
    t.teardown(() => m.close());
    m.enqueue(a);
  });
  await hit;
  const stored = await store.getAttempt('att1');
  t.same(stored!.findings.map((f) => f.code), ['SAML_ENTRA_SIGNIN_FAILED']);
});
