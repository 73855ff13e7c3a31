// `proxy --workers N`: one /metrics for all workers; the primary asks each live worker for its metrics (bounded in time) and sums them with prom-client's AggregatorRegistry.
import { AggregatorRegistry, Gauge, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/** One worker's metrics as prom-client JSON (`registry.getMetricsAsJSON()`), each metric naming its aggregator. */
export type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

/** A worker that has not answered within this is left out of the scrape (the answered gauge says so). */
export const WORKER_METRICS_TIMEOUT_MS = 2_000;

/** Asks every worker at once; resolves after all answered or timeoutMs passed, with the answers that came (null: the worker failed or is gone). */
export async function gatherWorkerMetrics(ask: (() => Promise<WorkerMetrics | null>)[], timeoutMs = WORKER_METRICS_TIMEOUT_MS): Promise<WorkerMetrics[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((r) => { timer = setTimeout(() => r(null), timeoutMs); });
  const answers = await Promise.all(ask.map((a) => Promise.race([a().catch(() => null), late])));
  clearTimeout(timer);
  return answers.filter((a): a is WorkerMetrics => a !== null);
}

/** The Prometheus text for the whole cluster: the workers' metrics aggregated, plus how many workers were live and how many answered. */
export async function aggregateWorkerMetrics(answers: WorkerMetrics[], live: number): Promise<string> {
  const registry = AggregatorRegistry.aggregate(answers);
  new Gauge({ name: 'samlscope_workers', help: 'Live proxy workers (--workers N) when /metrics was scraped', registers: [registry] }).set(live);
  new Gauge({
    name: 'samlscope_workers_answered', help: `Workers whose metrics this scrape sums (a worker that does not answer within ${WORKER_METRICS_TIMEOUT_MS / 1000} s is left out)`, registers: [registry],
  }).set(answers.length);
  return registry.metrics();
}
