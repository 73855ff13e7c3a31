// A worker thread of the analysis pool: runs the engine's analyzeResponse on each job it is sent and posts the report back.
import { parentPort } from 'node:worker_threads';
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
  | { kind: 'ready' }
  | { kind: 'done'; id: number; report: AnalysisReport }
  | { kind: 'failed'; id: number; error: string };

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
  port.postMessage({ kind: 'ready' } satisfies AnalysisWorkerMessage);
}
