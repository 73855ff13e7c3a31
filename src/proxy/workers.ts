// `proxy --workers N`: node:cluster on one port; the primary forks, assigns roles, replaces crashed workers and drains them all on stop.
import cluster, { type Worker } from 'node:cluster';
import { aggregateWorkerMetrics, gatherWorkerMetrics, WORKER_METRICS_TIMEOUT_MS, type WorkerMetrics } from './cluster-metrics.js';

/** What the primary tells a worker: its slot (1..N, kept by a replacement) and whether it runs the admin listener. */
export interface WorkerRole { index: number; admin: boolean }

/** What a worker reports once its proxy listens. */
export interface WorkerReady { url: string; adminUrl: string | null; acsUrl: string }

// metrics: the admin worker sends `metrics.scrape`; the primary sends `metrics.collect` to every listening worker, sums the `metrics.part`s and answers `metrics.result`
type ToWorker = { samlscope: 'role'; role: WorkerRole } | { samlscope: 'drain' } | { samlscope: 'metrics.collect'; id: number } | { samlscope: 'metrics.result'; id: number; text: string | null; error?: string };
type FromWorker = { samlscope: 'hello' } | { samlscope: 'ready'; ready: WorkerReady } | { samlscope: 'failed'; message: string }
  | { samlscope: 'metrics.scrape'; id: number } | { samlscope: 'metrics.part'; id: number; metrics: WorkerMetrics | null };

export type ClusterEvent =
  | { event: 'worker.ready'; index: number; pid: number }
  | { event: 'worker.exited'; index: number; pid: number; code: number | null; signal: string | null; replacing: boolean };

export interface ClusterOptions {
  workers: number;
  /** how long a worker may drain on stop before it is killed (its own --shutdown-grace plus a margin) */
  killAfterMs: number;
  /** a crashed worker is forked again after this delay (default 500 ms; doubles while it keeps crashing within 10 s, ≤ 30 s) */
  restartDelayMs?: number;
  onEvent?: (e: ClusterEvent) => void;
}

export interface ClusterHandle {
  /** resolves once every worker listens (the first worker's URLs, the worker pids); rejects when a worker fails to start */
  ready: Promise<WorkerReady & { pids: number[] }>;
  /** current worker pids by slot */
  pids(): number[];
  /** stop replacing, ask every worker to drain, wait for all to exit; resolves to 0 when all exited 0 */
  stop(): Promise<number>;
}

/** True in a process forked by startCluster (only meaningful when the command asked for --workers > 1). */
export const isClusterWorker = (): boolean => cluster.isWorker;

function send(w: Worker | null, m: ToWorker | FromWorker): void {
  try {
    if (w) w.send(m);
    else process.send?.(m);
  } catch { /* the channel is gone: the exit handler (primary) or drainRequested (worker) deals with it */ }
}

