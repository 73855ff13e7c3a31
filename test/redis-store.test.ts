// RedisStore against a real redis-server: single use, TTLs, replay set-if-absent across instances, bounded attempts, and a Redis that is gone.
import t from 'tap';
import { openRedisStore, RedisStore } from '../src/proxy/store-redis.js';
import { boundAttempt, boundedAttemptJson, MemoryStore, StoreUnavailableError, type StoreHealth } from '../src/proxy/store.js';
import type { Attempt, RecordedAuthnRequest } from '../src/proxy/attempt.js';
import { startRedis } from './redis-server.js';

const rec = (id: string): RecordedAuthnRequest => ({
  request: { id, xml: '<samlp:AuthnRequest/>' } as RecordedAuthnRequest['request'],
  findings: [], flow: 'sso', relayState: null, recordedAt: '2026-01-01T00:00:00.000Z', initiateRequestId: 'r-1',
});

const attempt = (id: string, time: string, xmlBytes = 10): Attempt => ({
  id, time, flow: 'sso', mode: 'observe', verdict: 'accept', findings: [{ code: 'SAML_REPLAY_DETECTED', severity: 'error', title: 't', message: 'm', remedy: 'r' }],
  fleet: { predicted: 'success', actual: 'success', answer: null }, action: 'forwarded', nameId: 'alice@contoso.example',
  session: { cookie: true, known: true, authnRequest: rec('id-' + id) }, client: { ip: '127.0.0.1', userAgent: null },
  timings: { analyzeMs: 1, upstreamMs: 1, totalMs: 2 }, bodyBytes: 1, outcome: 'fleet_rejected', fleetStatus: 'error', fleetRead: { outcome: 'read', source: 'body' }, judgedSha256: null,
  report: { xml: 'x'.repeat(xmlBytes) } as Attempt['report'],
} as Attempt);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('shared state in one Redis', async (t) => {
  const redis = await startRedis(t);
  const prefix = `t${process.pid}:`;
  const a = await openRedisStore({ url: redis.url, prefix, attempts: 3 });
  const b = await openRedisStore({ url: redis.url, prefix, attempts: 3 });
  t.teardown(async () => { await a.close(); await b.close(); });
  t.match(await a.health(), { backend: 'redis', status: 'ok', reason: null });

  t.test('AuthnRequests: recorded on one instance, taken once on the other, gone after their TTL', async (t) => {
    await a.recordAuthnRequest('session-1', rec('id-1'), 10_000);
    t.match(await b.takeAuthnRequest('session-1'), { request: { id: 'id-1' }, flow: 'sso' });
    t.equal(await a.takeAuthnRequest('session-1'), null, 'single use');
    await a.recordAuthnRequest('session-2', rec('id-2'), 10_000);
    const both = await Promise.all([a.takeAuthnRequest('session-2'), b.takeAuthnRequest('session-2')]);
    t.equal(both.filter((x) => x !== null).length, 1, 'two instances racing: exactly one gets it');
    await a.recordAuthnRequest('session-3', rec('id-3'), 150);
    await sleep(300);
    t.equal(await b.takeAuthnRequest('session-3'), null, 'expired');
    t.equal(await b.takeAuthnRequest('never-recorded'), null);
  });

  t.test('replay cache: set-if-absent across instances until the expiry', async (t) => {
    const until = new Date(Date.now() + 300);
    t.equal(await a.seenAssertion('_assertion-1', until), false, 'first sight');
    t.equal(await b.seenAssertion('_assertion-1', until), true, 'replayed on the other instance');
    t.equal(await a.seenAssertion('_assertion-1', until), true);
    const ten = Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).seenAssertion('_race', new Date(Date.now() + 10_000)));
    t.equal((await Promise.all(ten)).filter((seen) => !seen).length, 1, 'ten concurrent sightings: one first');
    await sleep(450);
    t.equal(await b.seenAssertion('_assertion-1', new Date(Date.now() + 1000)), false, 'expired entries do not count');
    t.equal(await a.seenAssertion('_past', new Date(Date.now() - 1000)), false, 'an expiry in the past is stored for a moment only');
  });

  t.test('attempts: shared, bounded, newest first, with a TTL', async (t) => {
    for (const [i, id] of ['a1', 'a2', 'a3', 'a4'].entries()) await (i % 2 ? a : b).addAttempt(attempt(id, `2026-01-01T00:00:0${i}.000Z`));
    t.same((await a.listAttempts()).map((x) => x.id), ['a4', 'a3', 'a2'], 'newest first, the oldest trimmed');
    t.same((await b.listAttempts(2)).map((x) => x.id), ['a4', 'a3']);
    t.equal(await b.getAttempt('a1'), null, 'the trimmed attempt is deleted, not only unlisted');
    t.match(await b.getAttempt('a3'), { id: 'a3', nameId: 'alice@contoso.example', session: { known: true } });
    const ttl = new RedisStore({ url: redis.url, prefix: prefix + 'ttl:', attemptTtlMs: 150 });
    t.teardown(() => ttl.close());
    await ttl.waitReady(2000);
    await ttl.addAttempt(attempt('short', '2026-01-01T00:00:00.000Z'));
    t.ok(await ttl.getAttempt('short'));
    await sleep(300);
    t.equal(await ttl.getAttempt('short'), null, 'expired');
    t.same(await ttl.listAttempts(), []);
  });

  t.test('attempts: the decoded XML is dropped above the size cap, the findings stay', async (t) => {
    const small = new RedisStore({ url: redis.url, prefix: prefix + 'cap:', attemptBytes: 8 * 1024 });
    t.teardown(() => small.close());
    await small.waitReady(2000);
    await small.addAttempt(attempt('big', '2026-01-01T00:00:00.000Z', 64 * 1024));
    const got = await small.getAttempt('big');
    t.equal(got?.report?.xml, null, 'XML dropped');
    t.equal(got?.session.authnRequest?.request.xml, '');
    t.same(got?.findings.map((f) => f.code), ['SAML_REPLAY_DETECTED']);
    await small.addAttempt(attempt('fits', '2026-01-01T00:00:01.000Z', 100));
    t.equal((await small.getAttempt('fits'))?.report?.xml, 'x'.repeat(100), 'small attempts are kept whole');
  });

  t.test('prefixes keep deployments apart', async (t) => {
    const other = await openRedisStore({ url: redis.url, prefix: prefix + 'other:' });
    t.teardown(() => other.close());
    await a.recordAuthnRequest('shared-name', rec('id-x'), 10_000);
    t.equal(await other.takeAuthnRequest('shared-name'), null);
    t.equal(await other.seenAssertion('_assertion-1', new Date(Date.now() + 10_000)), false);
    t.same(await other.listAttempts(), []);
  });
});

