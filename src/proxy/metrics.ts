// Prometheus metrics of one proxy instance (its own prom-client Registry): SSO attempts, analysis and upstream time, status classes, metadata and cert expiry.
import { Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Attempt } from './attempt.js';
import { LocalHistogram } from './local-histogram.js';
import type { MetadataSource } from './metadata-source.js';
import type { ProxyStore } from './store.js';

export interface ProxyMetrics {
  registry: Registry;
  /** one recorded SSO attempt (verdict, codes, Fleet's outcome, analysis and upstream time) */
  attempt(a: Attempt): void;
  /** one answered SSO request (Fastify's onResponse): counts its status class only; the pass-through counts through passthrough() */
  response(route: 'sso', status: number): void;
  /** one finished pass-through request: its status class and its time from request to response end (array increments; prom-client sees them when scraped) */
  passthrough(status: number, ms: number): void;
  /** Entra's sign-in log explained a login that never came back (SAML_ENTRA_SIGNIN_FAILED added later) */
  entraSignIn(aadsts: string): void;
  /** edge mode: one request refused because it is not an SSO route (kind: agent traffic, a websocket or anything else) */
  edgeRefused(kind: 'agent' | 'websocket' | 'other'): void;
  /** the Prometheus text exposition (with --workers N, the admin worker's is the sum over the workers: cluster-metrics.ts) */
  text(): Promise<string>;
  /** this process's metrics as prom-client JSON, what the primary aggregates with --workers N (each metric names its aggregator) */
  json(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
  contentType: string;
}

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
const DAY_MS = 86_400_000;

/** Metrics for one proxy; the metadata gauges are read when scraped, nothing runs in between.
 *  Counters and histograms are summed across workers (prom-client's default); each gauge says how (`aggregator`). */
export function createMetrics(o: { metadata: MetadataSource; now?: () => Date; store?: ProxyStore }): ProxyMetrics {
  const registry = new Registry();
  const now = o.now ?? (() => new Date());
  const logins = new Counter({
    name: 'samlscope_attempts_total', help: 'Logins by outcome (signed_in, fleet_rejected, saml_rejected, blocked, no_idp_response) and flow',
    labelNames: ['outcome', 'flow'] as const, registers: [registry],
  });
  const attempts = new Counter({
    name: 'samlscope_sso_attempts_total', help: 'SSO callbacks judged, by samlscope verdict, Fleet\'s actual outcome and flow',
    labelNames: ['verdict', 'fleet_outcome', 'flow'] as const, registers: [registry],
  });
  const findings = new Counter({
    name: 'samlscope_sso_findings_total', help: 'Findings reported on SSO attempts, by stable code and severity',
    labelNames: ['code', 'severity'] as const, registers: [registry],
  });
  const analysis = new Histogram({
    name: 'samlscope_sso_analysis_seconds', help: 'Time to judge one SSO callback (decode, verify, check)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry],
  });
  // the pass-through observes it once per agent request: a LocalHistogram, whose observe() does no label handling (local-histogram.ts)
  const upstream = new LocalHistogram('samlscope_upstream_seconds',
    'Time Fleet took to answer, by route (sso_callback: Fleet alone; passthrough: request arrival to response end, through the proxy)',
    'route', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  registry.registerMetric(upstream as unknown as Histogram<'route'>);
  const ssoUpstreamTime = upstream.labels('sso_callback');
  // pass-through status classes: plain numbers per request, handed to prom-client when scraped
  const passCounts = new Float64Array(CLASSES.length);
  const passFlushed = new Float64Array(CLASSES.length);
  const responses = new Counter({
    name: 'samlscope_http_responses_total', help: 'Responses the proxy listener sent, by route kind and status class',
    labelNames: ['route', 'class'] as const, registers: [registry],
    collect() {
      CLASSES.forEach((c, i) => {
        if (passCounts[i] > passFlushed[i]) this.labels('passthrough', c).inc(passCounts[i] - passFlushed[i]);
        passFlushed[i] = passCounts[i];
      });
    },
  });
  // children made once: the per-request cost is one array index and one increment
  const children = { sso: CLASSES.map((c) => responses.labels('sso', c)) };
  const passthroughTime = upstream.labels('passthrough');
  const edgeRefused = new Counter({
    name: 'samlscope_edge_refused_total', help: 'Edge mode: requests refused with EDGE_NOT_SSO_ROUTE because the front proxy sent samlscope something other than an SSO route, by kind (agent, websocket, other)',
    labelNames: ['kind'] as const, registers: [registry],
  });
  const md = o.metadata;
  new Gauge({
    name: 'samlscope_metadata_fetch_ok', help: '1 when the last IdP metadata load or refresh succeeded, 0 when it failed (the last good copy stays in use)',
    // across workers: 0 when any worker's last load failed
    labelNames: ['source'] as const, registers: [registry], aggregator: 'min',
    collect() { const s = md.status(); this.reset(); this.labels(s.source).set(s.lastError === null ? 1 : 0); },
  });
  new Gauge({
    name: 'samlscope_metadata_last_fetch_timestamp_seconds', help: 'When the IdP metadata was last fetched (url sources) or loaded',
    registers: [registry], aggregator: 'max',
    collect() { const s = md.status(); this.set(Date.parse(s.lastFetchAt ?? s.loadedAt) / 1000); },
  });
  new Gauge({
    name: 'samlscope_metadata_refreshes_total', help: 'Successful IdP metadata refreshes since start (across workers: the most any one worker made; each refreshes on its own timer)',
    registers: [registry], aggregator: 'max',
    collect() { this.set(md.status().refreshes); },
  });
  new Gauge({
    name: 'samlscope_idp_cert_expiry_days', help: 'Days until each IdP signing certificate in the metadata expires (negative: expired)',
    // every worker reads the same metadata: one worker's value per certificate
    labelNames: ['thumbprint', 'use'] as const, registers: [registry], aggregator: 'first',
    collect() {
      this.reset();
      const t = now().getTime();
      for (const c of md.current().certs) this.labels(c.thumbprintSha1, c.use).set(Math.floor((Date.parse(c.notAfter) - t) / DAY_MS));
    },
  });
  const store = o.store;
  if (store) {
    new Gauge({
      name: 'samlscope_state_degraded', help: '1 while the shared state (Redis) does not answer: SSO callbacks are judged without it and enforce mode blocks them',
      // across workers: 1 when any worker cannot reach Redis
      labelNames: ['backend'] as const, registers: [registry], aggregator: 'max',
      async collect() { const h = await store.health(); this.reset(); this.labels(h.backend).set(h.status === 'ok' ? 0 : 1); },
    });
  }
  const entraSignIns = new Counter({
    name: 'samlscope_entra_signins_matched_total', help: 'Attempts Entra\'s sign-in log (Graph) explained, by AADSTS code (0: Entra succeeded, the failure was Fleet\'s)',
    labelNames: ['aadsts'] as const, registers: [registry],
  });
  return {
    registry,
    contentType: registry.contentType,
    entraSignIn(aadsts) {
      entraSignIns.labels(aadsts).inc();
      if (aadsts === '0') findings.labels('SAML_ENTRA_SIGNIN_SUCCEEDED', 'info').inc();
      else findings.labels('SAML_ENTRA_SIGNIN_FAILED', 'error').inc();
    },
    attempt(a) {
      logins.labels(a.outcome, a.flow).inc();
      for (const f of a.findings) findings.labels(f.code, f.severity).inc();
      if (a.verdict === null) return; // no callback came: nothing was judged
      attempts.labels(a.verdict, a.fleet.actual, a.flow).inc();
      analysis.observe(a.timings.analyzeMs / 1000);
      if (a.timings.upstreamMs !== null) ssoUpstreamTime.observe(a.timings.upstreamMs / 1000);
    },
    response(_route, status) {
      children.sso[Math.floor(status / 100) - 1]?.inc();
    },
    passthrough(status, ms) {
      const i = Math.floor(status / 100) - 1;
      if (i >= 0 && i < CLASSES.length) passCounts[i]++;
      passthroughTime.observe(ms / 1000);
    },
    edgeRefused(kind) {
      edgeRefused.labels(kind).inc();
    },
    text: () => registry.metrics(),
    json: () => registry.getMetricsAsJSON(),
  };
}
