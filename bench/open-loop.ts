// Open-loop load at a fixed rate (undici Pool): latency counted from each request's scheduled time, so a stall is not hidden (no coordinated omission).
// Run: open-loop.ts '{"url":"http://127.0.0.1:8080","path":"/x","rate":2000,"seconds":10}' → one JSON line on stdout.
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { hostileCallbackBody } from './hostile-body.js';

export interface OpenLoopSpec {
  url: string;
  path: string;
  rate: number;
  seconds: number;
  method?: 'GET' | 'POST';
  /** 'hostile-callback': a urlencoded SAMLResponse at Fleet's 256 KiB cap, an element-count bomb (hostile-body.ts) */
  body?: 'hostile-callback';
  /** a file of urlencoded form bodies, one a line: request i (warm-up included) sends line i, each once (valid callbacks must
   *  be distinct, or replay detection judges them), so the file needs rate × (warmup + seconds) lines */
  bodiesFile?: string;
  connections?: number;
  /** seconds at the same rate before measuring (connections, JIT), not counted */
  warmup?: number;
  /** wall-clock time (ms since the epoch) to start at: two generators started together begin together, after both booted */
  startAt?: number;
  /** also report the worst latency per 100 ms window of scheduled time (`worstPer100ms`: where a stall happened) */
  timeline?: boolean;
}

const spec = JSON.parse(process.argv[2]) as OpenLoopSpec;
const pool = new Pool(spec.url, { connections: spec.connections ?? 32, pipelining: 1 });
const warm = Math.round(spec.rate * (spec.warmup ?? 1));
const total = Math.round(spec.rate * spec.seconds) + warm;
const bodies = spec.bodiesFile ? readFileSync(spec.bodiesFile, 'utf8').split('\n').filter(Boolean).map((l) => Buffer.from(l)) : null;
if (bodies && bodies.length < total) throw new Error(`${spec.bodiesFile}: ${bodies.length} bodies for ${total} requests`);
const body = spec.body === 'hostile-callback' ? hostileCallbackBody() : null;
const bodyFor = (i: number): Buffer | null => bodies?.[i] ?? body;
const headers = body || bodies ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
const interval = 1000 / spec.rate;
const latencies = new Float64Array(total);
let done = 0;
let errors = 0;
const statuses: Record<string, number> = {};

function fire(i: number, scheduled: number): void {
  pool.request({ method: spec.method ?? 'GET', path: spec.path, headers, body: bodyFor(i) })
    .then(async (r) => { statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1; await r.body.dump(); })
    .catch(() => { errors++; })
    .finally(() => { latencies[i] = performance.now() - scheduled; done++; });
}

if (spec.startAt !== undefined) await new Promise((r) => setTimeout(r, Math.max(0, spec.startAt as number - Date.now())));
const t0 = performance.now() + 20;
let next = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (next < total && t0 + next * interval <= now) { fire(next, t0 + next * interval); next++; }
    if (next < total) setTimeout(tick, 1); else resolve();
  };
  setTimeout(tick, 20);
});
const deadline = performance.now() + 30_000;
while (done < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
await pool.destroy();
const sorted = Array.from(latencies.subarray(warm, total)).sort((a, b) => a - b);
const pct = (p: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))].toFixed(3));
/** the worst latency in each 100 ms of scheduled time: a stall shows where it happened */
const windows: number[] = [];
if (spec.timeline) {
  const per = Math.max(1, Math.round(spec.rate / 10));
  for (let w = warm; w < total; w += per) {
    let worst = 0;
    for (let i = w; i < Math.min(total, w + per); i++) worst = Math.max(worst, latencies[i]);
    windows.push(Math.round(worst));
  }
}
/** diagnostic beside the target's figure: the p99 of the requests scheduled after the first measured second */
const later = Array.from(latencies.subarray(Math.min(total, warm + spec.rate), total)).sort((a, b) => a - b);
const p99Later = later.length ? Number(later[Math.min(later.length - 1, Math.floor(later.length * 0.99))].toFixed(3)) : NaN;
console.log(JSON.stringify({ sent: total - warm, completed: done - warm, errors, statuses, p50ms: pct(0.5), p90ms: pct(0.9), p99ms: pct(0.99), maxms: pct(1), ...(spec.timeline ? { worstPer100ms: windows, p99AfterFirstSecondMs: p99Later } : {}) }));