/** In the primary: fork the workers. Worker 1 (and its replacements) runs the admin listener, the others run none. */
export function startCluster(o: ClusterOptions): ClusterHandle {
  const slots = new Map<number, Worker>();
  const everReady = new Set<number>();
  const crashes = new Map<number, { at: number; delay: number }>();
  let first: WorkerReady | null = null;
  let stopping = false;
  let settle: { resolve(v: WorkerReady & { pids: number[] }): void; reject(e: Error): void } | null = null;
  const ready = new Promise<WorkerReady & { pids: number[] }>((resolve, reject) => { settle = { resolve, reject }; });
  ready.catch(() => undefined);
  const exits: Promise<number | null>[] = [];
  const pids = () => [...slots.values()].map((w) => w.process.pid as number);
  // metrics are collected only when scraped: from the workers that listen, each given WORKER_METRICS_TIMEOUT_MS
  const listening = new Set<Worker>();
  const parts = new Map<number, (m: WorkerMetrics | null) => void>();
  let partSeq = 0;
  const askWorker = (w: Worker) => new Promise<WorkerMetrics | null>((resolve) => {
    const id = ++partSeq;
    const timer = setTimeout(() => { parts.delete(id); resolve(null); }, WORKER_METRICS_TIMEOUT_MS);
    parts.set(id, (m) => { clearTimeout(timer); parts.delete(id); resolve(m); });
    send(w, { samlscope: 'metrics.collect', id });
  });
  const scrape = async (from: Worker, id: number) => {
    const targets = [...listening];
    try {
      const answers = await gatherWorkerMetrics(targets.map((t) => () => askWorker(t)));
      send(from, { samlscope: 'metrics.result', id, text: await aggregateWorkerMetrics(answers, targets.length) });
    } catch (e) {
      // should aggregating throw (a bug), that one scrape fails with a 500 and the primary lives on
      send(from, { samlscope: 'metrics.result', id, text: null, error: (e as Error).message });
    }
  };

  const fork = (index: number) => {
    const w = cluster.fork();
    slots.set(index, w);
    exits.push(new Promise((r) => w.once('exit', (code) => r(code))));
    w.on('message', (m: FromWorker) => {
      if (m?.samlscope === 'hello') send(w, { samlscope: 'role', role: { index, admin: index === 1 } });
      else if (m?.samlscope === 'failed' && !everReady.has(index)) settle?.reject(new Error(`worker ${index}: ${m.message}`));
      else if (m?.samlscope === 'metrics.part') parts.get(m.id)?.(m.metrics);
      else if (m?.samlscope === 'metrics.scrape') void scrape(w, m.id);
      else if (m?.samlscope === 'ready') {
        everReady.add(index);
        listening.add(w);
        if (index === 1) first = m.ready;
        o.onEvent?.({ event: 'worker.ready', index, pid: w.process.pid as number });
        if (first && everReady.size === o.workers) settle?.resolve({ ...first, pids: pids() });
      }
    });
    w.once('exit', (code, signal) => {
      if (slots.get(index) === w) slots.delete(index);
      listening.delete(w);
      const replacing = !stopping && everReady.has(index);
      o.onEvent?.({ event: 'worker.exited', index, pid: w.process.pid as number, code, signal: signal ?? null, replacing });
      if (!stopping && !everReady.has(index)) { settle?.reject(new Error(`worker ${index} exited before it listened (code ${code}, signal ${signal})`)); return; }
      if (!replacing) return;
      // a crash loop backs off: 500 ms, doubled while the slot keeps crashing within 10 s, at most 30 s
      const base = o.restartDelayMs ?? 500;
      const prev = crashes.get(index);
      const delay = prev && Date.now() - prev.at < 10_000 ? Math.min(prev.delay * 2, 30_000) : base;
      crashes.set(index, { at: Date.now(), delay });
      setTimeout(() => { if (!stopping) fork(index); }, delay).unref();
    });
  };
  for (let i = 1; i <= o.workers; i++) fork(i);

  return {
    ready,
    pids,
    async stop() {
      stopping = true;
      const live = [...slots.values()];
      for (const w of live) send(w, { samlscope: 'drain' });
      const killer = setTimeout(() => { for (const w of live) if (!w.isDead()) w.process.kill('SIGKILL'); }, o.killAfterMs);
      await Promise.all(exits);
      clearTimeout(killer);
      // exits holds crashed (replaced) workers too: the verdict is the workers that were live at stop
      return live.every((w) => w.process.exitCode === 0) ? 0 : 1;
    },
  };
}

/** In a worker: ask the primary for this worker's role. */
export function workerRole(): Promise<WorkerRole> {
  return new Promise((resolve) => {
    const on = (m: ToWorker) => { if (m?.samlscope === 'role') { process.off('message', on); resolve(m.role); } };
    process.on('message', on);
    send(null, { samlscope: 'hello' });
  });
}

/** In a worker: tell the primary the proxy listens, or that it could not start. */
export function reportReady(ready: WorkerReady): void { send(null, { samlscope: 'ready', ready }); }
export function reportFailed(message: string): void { send(null, { samlscope: 'failed', message }); }

/** In a worker: resolves when the primary asks this worker to drain, or goes away (its IPC channel closes). */
export function drainRequested(): Promise<void> {
  return new Promise((resolve) => {
    process.on('message', (m: ToWorker) => { if (m?.samlscope === 'drain') resolve(); });
    process.once('disconnect', () => resolve());
  });
}

/** In a worker: answer the primary's requests for this worker's metrics (made only when /metrics is scraped). */
export function answerMetricsRequests(json: () => Promise<WorkerMetrics>): void {
  process.on('message', (m: ToWorker) => {
    if (m?.samlscope !== 'metrics.collect') return;
    json().then((metrics) => send(null, { samlscope: 'metrics.part', id: m.id, metrics }), () => send(null, { samlscope: 'metrics.part', id: m.id, metrics: null }));
  });
}

let scrapeSeq = 0;
/** In the admin worker: the Prometheus text summed over all live workers (the primary collects and aggregates). */
export function scrapeClusterMetrics(): Promise<string> {
  const id = ++scrapeSeq;
  return new Promise((resolve, reject) => {
    const on = (m: ToWorker) => {
      if (m?.samlscope !== 'metrics.result' || m.id !== id) return;
      clearTimeout(timer);
      process.off('message', on);
      if (m.text === null) reject(new Error(`aggregating the workers' metrics failed: ${m.error ?? 'unknown'}`));
      else resolve(m.text);
    };
    // the primary answers within WORKER_METRICS_TIMEOUT_MS; more than that means it is gone or stuck
    const timer = setTimeout(() => { process.off('message', on); reject(new Error('the primary did not answer the metrics scrape')); }, WORKER_METRICS_TIMEOUT_MS + 3_000);
    process.on('message', on);
    send(null, { samlscope: 'metrics.scrape', id });
  });
}
