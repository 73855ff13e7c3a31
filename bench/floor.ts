// The Node floor for standalone (issue 14 §3): samlscope's pass-through against the bare Node proxy, and the CLI as users run it against
// startProxy, in paired rounds (wrk.ts pairedRounds): the three loaded at once, pinned to CPU 1, wrk and the upstream on CPU 0.
// Run: floor.ts [rounds = 8] [seconds per round = 3]
import { distEntry, here, startChild, startCliProxy, type Child } from './children.js';
import { ensureTools, startNginx } from './nginx.js';
import { median, pairedRatio, pairedRounds, type RoundResult } from './wrk.js';

const ROUNDS = Number(process.argv[2] ?? 8);
const SECONDS = Number(process.argv[3] ?? 3);
const [PROXY_CPU, LOAD_CPU] = ['1', '0'];
/** the targets of issue 14: each at least this share of its baseline */
const TARGET = 0.9;

const verdict = (x: number) => `${x >= TARGET ? 'meets' : 'MISSES'} target ≥ ${TARGET}`;

ensureTools();
const up = await startNginx({ upstream: true, cpu: LOAD_CPU });
const children: Child[] = [];
const lines: string[] = [];
const results: Record<string, Record<string, RoundResult[]>> = {};
try {
  const targets = [
    { name: 'samlscope', c: await distEntry(up.url, false, PROXY_CPU) },
    { name: 'bare-node', c: await startChild(['--import', 'tsx', here('bare-proxy.ts'), up.url], PROXY_CPU) },
    { name: 'cli', c: await startCliProxy(up.url, [], PROXY_CPU) },
  ];
  children.push(...targets.map((t) => t.c));
  lines.push(`The Node floor: ${ROUNDS} rounds × ${SECONDS} s, the three proxies loaded at once (wrk -t1 -c50 each) and sharing CPU 1; ratios paired by round, median`);
  for (const [kind, post] of [['GET /api/osquery/distributed/read', false], ['POST 64 KiB /api/osquery/log', true]] as const) {
    const runs = await pairedRounds(targets.map((t) => ({ name: t.name, url: t.c.url, pids: t.c.pids })), { rounds: ROUNDS, seconds: SECONDS, post, together: true, cpu: LOAD_CPU });
    results[kind] = Object.fromEntries(runs);
    const med = (name: string, k: 'rps' | 'cpuUs') => median((runs.get(name) ?? []).map((r) => r[k]));
    const errors = targets.map((t) => `${t.name} ${(runs.get(t.name) ?? []).reduce((a, r) => a + r.errors, 0)}`).join(', ');
    lines.push(`  ${kind}: req/s (median, a third of the CPU each) ${targets.map((t) => `${t.name} ${med(t.name, 'rps').toFixed(0)}`).join(', ')}; ` +
      `CPU µs/request ${targets.map((t) => `${t.name} ${med(t.name, 'cpuUs').toFixed(1)}`).join(', ')}; errors ${errors}`);
    const pass = pairedRatio(runs, 'samlscope', 'bare-node', 'rps');
    const cli = pairedRatio(runs, 'cli', 'samlscope', 'rps');
    lines.push(`    pass-through (startProxy) = ${pass.median.toFixed(2)} × bare Node (${verdict(pass.median)}; rounds ${pass.rounds.map((x) => x.toFixed(2)).join(' ')})`);
    lines.push(`    CLI as users run it       = ${cli.median.toFixed(2)} × startProxy (${verdict(cli.median)}; rounds ${cli.rounds.map((x) => x.toFixed(2)).join(' ')})`);
  }
} finally {
  for (const c of children) await c.close();
  await up.close();
}
console.log(lines.join('\n'));
console.log(JSON.stringify({ bench: 'floor', rounds: ROUNDS, seconds: SECONDS, results }));
