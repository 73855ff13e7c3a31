// Two proxies sharing one real Redis, both reading Entra's sign-in log: bob's login that never came back gets SAML_ENTRA_SIGNIN_FAILED exactly once, visible from either instance.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { startFleetSim } from '../src/fleet-sim/server.js';
import { startMockIdp } from '../src/idp/server.js';
import { startProxy, type ProxyOptions } from '../src/proxy/server.js';
import type { Attempt, AttemptSummary } from '../src/proxy/attempt.js';
import { config, ENTITY_ID } from './sso-stack.js';
import { startRedis } from './redis-server.js';

const TLS_CA = readFileSync('certs/test-only-tls-localhost.cert.pem', 'utf8');

t.test('sign-in log matching across two instances sharing Redis', async (t) => {
  const redis = await startRedis(t);
  let skewMs = 0;
  const now = () => new Date(Date.now() + skewMs);
  const sim = await startFleetSim({ entityId: ENTITY_ID, users: [{ email: 'bob@contoso.example', ssoEnabled: true }] });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config, graph: { clients: [{ clientId: 'c0ffee00-0000-4000-8000-000000000001', secret: 's', permissions: ['Application.Read.All', 'AuditLog.Read.All'] }] } });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  const matched: Attempt[] = [];
  let signal!: () => void;
  const first = new Promise<void>((r) => { signal = r; });
  const entra = (): ProxyOptions['entra'] => ({
    graph: { tenantId: idp.tenantId, clientId: 'c0ffee00-0000-4000-8000-000000000001', clientSecret: 's', authorityHost: idp.graph!.url, graphUrl: idp.graph!.url, ca: TLS_CA },
    pollDelaysMs: [0, 50, 100], onMatched: (a) => { matched.push(a); signal(); },
  });
  const a = await startProxy({ upstream: sim.url, metadata: { url: idp.metadataUrl }, entityId: ENTITY_ID, mode: 'observe', redisUrl: redis.url, loginTimeoutMs: 60_000, now, entra: entra() });
  t.teardown(() => a.close());
  sim.configure({ serverUrl: a.url });
  idp.addReplyUrls([a.acsUrl]);
  const b = await startProxy({ upstream: sim.url, metadata: { url: idp.metadataUrl }, entityId: ENTITY_ID, publicUrl: a.url, mode: 'observe', redisUrl: redis.url, loginTimeoutMs: 60_000, now, entra: entra() });
  t.teardown(() => b.close());

  // bob: Fleet answers the initiate through A, Entra stops him on AADSTS50105, no callback ever comes
  const init = await request(a.url + '/api/v1/fleet/sso', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"relay_url":"/"}' });
  const idpUrl = new URL(((await init.body.json()) as { url: string }).url);
  idpUrl.searchParams.set('login_hint', 'bob@contoso.example');
  const page = await request(idpUrl);
  t.equal(page.statusCode, 400);
  await page.body.dump();
  skewMs = 61_000;
  const claimed = (await Promise.all([a.sweepUnanswered(), b.sweepUnanswered()])).reduce((x, y) => x + y, 0);
  t.equal(claimed, 1, 'claimed by exactly one instance');
  await first;
  t.equal(matched.length, 1, 'matched once');
  for (const p of [a, b]) {
    const list = (await (await request(p.adminUrl + '/api/attempts')).body.json()) as AttemptSummary[];
    const rows = list.filter((x) => x.outcome === 'no_idp_response');
    t.equal(rows.length, 1);
    t.match(rows[0].entraSignIn, { user: 'bob@contoso.example', aadsts: '50105' }, 'seen from either instance');
  }
});
