// Two enforce proxies sharing state through a real Redis Cluster and through Sentinel: a login correlates across them, its replay is blocked.
import t from 'tap';
import { startProxy } from '../src/proxy/server.js';
import { ENTITY_ID, setup } from './sso-stack.js';
import { startRedisCluster, startRedisSentinel } from './redis-topologies.js';
import { callback, initiate } from './sso-login-steps.js';

for (const [name, start] of [['Redis Cluster', startRedisCluster], ['Sentinel', startRedisSentinel]] as const) {
  t.test(`two proxies on ${name}`, async (t) => {
    const { url: redisUrl } = await start(t);
    const { sim, idp, proxy: a, callbacks } = await setup(t, 'enforce', { redisUrl });
    const b = await startProxy({ upstream: sim.url, metadata: { url: idp.metadataUrl }, entityId: ENTITY_ID, publicUrl: a.url, mode: 'enforce', redisUrl });
    t.teardown(() => b.close());
    t.match(await a.store.health(), { backend: 'redis', status: 'ok' });

    const { cookie, body } = await initiate(a.url);
    t.equal((await callback(b.url, body, cookie)).status, 200, 'initiated through A, answered through B');
    const [latest] = await b.store.listAttempts(1);
    t.match(latest, { verdict: 'accept', session: { cookie: true, known: true }, fleet: { actual: 'success' } }, 'correlated with the AuthnRequest A recorded');

    const before = callbacks();
    const again = await callback(a.url, body);
    t.equal(again.status, 403, 'the replay through A is blocked');
    t.ok((JSON.parse(again.text) as { error: { findings: string[] } }).error.findings.includes('SAML_REPLAY_DETECTED'));
    t.equal(callbacks(), before, 'Fleet never saw it');
  });
}
