// A small pool of worker threads that runs SAML analysis off the proxy's event loop: bounded queue, per-job timeout, crashed or stuck workers replaced.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { analyzeResponse, type AnalysisReport, type AnalyzeOptions } from '../saml/index.js';
import type { AnalysisJobMessage, AnalysisWorkerData, AnalysisWorkerMessage, WorkerPriority } from './analysis-worker.js';

export const ANALYSIS_POOL_DEFAULTS = {
  /** one worker: on 2 cores it leaves a core to the event loop (measured: see docs/proxy.md) */
  workers: 1,
  /** jobs waiting for a worker; beyond this a callback is answered without analysis */
  maxQueue: 64,
  /** one job's running time before its worker is terminated and replaced (an analysis takes 3-30 ms) */
  timeoutMs: 5_000,
  /** a worker's heap: far above a 1 MiB message, low enough that a hostile one cannot eat the host */
  maxHeapMb: 256,
  /**
   * the workers' nice value (Linux, those threads only): analysis yields the CPU to pass-through traffic when the cores
   * are busy. Measured with 20 hostile 1 MiB callbacks/s on 2 cores: see bench/README.md
   */
  nice: 10,
} as const;

export type AnalysisUnavailableReason = 'busy' | 'timeout' | 'crashed' | 'closed';

/** The pool could not produce a report: the caller decides (observe forwards with a finding, enforce fails closed). */
export class AnalysisUnavailableError extends Error {
  constructor(readonly reason: AnalysisUnavailableReason, message: string) {
    super(message);
    this.name = 'AnalysisUnavailableError';
  }
}

export interface AnalysisPoolOptions {
  /** worker threads; 0 analyses in-process on the calling thread (no queue, no timeout) */
  workers?: number;
  maxQueue?: number;
  timeoutMs?: number;
  maxHeapMb?: number;
  /** the workers' nice value; 0 leaves them at the process's */
  nice?: number;
  /** test hook: another worker script speaking the same messages (analysis-worker.ts) */
  workerUrl?: URL;
  /** told when a worker is replaced (logging) */
  onReplace?: (e: { reason: 'timeout' | 'crashed'; detail: string }) => void;
}

export interface AnalysisPoolStats {
  workers: number;
  /** workers that have loaded the engine */
  ready: number;
  /** each ready worker's thread id and nice value (empty where it could not be lowered) */
  priorities: WorkerPriority[];
  busy: number;
  queued: number;
  replaced: number;
}

export interface AnalysisPool {
  analyze(input: string | Buffer, opts: AnalyzeOptions): Promise<AnalysisReport>;
  stats(): AnalysisPoolStats;
  close(): Promise<void>;
}

interface Job {
  id: number;
  input: Uint8Array | string;
  opts: AnalyzeOptions;
  resolve: (r: AnalysisReport) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  priority: WorkerPriority | null;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

/**
 * Where the worker's code is: compiled JavaScript next to this file, or, when this file is TypeScript run from source
 * (tsx, the test runner's loader), a small .mjs that registers tsx inside the worker first (loaders do not follow a thread).
 */
export function defaultWorkerUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('./analysis-worker-boot.mjs', import.meta.url)
    : new URL('./analysis-worker.js', import.meta.url);
}

const LOADER_FLAG = /^(--import|--loader|--experimental-loader|--require|-r)(=|$)/;

/** Node flags without the ones that load modules (given as `--flag=value` or `--flag value`). */
export function withoutLoaders(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = LOADER_FLAG.exec(argv[i]);
    if (!m) out.push(argv[i]);
    else if (m[2] === '') i++;
  }
  return out;
}

/**
 * A Worker with the given flags, minus those a thread refuses (process-wide ones like --trace-gc or
 * --max-old-space-size, which Node rejects in a Worker's execArgv: they would otherwise stop the proxy from starting).
 */
export function newWorker(url: URL, execArgv: string[] | undefined, opts: Omit<WorkerOptions, 'execArgv'>): Worker {
  try {
    return new Worker(url, { ...opts, execArgv });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || !execArgv) throw err;
    const refused = new Set((/flags: (.*)$/.exec((err as Error).message)?.[1] ?? '').split(', '));
    const kept = execArgv.filter((f) => !refused.has(f));
    return new Worker(url, { ...opts, execArgv: kept.length < execArgv.length ? kept : [] });
  }
}

/** The in-process "pool": today's behaviour, for workers = 0. */
function inProcess(): AnalysisPool {
  return { analyze: analyzeResponse, stats: () => ({ workers: 0, ready: 0, priorities: [], busy: 0, queued: 0, replaced: 0 }), close: async () => undefined };
}

