// Bounded reading of streams: the SSO callback body (Fleet's 1 MiB limit) and Fleet's answers, never more than a limit in memory.
import { PassThrough, type Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { EdgeError } from './edge-errors.js';

export type CapturedBody =
  | { complete: true; bytes: Buffer }
  /** over the limit: `head` holds what was read, `rest` the unread remainder of the same stream */
  | { complete: false; head: Buffer; rest: Readable; declaredLength: number | null };

/**
 * Reads a stream up to `limit` bytes. Over the limit it stops reading and hands back what it has plus the stream.
 * With `deadlineMs`, a body still incomplete by then fails with EDGE_BODY_TIMEOUT (a slow-body attack).
 */
export function captureBounded(stream: Readable, limit: number, declaredLength: number | null, deadlineMs?: number): Promise<CapturedBody> {
  if (declaredLength !== null && declaredLength > limit) {
    return Promise.resolve({ complete: false, head: Buffer.alloc(0), rest: stream, declaredLength });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = deadlineMs === undefined ? null : setTimeout(() => {
      cleanup();
      stream.pause();
      reject(new EdgeError('EDGE_BODY_TIMEOUT', `callback body incomplete after ${deadlineMs} ms (${size} bytes)`));
    }, deadlineMs);
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size > limit) {
        stream.pause();
        cleanup();
        resolve({ complete: false, head: Buffer.concat(chunks), rest: stream, declaredLength });
      }
    };
    const onEnd = () => { cleanup(); resolve({ complete: true, bytes: Buffer.concat(chunks, size) }); };
    const onError = (e: Error) => { cleanup(); reject(e); };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/** A Fastify content-type parser that captures the body bounded (no re-encoding: the bytes stay as they came). */
export function boundedBodyParser(limit: number, deadlineMs?: number) {
  return (req: { raw: IncomingMessage }, payload: IncomingMessage, done: (err: Error | null, body?: CapturedBody) => void): void => {
    const cl = payload.headers['content-length'];
    const declared = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : null;
    captureBounded(payload, limit, declared, deadlineMs).then((b) => done(null, b), (e: Error) => done(e));
  };
}

/** The original bytes again as one stream: what was read, then the rest. */
export function rejoin(head: Buffer, rest: Readable): Readable {
  const out = new PassThrough();
  if (head.length > 0) out.write(head);
  rest.pipe(out);
  rest.resume();
  return out;
}
