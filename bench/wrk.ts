// wrk as the benchmarks run it: 1 thread, 50 keep-alive connections, an agent GET and the 64 KiB POST; rounds in alternating order.
import { fileURLToPath } from 'node:url';
import { cpuSeconds, onCpu, run } from './children.js';

/** what an agent polls (small JSON answer) and where it posts its logs (the 64 KiB POST) */
export const GET_PATH = '/api/osquery/distributed/read';
export const POST_PATH = '/api/osquery/log';
/** wrk's 64 KiB JSON POST */
const postLua = fileURLToPath(new URL('post-64k.lua', import.meta.url));

/** requests: how many wrk completed; errors: non-2xx answers and socket errors */
export interface WrkResult { rps: number; errors: number; requests: number }

/** wrk, keep-alive, 1 thread, 50 connections (on `cpu` when set): requests per second, non-2xx and socket error count. */
export async function wrk(url: string, post: boolean, seconds: number, cpu?: string): Promise<WrkResult> {
  const out = await run(...onCpu(cpu, 'wrk', ['-t1', '-c50', `-d${seconds}s`, ...(post ? ['-s', postLua] : []), url + (post ? POST_PATH : GET_PATH)]));
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  // a run wrk could not report (its figures then are NaN, and medians leave them out): say what it printed
  if (!Number.isFinite(rps)) console.error(`wrk ${url}: no Requests/sec in its output:\n${out}`);
  const requests = Number(/(\d+) requests in /.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return { rps, requests, errors: non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0) };
}

export interface Throughput { get: WrkResult; post64k: WrkResult }

/** Two results as one: rps averaged, errors and requests summed. */
function mean(a: WrkResult, b: WrkResult): WrkResult {
  return { rps: (a.rps + b.rps) / 2, errors: a.errors + b.errors, requests: a.requests + b.requests };
}

/**
 * Each target's GET and POST throughput: 1 s of warm-up each (JIT, pools), then two rounds of SECONDS/2 each, the second
 * in reverse order, averaged. On a shared machine the order of runs moved ratios by up to 30 % (bench/README.md), so
 * every target gets an early and a late slot. `requests` counts every request sent, warm-up included.
 */
export async function alternatingRounds(targets: [string, string][], seconds: number, log: (line: string) => void): Promise<Record<string, Throughput>> {
  const half = Math.max(1, Math.round(seconds / 2));
  const warm: Record<string, number> = {};
  for (const [name, url] of targets) warm[name] = (await wrk(url, false, 1)).requests;
  const tput: Record<string, Throughput> = {};
  for (const round of [0, 1]) {
    for (const [name, url] of round === 0 ? targets : [...targets].reverse()) {
      const r = { get: await wrk(url, false, half), post64k: await wrk(url, true, half) };
      const prev = tput[name];
      tput[name] = prev ? { get: mean(prev.get, r.get), post64k: mean(prev.post64k, r.post64k) } : r;
      log(`throughput ${name} round ${round + 1}: ${JSON.stringify(r)}`);
    }
  }
  for (const [name] of targets) tput[name].get.requests += warm[name];
  return tput;
}

/** One target of a paired comparison: where wrk sends the load, and the processes whose CPU time counts (none: req/s only) */
export interface PairedTarget { name: string; url: string; pids?: number[] }
export interface RoundResult { rps: number; errors: number; requests: number; /** CPU µs per request of the target's processes */ cpuUs: number }

/**
 * Throughput of targets compared on a machine whose speed drifts (this VM's moves up to 3× between rounds, the host's other guests):
 * many short rounds, and in each the targets run either one after the other (order reversed every round) or, with `together`,
 * at the same time, each under its own wrk. Ratios are then taken within a round (`pairedRatio`), where the drift hits both alike.
 * Together, with the targets pinned to one CPU, the scheduler splits that CPU evenly: their throughput ratio is their CPU cost ratio.
 */
export async function pairedRounds(targets: PairedTarget[], o: { rounds: number; seconds: number; post: boolean; together: boolean; cpu?: string }): Promise<Map<string, RoundResult[]>> {
  const one = async (t: PairedTarget, s: number): Promise<RoundResult> => {
    const cpu0 = t.pids ? cpuSeconds(t.pids) : 0;
    const r = await wrk(t.url, o.post, s, o.cpu);
    return { ...r, cpuUs: t.pids ? ((cpuSeconds(t.pids) - cpu0) * 1e6) / r.requests : NaN };
  };
  for (const t of targets) await one(t, 1); // warm-up (JIT, pools)
  const runs = new Map<string, RoundResult[]>(targets.map((t) => [t.name, []]));
  for (let i = 0; i < o.rounds; i++) {
    if (o.together) {
      const rs = await Promise.all(targets.map((t) => one(t, o.seconds)));
      targets.forEach((t, j) => runs.get(t.name)?.push(rs[j]));
    } else {
      for (const t of i % 2 ? [...targets].reverse() : targets) runs.get(t.name)?.push(await one(t, o.seconds));
    }
  }
  return runs;
}

/** the median of the finite values (a round wrk could not report is NaN: left out, and visible in the printed rounds) */
export function median(v: number[]): number {
  const s = v.filter(Number.isFinite).sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** a / b within each round, and the median of those ratios */
export function pairedRatio(runs: Map<string, RoundResult[]>, a: string, b: string, k: 'rps' | 'cpuUs'): { median: number; rounds: number[] } {
  const ra = runs.get(a) ?? [];
  const rb = runs.get(b) ?? [];
  const rounds = ra.map((x, i) => x[k] / rb[i][k]);
  return { median: median(rounds), rounds };
}