export function createAnalysisPool(o: AnalysisPoolOptions = {}): AnalysisPool {
  const size = o.workers ?? ANALYSIS_POOL_DEFAULTS.workers;
  if (!Number.isInteger(size) || size < 0) throw new Error(`analysis workers: a whole number ≥ 0, got ${size}`);
  if (size === 0) return inProcess();
  const maxQueue = o.maxQueue ?? ANALYSIS_POOL_DEFAULTS.maxQueue;
  const timeoutMs = o.timeoutMs ?? ANALYSIS_POOL_DEFAULTS.timeoutMs;
  const url = o.workerUrl ?? defaultWorkerUrl();
  // compiled: the worker inherits the process's flags (Node itself leaves out the process-wide ones such as
  // --max-old-space-size). From source the bootstrap registers its own loader: the parent's loader flags stay out.
  const execArgv = url.pathname.endsWith('.js') ? undefined : withoutLoaders(process.execArgv);
  const queue: Job[] = [];
  const slots: Slot[] = [];
  let nextId = 0;
  let replaced = 0;
  let closed = false;

  const fail = (job: Job, reason: AnalysisUnavailableReason, message: string) => job.reject(new AnalysisUnavailableError(reason, message));

  function spawn(): Slot {
    const worker = newWorker(url, execArgv, {
      resourceLimits: { maxOldGenerationSizeMb: o.maxHeapMb ?? ANALYSIS_POOL_DEFAULTS.maxHeapMb },
      stdout: false,
      stderr: false,
      workerData: { nice: o.nice ?? ANALYSIS_POOL_DEFAULTS.nice } satisfies AnalysisWorkerData,
    });
    worker.unref();
    const slot: Slot = { worker, ready: false, priority: null, job: null, timer: null };
    worker.on('message', (m: AnalysisWorkerMessage) => {
      if (m.kind === 'ready') {
        slot.ready = true;
        slot.priority = m.priority ?? null;
        dispatch();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      finishJob(slot);
      if (m.kind === 'done') job.resolve(m.report);
      else job.reject(new Error(`SAML analysis failed in the worker: ${m.error}`));
      dispatch();
    });
    worker.on('error', (err) => replace(slot, 'crashed', err.message));
    worker.on('exit', (code) => replace(slot, 'crashed', `worker exited with code ${code}`));
    return slot;
  }

  function finishJob(slot: Slot): void {
    // an idle worker does not keep the process alive; a busy one does (its caller waits for it)
    slot.worker.unref();
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
  }

  /** Takes a dead or stuck worker out, fails its job, starts a fresh one. */
  function replace(slot: Slot, reason: 'timeout' | 'crashed', detail: string): void {
    const i = slots.indexOf(slot);
    if (i === -1) return;
    const job = slot.job;
    const wasReady = slot.ready;
    finishJob(slot);
    slot.worker.removeAllListeners('message');
    slot.worker.removeAllListeners('exit');
    slot.worker.on('error', () => undefined);
    void slot.worker.terminate().catch(() => undefined);
    if (job) fail(job, reason, reason === 'timeout' ? `SAML analysis took longer than ${timeoutMs} ms` : `the analysis worker crashed: ${detail}`);
    if (closed) {
      slots.splice(i, 1);
      return;
    }
    replaced++;
    o.onReplace?.({ reason, detail });
    if (!wasReady) {
      // it died while loading: waiting jobs would wait for nothing; try again a little later
      for (const j of queue.splice(0)) fail(j, 'crashed', `the analysis worker could not start: ${detail}`);
      slots.splice(i, 1);
      const retry = setTimeout(() => { if (!closed) { slots.push(spawn()); } }, 1_000);
      retry.unref();
      return;
    }
    slots[i] = spawn();
  }

  function dispatch(): void {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = queue.shift() as Job;
      slot.job = job;
      slot.worker.ref();
      slot.timer = setTimeout(() => replace(slot, 'timeout', `job ${job.id} ran over ${timeoutMs} ms`), timeoutMs);
      slot.timer.unref();
      // bytes were copied into their own buffer and that copy is transferred: the caller keeps its bytes (they are forwarded to Fleet)
      const transfer = typeof job.input === 'string' ? [] : [job.input.buffer as ArrayBuffer];
      slot.worker.postMessage({ id: job.id, input: job.input, opts: job.opts } satisfies AnalysisJobMessage, transfer);
    }
  }

  for (let i = 0; i < size; i++) slots.push(spawn());

  return {
    analyze(input, opts) {
      if (closed) return Promise.reject(new AnalysisUnavailableError('closed', 'the analysis pool is closed'));
      const idle = slots.some((s) => s.ready && !s.job);
      if (!idle && queue.length >= maxQueue) {
        return Promise.reject(new AnalysisUnavailableError('busy', `${queue.length} callbacks already wait for analysis (limit ${maxQueue})`));
      }
      // a string stays a string (the engine reads strings and bytes differently); bytes are copied (see dispatch)
      const copy = typeof input === 'string' ? input : new Uint8Array(input);
      return new Promise<AnalysisReport>((resolve, reject) => {
        queue.push({ id: ++nextId, input: copy, opts, resolve, reject });
        dispatch();
      });
    },
    stats: () => ({ workers: slots.length, ready: slots.filter((s) => s.ready).length,
      priorities: slots.flatMap((s) => (s.priority ? [s.priority] : [])), busy: slots.filter((s) => s.job).length, queued: queue.length, replaced }),
    async close() {
      if (closed) return;
      closed = true;
      for (const j of queue.splice(0)) fail(j, 'closed', 'the analysis pool closed');
      await Promise.all(slots.splice(0).map(async (slot) => {
        const job = slot.job;
        finishJob(slot);
        slot.worker.removeAllListeners();
        slot.worker.on('error', () => undefined);
        if (job) fail(job, 'closed', 'the analysis pool closed');
        await slot.worker.terminate().catch(() => undefined);
      }));
    },
  };
}
