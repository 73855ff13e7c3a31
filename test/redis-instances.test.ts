// Two proxies in front of one fleet-sim sharing one real Redis: correlation and replay across instances, shared history, and Redis dying mid-test.
import t from 'tap';
import { request } from 'undici';
import { startProxy, type ProxyHandle, type ProxyMode } from '../src/proxy/server.js';
import type { Attempt, AttemptSummary } from '../src/proxy/attempt.js';
import { ENTITY_ID, setup } from './sso-stack.js';
import { startRedis } from './redis-server.js';
import { callback, initiate } from './sso-login-steps.js';
import { pollUntil } from './wait.js';

async function adminJson<T>(p: ProxyHandle, path: string): Promise<T> {
  const r = await request(p.adminUrl + path);
  return (await r.body.json()) as T;
}

/** the attempt a callback produced (stored after Fleet's answer was read: poll until it is there, for up to 10 s on a loaded machine) */
async function attemptOn(p: ProxyHandle, pred: (a: AttemptSummary) => boolean): Promise<AttemptSummary | undefined> {
  return pollUntil('the attempt', async () => (await adminJson<AttemptSummary[]>(p, '/api/attempts')).find(pred), { timeoutMs: 10_000, everyMs: 25 }).catch(() => undefined);
}

t.test('two proxies, one fleet-sim, one Redis', async (t) => {
  const redis = await startRedis(t);
  const { sim, idp, proxy: a, callbacks } = await setup(t, 'enforce', { redisUrl: redis.url });
  const another = async (mode: ProxyMode) => {
    const p = await startProxy({ upstream: sim.url, metadata: { url: idp.metadataUrl }, entityId: ENTITY_ID, publicUrl: a.url, mode, redisUrl: redis.url });
    t.teardown(() => p.close());
    return p;
  };
  const b = await another('enforce');
  const observer = await another('observe');
  t.match(await adminJson(a, '/healthz'), { status: 'ok', store: { backend: 'redis', status: 'ok' } });
  const metrics = async (p: ProxyHandle) => (await (await request(p.adminUrl + '/metrics')).body.text());
  t.match(await metrics(a), /^samlscope_state_degraded\{backend="redis"\} 0$/m);

  t.test('initiate through A, callback through B: correlated with the AuthnRequest A recorded', async (t) => {
    const before = callbacks();
    const { cookie, body } = await initiate(a.url);
    const r = await callback(b.url, body, cookie);
    t.equal(r.status, 200, 'Fleet answered');
    t.equal(callbacks(), before + 1);
    const [latest] = await b.store.listAttempts(1);
    t.match(latest, { verdict: 'accept', action: 'forwarded', session: { cookie: true, known: true }, fleet: { actual: 'success' } });
    t.type(latest.session.authnRequest?.request.id, 'string');
    t.notOk(latest.findings.some((f) => f.code === 'SAML_FLEET_SESSION_UNKNOWN'));
  });

  t.test('an assertion first seen on A is blocked when replayed on B (enforce)', async (t) => {
    const { cookie, body } = await initiate(a.url);
    t.equal((await callback(a.url, body, cookie)).status, 200, 'first use through A');
    const before = callbacks();
    const again = await callback(b.url, body);
    t.equal(again.status, 403);
    t.match(JSON.parse(again.text), { error: { code: 'EDGE_SSO_REJECTED' } });
    t.ok((JSON.parse(again.text) as { error: { findings: string[] } }).error.findings.includes('SAML_REPLAY_DETECTED'));
    t.equal(callbacks(), before, 'Fleet never saw the replay');
  });

  t.test('attempts from both instances appear on either admin listener', async (t) => {
    const ids = new Set([...(await a.store.listAttempts()).map((x) => x.id)]);
    const onA = await adminJson<AttemptSummary[]>(a, '/api/attempts');
    const onB = await adminJson<AttemptSummary[]>(b, '/api/attempts');
    t.same(onA.map((x) => x.id), onB.map((x) => x.id), 'the same history, newest first');
    t.ok(onA.length >= 3);
    t.ok(new Set(onA.map((x) => x.id.split('-')[0])).size >= 2, 'written by two instances (different boot ids)');
    t.ok([...ids].every((id) => onB.some((x) => x.id === id)));
    const one = await adminJson<Attempt>(b, `/api/attempts/${onA[onA.length - 1].id}`);
    t.equal(one.id, onA[onA.length - 1].id, 'one attempt in full from the other instance');
  });

  t.test('Redis killed: traffic passes, healthz degraded, enforce fails closed, observe forwards with the finding', async (t) => {
    const { cookie: cookieE, body: bodyE } = await initiate(a.url);
    const { cookie: cookieO, body: bodyO } = await initiate(a.url);
    await redis.kill();

    const t0 = Date.now();
    for (let i = 0; i < 5; i++) {
      const r = await request(a.url + '/api/osquery/distributed/read', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"node_key":"k"}' });
      t.equal(r.statusCode, 200, 'agent traffic passes');
      await r.body.dump();
    }
    t.ok(Date.now() - t0 < 2000, 'and is not slowed down');

    const h = await adminJson<{ status: string; reason: string; store: { status: string } }>(a, '/healthz');
    t.match(h, { status: 'degraded', store: { backend: 'redis', status: 'degraded' } });
    t.type(h.reason, 'string');
    t.match(await metrics(a), /^samlscope_state_degraded\{backend="redis"\} 1$/m, 'the degraded gauge');

    const before = callbacks();
    const t1 = Date.now();
    const blocked = await callback(b.url, bodyE, cookieE);
    t.ok(Date.now() - t1 < 3000, 'the callback did not hang on the dead Redis');
    t.equal(blocked.status, 403);
    t.match(JSON.parse(blocked.text), { error: { code: 'EDGE_STATE_UNAVAILABLE', findings: ['SAML_REPLAY_STATE_UNAVAILABLE'] } });
    t.equal(callbacks(), before, 'enforce: Fleet never saw it');
    const onB = await attemptOn(b, (x) => x.fleet.actual === 'blocked' && x.findings.some((f) => f.code === 'SAML_REPLAY_STATE_UNAVAILABLE'));
    t.ok(onB, 'the blocked attempt is on B\'s admin listener (kept locally)');

    const forwarded = await callback(observer.url, bodyO, cookieO);
    t.equal(forwarded.status, 200, 'observe: forwarded');
    t.equal(callbacks(), before + 1, 'Fleet saw it');
    const seen = await attemptOn(observer, (x) => x.findings.some((f) => f.code === 'SAML_REPLAY_STATE_UNAVAILABLE'));
    t.match(seen, { fleet: { actual: 'success' } }, 'with the finding, and Fleet\'s answer');
    t.match(await adminJson(observer, '/healthz'), { status: 'degraded' });
  });
});

