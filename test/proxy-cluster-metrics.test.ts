// /metrics across workers, in process: how each metric is aggregated (counters and histograms summed, gauges min/max/first), the per-worker time bound, and the single-process path untouched.
import t from 'tap';
import { pollUntil } from './wait.js';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { request } from 'undici';
import { aggregateWorkerMetrics, gatherWorkerMetrics, type WorkerMetrics } from '../src/proxy/cluster-metrics.js';
import { LocalHistogram } from '../src/proxy/local-histogram.js';
import { createMetrics } from '../src/proxy/metrics.js';
import type { MetadataSource, MetadataStatus } from '../src/proxy/metadata-source.js';
import type { ProxyStore, StoreHealth } from '../src/proxy/store.js';
import { startProxy } from '../src/proxy/server.js';
import { recordingUpstream, testMetadata } from './proxy-helpers.js';

const NOW = new Date('2026-01-15T00:00:00Z');

/** One worker's metrics with its own metadata state and store health. */
function worker(s: { lastError: string | null; refreshes: number; lastFetchAt: string; degraded: boolean }) {
  const md = testMetadata();
  const status: MetadataStatus = { source: 'url', location: 'https://idp.example.test/md', entityId: md.entityId, loadedAt: '2026-01-14T00:00:00Z', lastFetchAt: s.lastFetchAt, lastError: s.lastError, refreshes: s.refreshes };
  const metadata = { current: () => md, status: () => status } as unknown as MetadataSource;
  const health: StoreHealth = { backend: 'redis', status: s.degraded ? 'degraded' : 'ok', reason: s.degraded ? 'timeout' : null };
  const store = { health: async () => health } as unknown as ProxyStore;
  return createMetrics({ metadata, store, now: () => NOW });
}

function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

t.test('counters and histograms are summed; each gauge aggregates its own way', async (t) => {
  const a = worker({ lastError: null, refreshes: 3, lastFetchAt: '2026-01-14T10:00:00Z', degraded: false });
  const b = worker({ lastError: 'HTTP 503', refreshes: 5, lastFetchAt: '2026-01-14T12:00:00Z', degraded: true });
  for (let i = 0; i < 3; i++) a.passthrough(200, 20);
  for (let i = 0; i < 4; i++) b.passthrough(200, 2_000);
  b.passthrough(502, 30);
  a.response('sso', 302);
  b.response('sso', 302);
  b.edgeRefused('agent');

  const text = await aggregateWorkerMetrics([await a.json(), await b.json()], 2);
  t.equal(sample(text, 'samlscope_http_responses_total{route="passthrough",class="2xx"}'), 7, 'counter: summed');
  t.equal(sample(text, 'samlscope_http_responses_total{route="passthrough",class="5xx"}'), 1, 'a series only one worker has');
  t.equal(sample(text, 'samlscope_http_responses_total{route="sso",class="3xx"}'), 2);
  t.equal(sample(text, 'samlscope_edge_refused_total{kind="agent"}'), 1);
  t.equal(sample(text, 'samlscope_upstream_seconds_count{route="passthrough"}'), 8, 'histogram count: summed');
  t.equal(sample(text, 'samlscope_upstream_seconds_bucket{le="0.025",route="passthrough"}'), 3, 'histogram buckets: merged bucket by bucket');
  t.equal(sample(text, 'samlscope_upstream_seconds_bucket{le="2.5",route="passthrough"}'), 8);
  t.ok(Math.abs((sample(text, 'samlscope_upstream_seconds_sum{route="passthrough"}') ?? 0) - (3 * 0.02 + 4 * 2 + 0.03)) < 1e-9, 'histogram sum: summed');
  t.equal(sample(text, 'samlscope_metadata_fetch_ok{source="url"}'), 0, 'fetch_ok: min (one worker failed)');
  t.equal(sample(text, 'samlscope_metadata_refreshes_total'), 5, 'refreshes: max');
  t.equal(sample(text, 'samlscope_metadata_last_fetch_timestamp_seconds'), Date.parse('2026-01-14T12:00:00Z') / 1000, 'last fetch: max (the newest)');
  t.equal(sample(text, 'samlscope_state_degraded{backend="redis"}'), 1, 'state_degraded: max (one worker cannot reach Redis)');
  const cert = testMetadata().certs[0];
  const days = Math.floor((Date.parse(cert.notAfter) - NOW.getTime()) / 86_400_000);
  t.equal(sample(text, `samlscope_idp_cert_expiry_days{thumbprint="${cert.thumbprintSha1}",use="${cert.use}"}`), days, 'cert expiry: one worker\'s value, not twice it');
  t.equal(sample(text, 'samlscope_workers'), 2);
  t.equal(sample(text, 'samlscope_workers_answered'), 2);
});

