// RedisStore on a real three-master Redis Cluster: replay, AuthnRequests, claims and attempts shared by two instances, all keys in one slot.
import t from 'tap';
import { Redis } from 'ioredis';
import { openRedisStore } from '../src/proxy/store-redis.js';
import type { Attempt, RecordedAuthnRequest } from '../src/proxy/attempt.js';
import { startRedisCluster } from './redis-topologies.js';

const rec = (id: string): RecordedAuthnRequest => ({
  request: { id, xml: '<samlp:AuthnRequest/>' } as RecordedAuthnRequest['request'],
  findings: [], flow: 'sso', relayState: null, recordedAt: '2026-01-01T00:00:00.000Z', initiateRequestId: 'r-1',
});

const attempt = (id: string, time: string): Attempt => ({
  id, time, flow: 'sso', mode: 'observe', verdict: 'accept', findings: [], fleet: { predicted: 'success', actual: 'success', answer: null },
  action: 'forwarded', nameId: 'alice@contoso.example', session: { cookie: true, known: true, authnRequest: rec('id-' + id) },
  client: { ip: '127.0.0.1', userAgent: null }, timings: { analyzeMs: 1, upstreamMs: 1, totalMs: 2 }, bodyBytes: 1, outcome: 'fleet_accepted',
  fleetStatus: 'ok', fleetRead: { outcome: 'read', source: 'body' }, judgedSha256: null, report: null,
} as unknown as Attempt);

t.test('two instances on one Redis Cluster', async (t) => {
  const cluster = await startRedisCluster(t);
  const a = await openRedisStore({ url: cluster.url, attempts: 3 });
  const b = await openRedisStore({ url: cluster.url, attempts: 3 });
  t.teardown(async () => { await a.close(); await b.close(); });
  t.equal(a.target, 'cluster');
  t.match(await a.health(), { backend: 'redis', status: 'ok', reason: null });

  t.test('an assertion seen on one is a replay on the other; ten racing sightings have one first', async (t) => {
    const until = new Date(Date.now() + 10_000);
    t.equal(await a.seenAssertion('_assertion-1', until), false);
    t.equal(await b.seenAssertion('_assertion-1', until), true);
    const ten = Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).seenAssertion('_race', until));
    t.equal((await Promise.all(ten)).filter((seen) => !seen).length, 1);
  });

  t.test('an AuthnRequest recorded on one is taken once, on the other', async (t) => {
    await a.recordAuthnRequest('session-1', rec('id-1'), 10_000);
    t.match(await b.takeAuthnRequest('session-1'), { request: { id: 'id-1' } });
    t.equal(await a.takeAuthnRequest('session-1'), null);
    await b.recordAuthnRequest('session-2', rec('id-2'), 10_000);
    const both = await Promise.all([a.takeAuthnRequest('session-2'), b.takeAuthnRequest('session-2')]);
    t.equal(both.filter((x) => x !== null).length, 1);
  });

  t.test('claimUnanswered hands each overdue login to exactly one instance', async (t) => {
    const ids = Array.from({ length: 20 }, (_, i) => `_req-${i}`);
    const past = new Date(Date.now() - 1000);
    for (const [i, id] of ids.entries()) await (i % 2 ? a : b).expectCallback(rec(id), past);
    await a.expectCallback(rec('_answered'), past);
    await b.callbackArrived('_answered');
    await a.expectCallback(rec('_later'), new Date(Date.now() + 60_000));
    t.same((await b.listExpected()).map((e) => e.rec.request.id).sort(), [...ids, '_later'].sort(), 'one index, seen by both');
    const now = new Date();
    const [x, y] = await Promise.all([a.claimUnanswered(now), b.claimUnanswered(now)]);
    const got = [...x, ...y].map((r) => r.request.id);
    t.same([...got].sort(), [...ids].sort(), 'every overdue login claimed once; the answered and the later ones not');
    t.same([...await a.claimUnanswered(new Date()), ...await b.claimUnanswered(new Date())], []);
  });

  t.test('attempts: one bounded history, what falls off is deleted', async (t) => {
    for (const [i, id] of ['a1', 'a2', 'a3', 'a4'].entries()) await (i % 2 ? a : b).addAttempt(attempt(id, `2026-01-01T00:00:0${i}.000Z`));
    t.same((await b.listAttempts()).map((x) => x.id), ['a4', 'a3', 'a2']);
    t.equal(await a.getAttempt('a1'), null);
    const changed = { ...attempt('a3', '2026-01-01T00:00:02.000Z'), nameId: 'bob@contoso.example' };
    t.equal(await b.updateAttempt(changed), true);
    t.equal((await a.getAttempt('a3'))?.nameId, 'bob@contoso.example');
  });

  t.test('every key of the deployment lives in one slot (the prefix is the hash tag)', async (t) => {
    const perNode: string[][] = [];
    const slots = new Set<string>();
    let tag = '';
    for (const port of cluster.ports) {
      const node = new Redis({ host: '127.0.0.1', port });
      try {
        const here = await node.keys('*');
        perNode.push(here);
        for (const k of here) slots.add(String(await node.call('CLUSTER', 'KEYSLOT', k)));
        if (port === cluster.ports[0]) tag = String(await node.call('CLUSTER', 'KEYSLOT', 'samlscope:'));
      } finally {
        node.disconnect();
      }
    }
    const keys = perNode.flat();
    t.ok(keys.length >= 5, `keys written: ${keys.length}`);
    t.ok(keys.every((k) => k.startsWith('{samlscope:}')), 'all under {samlscope:}');
    t.equal(perNode.filter((k) => k.length > 0).length, 1, 'one master holds them all');
    t.same([...slots], [tag], 'one slot: the slot of the tag');
  });
});
