// RedisStore through a real Redis Sentinel (master, replica, sentinel): logins and replay checks before, during and after a forced failover.
import t from 'tap';
import { openRedisStore, type RedisStore } from '../src/proxy/store-redis.js';
import { StoreUnavailableError } from '../src/proxy/store.js';
import type { RecordedAuthnRequest } from '../src/proxy/attempt.js';
import { startRedisSentinel, until } from './redis-topologies.js';

const rec = (id: string): RecordedAuthnRequest => ({
  request: { id, xml: '<samlp:AuthnRequest/>' } as RecordedAuthnRequest['request'],
  findings: [], flow: 'sso', relayState: null, recordedAt: '2026-01-01T00:00:00.000Z', initiateRequestId: 'r-1',
});

/** a sighting: accepted (first), replay, or unavailable (the store did not answer: enforce blocks it) */
async function sight(s: RedisStore, id: string, until: Date): Promise<'first' | 'replay' | 'unavailable'> {
  try {
    return (await s.seenAssertion(id, until)) ? 'replay' : 'first';
  } catch (err) {
    if (err instanceof StoreUnavailableError) return 'unavailable';
    throw err;
  }
}

t.test('two instances through Sentinel, across a failover', async (t) => {
  const sentinel = await startRedisSentinel(t);
  const a = await openRedisStore({ url: sentinel.url, commandTimeoutMs: 1000 });
  const b = await openRedisStore({ url: sentinel.url, commandTimeoutMs: 1000 });
  t.teardown(async () => { await a.close(); await b.close(); });
  t.equal(a.target, 'sentinel');
  t.match(await a.health(), { backend: 'redis', status: 'ok' });
  const later = new Date(Date.now() + 600_000);

  // before: a login recorded on A, an assertion used through B, a login awaiting its callback
  await a.recordAuthnRequest('session-before', rec('_id-before'), 600_000);
  t.equal(await sight(b, '_assertion-before', later), 'first');
  t.equal(await sight(a, '_assertion-before', later), 'replay', 'replay across instances before the failover');
  await b.expectCallback(rec('_req-overdue'), new Date(Date.now() - 1000));
  await a.recordAuthnRequest('session-before-2', rec('_id-before-2'), 600_000);
  t.match(await b.takeAuthnRequest('session-before-2'), { request: { id: '_id-before-2' } }, 'taken through B before');

  // during: sightings keep coming while the sentinel moves the master
  const oldMaster = await sentinel.master();
  const outcomes = new Map<string, string>();
  let stop = false;
  const traffic = (async () => {
    for (let i = 0; !stop; i++) {
      const id = `_during-${i}`;
      outcomes.set(id, await sight(i % 2 ? a : b, id, later));
      await new Promise((r) => setImmediate(r));
    }
  })();
  const newMaster = await sentinel.failover();
  t.not(newMaster, oldMaster, `failed over from ${oldMaster} to ${newMaster}`);
  // both instances find the new master (bounded): a write acknowledged by a replica again
  for (const s of [a, b]) await until('the store writing to the new master', 20_000, async () => (await sight(s, `_probe-${Math.random()}`, later)) === 'first');
  stop = true;
  await traffic;

  t.test('nothing accepted twice: every assertion accepted before or during the failover is a replay after it', async (t) => {
    t.equal(await sight(a, '_assertion-before', later), 'replay');
    t.equal(await sight(b, '_assertion-before', later), 'replay');
    const accepted = [...outcomes].filter(([, o]) => o === 'first').map(([id]) => id);
    t.ok(accepted.length > 0, `${accepted.length} of ${outcomes.size} sightings during the failover accepted`);
    const again = await Promise.all(accepted.map((id, i) => sight(i % 2 ? b : a, id, later)));
    t.same(again.filter((o) => o !== 'replay'), [], 'each one is a replay now');
    t.notOk([...outcomes.values()].includes('replay'), 'no first sighting was taken for a replay either');
  });

  t.test('no recorded AuthnRequest lost, none taken twice', async (t) => {
    t.match(await b.takeAuthnRequest('session-before'), { request: { id: '_id-before' } }, 'recorded on A before, taken through B after');
    t.equal(await a.takeAuthnRequest('session-before'), null);
    t.equal(await a.takeAuthnRequest('session-before-2'), null, 'the one taken before stays taken');
    await b.recordAuthnRequest('session-after', rec('_id-after'), 600_000);
    t.match(await a.takeAuthnRequest('session-after'), { request: { id: '_id-after' } });
  });

  t.test('the overdue login is claimed by exactly one instance after the failover', async (t) => {
    const [x, y] = await Promise.all([a.claimUnanswered(new Date()), b.claimUnanswered(new Date())]);
    t.same([...x, ...y].map((r) => r.request.id), ['_req-overdue']);
  });

  t.test('no replica left to acknowledge: writes fail closed (unavailable), never accepted unreplicated', async (t) => {
    await sentinel.killReplica();
    t.equal(await sight(a, '_unreplicated', later), 'unavailable', 'the master took it, no replica did: not accepted');
    t.not(await sight(b, '_unreplicated', later), 'first', 'and never accepted later either');
    await t.rejects(a.recordAuthnRequest('session-unreplicated', rec('_id-u'), 600_000), StoreUnavailableError);
    t.match(await a.health(), { status: 'ok' }, 'PING still answers: reads and the admin listener work');
    t.match((await a.listExpected()).length, 0);
  });
});