t.test('gathering waits at most the timeout: a worker that does not answer is left out', async (t) => {
  const quick: WorkerMetrics = [];
  const began = Date.now();
  const got = await gatherWorkerMetrics([async () => quick, () => new Promise<WorkerMetrics | null>(() => undefined), async () => { throw new Error('channel closed'); }], 100);
  t.same(got, [quick], 'only the answer that came');
  t.ok(Date.now() - began < 1_000, 'bounded by the timeout');
  const text = await aggregateWorkerMetrics(got, 3);
  t.equal(sample(text, 'samlscope_workers'), 3);
  t.equal(sample(text, 'samlscope_workers_answered'), 1);
});

t.test('one process (no --workers): /metrics is its own registry, no worker gauges', async (t) => {
  const up = await recordingUpstream();
  t.teardown(() => up.close());
  const proxy = await startProxy({ upstream: up.url, metadata: testMetadata(), listen: { host: '127.0.0.1', port: 0 } });
  t.teardown(() => proxy.close());
  await (await request(proxy.url + '/api/v1/fleet/version')).body.text();
  // the pass-through counts a request when its response has ended on the proxy side, which may come just after the client read it
  const text = await pollUntil('the request in /metrics', async () => {
    const m = await (await request(`${proxy.adminUrl}/metrics`)).body.text();
    return sample(m, 'samlscope_http_responses_total{route="passthrough",class="2xx"}') === 1 && m;
  }, { timeoutMs: 5_000, everyMs: 20 });
  t.equal(sample(text, 'samlscope_http_responses_total{route="passthrough",class="2xx"}'), 1, 'its own request counted');
  t.notMatch(text, /samlscope_workers/, 'no worker gauges');
  t.ok(proxy.metrics, 'the handle exposes its own metrics');
});

t.test('LocalHistogram exports what a prom-client Histogram does for the same observations, alone and aggregated across workers', async (t) => {
  const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  // seeded values across every bucket, on the bounds themselves (le is inclusive), above the last and at 0
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const values = [0, ...bounds, 11, 1e6, ...Array.from({ length: 500 }, () => rand() ** 3 * 12)];
  const pair = () => {
    const reg = { ours: new Registry(), theirs: new Registry() };
    const ours = new LocalHistogram('h_seconds', 'help text', 'route', bounds);
    reg.ours.registerMetric(ours as unknown as Histogram<'route'>);
    const theirs = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['route'] as const, buckets: bounds, registers: [reg.theirs] });
    return { reg, ours, theirs };
  };
  const a = pair();
  t.equal(await a.reg.ours.metrics(), await a.reg.theirs.metrics(), 'nothing observed: the same (no series yet)');
  const [oa, ta] = [a.ours.labels('passthrough'), a.theirs.labels('passthrough')];
  values.forEach((v, i) => { oa.observe(v); ta.observe(v); if (i % 3 === 0) { a.ours.labels('sso_callback').observe(v); a.theirs.labels('sso_callback').observe(v); } });
  t.equal(await a.reg.ours.metrics(), await a.reg.theirs.metrics(), 'the text exposition: byte for byte');
  t.same(await a.reg.ours.getMetricsAsJSON(), await a.reg.theirs.getMetricsAsJSON(), 'the JSON the cluster primary aggregates');
  const b = pair();
  for (const v of values.slice(0, 100)) { b.ours.labels('passthrough').observe(v * 2); b.theirs.labels('passthrough').observe(v * 2); }
  const agg = async (k: 'ours' | 'theirs') => AggregatorRegistry.aggregate([await a.reg[k].getMetricsAsJSON(), await b.reg[k].getMetricsAsJSON()]).metrics();
  t.equal(await agg('ours'), await agg('theirs'), 'summed across two workers: the same');
});