t.test('a login that never came back is reported once across two instances sharing Redis; an answered one never', async (t) => {
  const redis = await startRedis(t);
  let skewMs = 0;
  const now = () => new Date(Date.now() + skewMs);
  const { sim, idp, proxy: a } = await setup(t, 'observe', { redisUrl: redis.url, loginTimeoutMs: 60_000, now });
  const b = await startProxy({ upstream: sim.url, metadata: { url: idp.metadataUrl }, entityId: ENTITY_ID, publicUrl: a.url, mode: 'observe', redisUrl: redis.url, loginTimeoutMs: 60_000, now });
  t.teardown(() => b.close());
  // bob's login: Fleet answers the initiate, Entra stops him on its own page, no callback ever comes
  const bob = await request(a.url + '/api/v1/fleet/sso', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"relay_url":"/"}' });
  t.equal(bob.statusCode, 200);
  await bob.body.dump();
  const alice = await initiate(a.url);
  t.equal((await callback(b.url, alice.body, alice.cookie)).status, 200, 'alice: initiated on A, answered through B');
  const waiting = await adminJson<{ outcome: string }[]>(b, '/api/logins/in-progress');
  t.match(waiting, [{ outcome: 'in_progress' }], 'B lists bob\'s login, started on A, as in progress (and not alice\'s)');
  skewMs = 61_000;
  const together = await Promise.all([a.sweepUnanswered(), b.sweepUnanswered()]);
  const again = [await a.sweepUnanswered(), await b.sweepUnanswered()];
  t.equal([...together, ...again].reduce((x, y) => x + y, 0), 1, 'claimed by exactly one instance');
  const seen = (await adminJson<AttemptSummary[]>(a, '/api/attempts')).filter((x) => x.outcome === 'no_idp_response');
  t.equal(seen.length, 1, 'one no_idp_response attempt in the shared history');
  t.ok(seen[0].findings.some((f) => f.code === 'SAML_IDP_NO_RESPONSE'));
});
