// A worker thread of the analysis pool: runs the engine's analyzeResponse on each job it is sent and posts the report back.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeResponse, type AnalysisReport, type AnalyzeOptions } from '../saml/index.js';

/** main thread → worker */
export interface AnalysisJobMessage {
  id: number;
  /** bytes (a transferred copy) or a string, as the caller gave it */
  input: Uint8Array | string;
  opts: AnalyzeOptions;
}

/** worker → main thread: `ready` once the engine is loaded, then one answer per job */
export type AnalysisWorkerMessage =
  | { kind: 'ready'; priority: WorkerPriority | null }
  | { kind: 'done'; id: number; report: AnalysisReport }
  | { kind: 'failed'; id: number; error: string };

/** this thread's scheduling: its Linux thread id and its nice value once lowered */
export interface WorkerPriority { tid: number; nice: number }

/** settings the pool passes in `workerData` */
export interface AnalysisWorkerData {
  /** the nice value to run at (Linux, this thread only); 0 leaves it */
  nice: number;
}

/**
 * Lowers this thread's CPU priority, not the process's: on Linux setpriority(PRIO_PROCESS, tid) applies to one thread, and
 * /proc/thread-self names this one. Analysis is then what yields when the cores are busy, not pass-through traffic.
 * A nice value already higher (an operator's `nice samlscope ...`) is kept. Null where it does not apply or is refused.
 */
export function lowerThreadPriority(nice: number): WorkerPriority | null {
  if (!(nice > 0) || process.platform !== 'linux') return null;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return null;
    const target = Math.min(19, Math.max(nice, getPriority(tid)));
    setPriority(tid, target);
    return { tid, nice: getPriority(tid) };
  } catch {
    return null;
  }
}

const port = parentPort;
if (port) {
  port.on('message', (job: AnalysisJobMessage) => {
    const input = typeof job.input === 'string' ? job.input : Buffer.from(job.input.buffer, job.input.byteOffset, job.input.byteLength);
    analyzeResponse(input, job.opts).then(
      (report) => {
        try {
          port.postMessage({ kind: 'done', id: job.id, report } satisfies AnalysisWorkerMessage);
        } catch (err) {
          // a report that cannot be cloned is our own bug: the job fails, the worker lives on
          port.postMessage({ kind: 'failed', id: job.id, error: `report not transferable: ${(err as Error).message}` } satisfies AnalysisWorkerMessage);
        }
      },
      (err: unknown) => port.postMessage({ kind: 'failed', id: job.id, error: String((err as Error)?.message ?? err) } satisfies AnalysisWorkerMessage),
    );
  });
  const priority = lowerThreadPriority((workerData as AnalysisWorkerData | undefined)?.nice ?? 0);
  port.postMessage({ kind: 'ready', priority } satisfies AnalysisWorkerMessage);
}
