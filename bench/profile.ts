// Where the pass-through time goes: runs a proxy under `node --cpu-prof` while wrk loads it, then prints the top self-time functions.
// Run: profile.ts [samlscope | bare] [seconds=6]  (samlscope from src/ through tsx, or bare-proxy.ts)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTools, startNginx } from './nginx.js';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
const which = process.argv[2] ?? 'samlscope';
const [file, ...extra] = which === 'bare' ? ['bare-proxy.ts'] : ['samlscope-entry.mjs', 'src'];
const seconds = Number(process.argv[3] ?? 6);
ensureTools();
const dir = mkdtempSync(join(tmpdir(), 'samlscope-prof-'));
const up = await startNginx({ upstream: true });
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', fileURLToPath(new URL(file, import.meta.url)), up.url, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve) => child.stdout?.on('data', (c: Buffer) => { const m = /listening on (\S+)/.exec(String(c)); if (m) resolve(m[1]); }));
spawnSync('wrk', ['-t1', '-c50', '-d2s', url + '/api/osquery/distributed/read']);
const out = spawnSync('wrk', ['-t1', '-c50', `-d${seconds}s`, url + '/api/osquery/distributed/read'], { encoding: 'utf8' }).stdout;
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
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
