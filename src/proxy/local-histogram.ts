// A Prometheus histogram whose observe() is a bucket scan and three additions: the pass-through's per-request latency, off prom-client's
// per-observation label handling (convert, validate, hash). It exports exactly what a prom-client Histogram does (a test compares them),
// so the registry, the text format and the cluster aggregation (summed bucket by bucket) treat it as one.
import type { MetricValueWithName } from 'prom-client';

/** the shape prom-client's Histogram.get() resolves to */
export interface HistogramExport { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: MetricValueWithName<string>[] }

interface Series { labels: Record<string, string>; buckets: Float64Array; sum: number; count: number }

/** one exported sample, fields as prom-client writes them (buckets carry `exemplar: null`, sum and count an undefined one) */
function sample(metricName: string, labels: Record<string, string | number>, value: number, exemplar: null | undefined): MetricValueWithName<string> {
  return { value, metricName, exemplar, labels } as MetricValueWithName<string>;
}

export interface LocalHistogramChild {
  observe(value: number): void;
}

export class LocalHistogram<L extends string> {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: L,
    private readonly upperBounds: readonly number[],
  ) {}

  /** the series for one label value (made on first use, shown once something was observed in it) */
  labels(value: string): LocalHistogramChild {
    let s = this.series.get(value);
    if (!s) {
      s = { labels: { [this.labelName]: value }, buckets: new Float64Array(this.upperBounds.length), sum: 0, count: 0 };
      this.series.set(value, s);
    }
    const series = s;
    const bounds = this.upperBounds;
    return {
      observe(v: number): void {
        if (!Number.isFinite(v)) return;
        for (let i = 0; i < bounds.length; i++) {
          if (v <= bounds[i]) { series.buckets[i]++; break; }
        }
        series.sum += v;
        series.count++;
      },
    };
  }

  /** prom-client's Metric.get(): what Registry.metrics() prints and AggregatorRegistry sums */
  async get(): Promise<HistogramExport> {
    const values: MetricValueWithName<string>[] = [];
    for (const s of this.series.values()) {
      if (s.count === 0) continue;
      let acc = 0;
      this.upperBounds.forEach((le, i) => {
        acc += s.buckets[i];
        values.push(sample(`${this.name}_bucket`, { le, ...s.labels }, acc, null));
      });
      values.push(sample(`${this.name}_bucket`, { le: '+Inf', ...s.labels }, s.count, null));
      values.push(sample(`${this.name}_sum`, { ...s.labels }, s.sum, undefined));
      values.push(sample(`${this.name}_count`, { ...s.labels }, s.count, undefined));
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}
