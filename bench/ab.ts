// A/B check for pass-through changes: proxies side by side, wrk runs interleaved (order reversed every round) so drift hits all alike.
// Run: ab.ts [rounds=3] [seconds=5] [targets=samlscope,bare] [get|post] [pin]
//   targets: samlscope (startProxy from dist, no logger, no admin), samlscope-src (the same through tsx), cli (the CLI from dist as
//   users run it: pino logger, admin listener with /metrics, analysis worker), bare (bench/bare-proxy.ts)
//   post: the 64 KiB POST; pin: the proxies on CPU 1, wrk and the upstream on CPU 0 (taskset), so the proxies do not compete
//   with the load for a core: on 2 shared cores this is what makes two runs of one proxy agree
import { ensureTools, startNginx } from './nginx.js';
import { cliEntry, distEntry, here, startChild, wrk, type Child } from './children.js';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const names = (process.argv[4] ?? 'samlscope,bare').split(',');
const post = process.argv[5] === 'post';
const pin = process.argv.includes('pin');
const proxyCpu = pin ? '1' : undefined;
const loadCpu = pin ? '0' : undefined;

const START: Record<string, (up: string) => Promise<Child>> = {
  samlscope: (up) => distEntry(up, false, proxyCpu),
  'samlscope-src': (up) => startChild(['--import', 'tsx', here('samlscope-entry.mjs'), up, 'src'], proxyCpu),
  cli: (up) => cliEntry(up, 1, proxyCpu),
  bare: (up) => startChild(['--import', 'tsx', here('bare-proxy.ts'), up], proxyCpu),
};
const unknown = names.filter((n) => !START[n]);
if (unknown.length > 0) throw new Error(`unknown targets ${unknown.join(', ')}; known: ${Object.keys(START).join(', ')}`);

ensureTools();
const up = await startNginx({ upstream: true, cpu: loadCpu });
const procs: { name: string; c: Child }[] = [];
try {
  for (const name of names) procs.push({ name, c: await START[name](up.url) });
  const rps = async (url: string, s: number) => (await wrk(url, post, s, loadCpu)).rps;
  for (const p of procs) await rps(p.c.url, 1);
  const runs = new Map<string, number[]>();
  for (let i = 0; i < rounds; i++) for (const p of i % 2 ? [...procs].reverse() : procs) runs.set(p.name, [...(runs.get(p.name) ?? []), await rps(p.c.url, seconds)]);
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  console.log(`${post ? 'POST 64 KiB' : 'GET'}, ${rounds} × ${seconds} s, wrk -t1 -c50${pin ? ', proxies pinned to CPU 1, load to CPU 0' : ''}`);
  for (const [k, v] of runs) console.log(`${k.padEnd(14)} ${v.map((x) => x.toFixed(0).padStart(6)).join(' ')}  median ${median(v).toFixed(0)}`);
  const first = procs[0].name;
  for (const p of procs.slice(1)) console.log(`${first} / ${p.name} (medians): ${(median(runs.get(first) as number[]) / median(runs.get(p.name) as number[])).toFixed(2)}`);
} finally {
  for (const p of procs) await p.c.close();
  await up.close();
}
