// A/B check for pass-through changes: proxies side by side, wrk runs interleaved (order reversed every round) so drift hits all alike.
// Run: ab.ts [rounds=3] [seconds=5] [targets=samlscope,bare] [get|post] [pin] [together]
//   targets: samlscope (startProxy from dist, no logger, no admin), samlscope-src (the same through tsx), cli (the CLI from dist as
//   users run it: pino logger, admin listener with /metrics, analysis worker), bare (bench/bare-proxy.ts), and
//   samlscope@DIR / cli@DIR: the same from another checkout's build (a git worktree of the commit before a change, built)
//   post: the 64 KiB POST; pin: the proxies on CPU 1, wrk and the upstream on CPU 0 (taskset), so the proxies do not compete
//   with the load for a core: on 2 shared cores this is what makes two runs of one proxy agree
// Besides req/s, each run gives the proxy's CPU time per request (user + system, all its threads, from /proc): a CPU-bound proxy's
// throughput is the inverse of it. On this VM both move by up to 3× between rounds (the host's other guests), so ratios are taken
// within a round (paired) and their median reported; `together` makes the pairs simultaneous
import { ensureTools, startNginx } from './nginx.js';
import { cliArgs, distEntry, here, startChild, startCliProxy, type Child } from './children.js';
import { median, pairedRatio, pairedRounds } from './wrk.js';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const names = (process.argv[4] ?? 'samlscope,bare').split(',');
const post = process.argv[5] === 'post';
const pin = process.argv.includes('pin');
/** together: every target loaded at the same time by its own wrk, the proxies sharing CPU 1 (with pin): the machine's drift hits
 *  them alike, and with the scheduler splitting the core evenly their throughput ratio is their CPU cost ratio */
const together = process.argv.includes('together');
const proxyCpu = pin ? '1' : undefined;
const loadCpu = pin ? '0' : undefined;

const START: Record<string, (up: string) => Promise<Child>> = {
  samlscope: (up) => distEntry(up, false, proxyCpu),
  'samlscope-src': (up) => startChild(['--import', 'tsx', here('samlscope-entry.mjs'), up, 'src'], proxyCpu),
  cli: (up) => startCliProxy(up, [], proxyCpu),
  bare: (up) => startChild(['--import', 'tsx', here('bare-proxy.ts'), up], proxyCpu),
};
/** samlscope@DIR, cli@DIR: another checkout's dist/ */
function startFrom(name: string, up: string): Promise<Child> {
  const [kind, dir] = name.split('@');
  if (kind === 'cli') return startChild(cliArgs(up, [], `${dir}/dist/cli.js`), proxyCpu);
  return startChild([`${dir}/bench/samlscope-entry.mjs`, up], proxyCpu);
}
const start = (name: string, up: string) => (START[name] ? START[name](up) : startFrom(name, up));
const unknown = names.filter((n) => !START[n] && !/^(samlscope|cli)@\//.test(n));
if (unknown.length > 0) throw new Error(`unknown targets ${unknown.join(', ')}; known: ${Object.keys(START).join(', ')}`);

ensureTools();
const up = await startNginx({ upstream: true, cpu: loadCpu });
const procs: { name: string; c: Child }[] = [];
try {
  for (const name of names) procs.push({ name, c: await start(name, up.url) });
  const runs = await pairedRounds(procs.map((p) => ({ name: p.name, url: p.c.url, pids: p.c.pids })), { rounds, seconds, post, together, cpu: loadCpu });
  const col = (name: string, k: 'rps' | 'cpuUs') => (runs.get(name) ?? []).map((r) => r[k]);
  console.log(`${post ? 'POST 64 KiB' : 'GET'}, ${rounds} × ${seconds} s, wrk -t1 -c50${pin ? ', proxies pinned to CPU 1, load to CPU 0' : ''}${together ? ', all loaded at once' : ', one after the other'}`);
  for (const p of procs) {
    const [rps, cpu] = [col(p.name, 'rps'), col(p.name, 'cpuUs')];
    console.log(`${p.name.padEnd(14)} req/s ${rps.map((x) => x.toFixed(0).padStart(6)).join(' ')}  median ${median(rps).toFixed(0).padStart(6)}` +
      `   CPU µs/request ${cpu.map((x) => x.toFixed(1).padStart(5)).join(' ')}  median ${median(cpu).toFixed(1)}`);
  }
  // paired: the ratio within each round (the same machine state for both), then the median of those ratios
  const first = procs[0].name;
  for (const p of procs.slice(1)) {
    const rps = pairedRatio(runs, first, p.name, 'rps');
    const cpu = pairedRatio(runs, first, p.name, 'cpuUs');
    console.log(`${first} / ${p.name}, paired by round: throughput ${rps.median.toFixed(2)} (rounds ${rps.rounds.map((x) => x.toFixed(2)).join(' ')}); ` +
      `CPU per request ${cpu.median.toFixed(2)} (rounds ${cpu.rounds.map((x) => x.toFixed(2)).join(' ')}), i.e. ${(1 / cpu.median).toFixed(2)} × the throughput on a core of its own`);
  }
} finally {
  for (const p of procs) await p.c.close();
  await up.close();
}