t.test('Redis gone: every call fails fast with StoreUnavailableError, health says why, attempts stay local', async (t) => {
  const redis = await startRedis(t);
  const changes: StoreHealth[] = [];
  let noticed!: () => void;
  const degraded = new Promise<void>((r) => { noticed = r; });
  const s = await openRedisStore({ url: redis.url, prefix: 'gone:', commandTimeoutMs: 300, onStateChange: (h) => { changes.push(h); if (h.status === 'degraded') noticed(); } });
  t.teardown(() => s.close());
  await s.addAttempt(attempt('before', '2026-01-01T00:00:00.000Z'));
  await redis.kill();
  await degraded; // the client saw the connection close
  const t0 = Date.now();
  await t.rejects(s.takeAuthnRequest('x'), StoreUnavailableError);
  await t.rejects(s.seenAssertion('_a', new Date(Date.now() + 1000)), StoreUnavailableError);
  await t.rejects(s.recordAuthnRequest('x', rec('id'), 1000), StoreUnavailableError);
  t.ok(Date.now() - t0 < 1000, 'no call waits for a reconnect');
  const h = await s.health();
  t.equal(h.status, 'degraded');
  t.type(h.reason, 'string');
  await s.addAttempt(attempt('during', '2026-01-01T00:00:01.000Z'));
  t.same((await s.listAttempts()).map((x) => x.id), ['during'], 'the local history while Redis is away');
  t.ok(await s.getAttempt('during'));
  t.match(changes.map((c) => c.status), ['ok', 'degraded']);
});

t.test('Redis down from the start: the store opens degraded within the connect timeout', async (t) => {
  const redis = await startRedis(t);
  await redis.kill();
  const t0 = Date.now();
  const s = await openRedisStore({ url: redis.url, connectTimeoutMs: 500, commandTimeoutMs: 300 });
  t.teardown(() => s.close());
  t.ok(Date.now() - t0 < 1500, 'did not hang');
  t.match(await s.health(), { status: 'degraded' });
  await t.rejects(s.seenAssertion('_a', new Date(Date.now() + 1000)), StoreUnavailableError);
});

t.test('memory store: attempts capped in size like Redis ones', async (t) => {
  const m = new MemoryStore({ attemptBytes: 8 * 1024 });
  await m.addAttempt(attempt('big', '2026-01-01T00:00:00.000Z', 64 * 1024));
  t.equal((await m.getAttempt('big'))?.report?.xml, null);
  await m.addAttempt(attempt('small', '2026-01-01T00:00:00.000Z', 10));
  t.equal((await m.getAttempt('small'))?.report?.xml, 'x'.repeat(10));
  t.match(await m.health(), { backend: 'memory', status: 'ok' });
  const huge = attempt('huge', '2026-01-01T00:00:00.000Z', 10);
  (huge.findings[0] as { message: string }).message = 'm'.repeat(20 * 1024);
  t.ok(Buffer.byteLength(boundedAttemptJson(huge, 8 * 1024)) > 8 * 1024, 'findings are never cut: the cap drops XML and report only');
  t.equal(JSON.parse(boundedAttemptJson(huge, 8 * 1024)).report, null);
  // XML under the cap in characters but over it in JSON bytes (escaped quotes, multi-byte UTF-8) is still measured, not guessed
  for (const ch of ['"', 'é']) {
    const a = attempt('esc', '2026-01-01T00:00:00.000Z', 10);
    (a.report as { xml: string }).xml = ch.repeat(6 * 1024);
    const kept = boundAttempt(a, 8 * 1024);
    t.equal(kept.attempt.report?.xml, null, `${ch}: dropped once its JSON passes the cap`);
    t.ok(Buffer.byteLength(kept.json) <= 8 * 1024, `${ch}: the JSON kept is under the cap`);
    t.same(JSON.parse(kept.json), kept.attempt, `${ch}: the JSON is the attempt kept`);
  }
});
