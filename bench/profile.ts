// Where the pass-through time goes: runs a proxy under `node --cpu-prof` while wrk loads it, then prints the top self-time functions.
// Run: profile.ts [samlscope | dist | cli | bare] [seconds=6] [pin]  (samlscope from src/ through tsx, the same from dist/, the CLI from
// dist/ as users run it, or bare-proxy.ts; pin: the proxy on CPU 1, wrk and the upstream on CPU 0)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgs, here, onCpu, startChild } from './children.js';
import { ensureTools, startNginx } from './nginx.js';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
const which = process.argv[2] ?? 'samlscope';
const seconds = Number(process.argv[3] ?? 6);
const pin = process.argv.includes('pin');
const ARGV: Record<string, (up: string) => string[]> = {
  samlscope: (up) => ['--import', 'tsx', here('samlscope-entry.mjs'), up, 'src'],
  dist: (up) => [here('samlscope-entry.mjs'), up],
  cli: (up) => cliArgs(up, []),
  bare: (up) => ['--import', 'tsx', here('bare-proxy.ts'), up],
};
if (!ARGV[which]) throw new Error(`profile.ts: one of ${Object.keys(ARGV).join(', ')}`);
const file = which;
ensureTools();
const dir = mkdtempSync(join(tmpdir(), 'samlscope-prof-'));
const up = await startNginx({ upstream: true, cpu: pin ? '0' : undefined });
const child = await startChild(['--cpu-prof', `--cpu-prof-dir=${dir}`, ...ARGV[which](up.url)], pin ? '1' : undefined);
const load = (s: number) => spawnSync(...onCpu(pin ? '0' : undefined, 'wrk', ['-t1', '-c50', `-d${s}s`, `${child.url}/api/osquery/distributed/read`]), { encoding: 'utf8' }).stdout;
load(2);
const out = load(seconds);
await child.close();
await up.close();

const prof = JSON.parse(readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) as string), 'utf8')) as { nodes: Node[] };
const total = prof.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
const self = new Map<string, number>();
const byArea = new Map<string, number>();
for (const n of prof.nodes) {
  const f = n.callFrame;
  const where = f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|bench)\//, '$1/');
  const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (n.hitCount ?? 0));
  const area = f.url === '' ? f.functionName.startsWith('(') ? f.functionName : '(native)' : f.url.startsWith('node:') ? f.url.split('/')[0].replace(/^node:internal.*/, 'node internals') : where.split('/')[0];
  byArea.set(area, (byArea.get(area) ?? 0) + (n.hitCount ?? 0));
}
console.log(`${file}: ${/Requests\/sec:\s+\S+/.exec(out)?.[0]} under --cpu-prof; profile in ${dir}`);
console.log('self time by area:');
for (const [k, v] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
console.log('top functions (self time):');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
