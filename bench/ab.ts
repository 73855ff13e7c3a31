// A/B check for pass-through changes: samlscope and the bare Node proxy side by side, wrk runs interleaved so drift hits both. Run: ab.ts [rounds=3] [seconds=5] [path] [post: a 64 KiB POST body]
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureTools, startNginx } from './nginx.js';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const path = process.argv[4] ?? '/api/osquery/distributed/read';
const post = process.argv[5] === 'post';
const lua = fileURLToPath(new URL('post-64k.lua', import.meta.url));
ensureTools();
const up = await startNginx({ upstream: true });
const procs: { name: string; url: string; kill(): void }[] = [];
for (const [name, f, ...extra] of [['samlscope', 'samlscope-entry.mjs', 'src'], ['bare', 'bare-proxy.ts']]) {
  const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(f, import.meta.url)), up.url, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((r) => p.stdout?.on('data', (c: Buffer) => { const m = /listening on (\S+)/.exec(String(c)); if (m) r(m[1]); }));
  procs.push({ name, url, kill: () => p.kill('SIGTERM') });
}
const rps = (url: string, s: number) => Number(/Requests\/sec:\s+([\d.]+)/.exec(spawnSync('wrk', ['-t1', '-c50', `-d${s}s`, ...(post ? ['-s', lua] : []), url + path], { encoding: 'utf8' }).stdout)?.[1]);
for (const p of procs) rps(p.url, 1);
const sums = new Map<string, number[]>();
for (let i = 0; i < rounds; i++) for (const p of i % 2 ? [...procs].reverse() : procs) sums.set(p.name, [...(sums.get(p.name) ?? []), rps(p.url, seconds)]);
for (const [k, v] of sums) console.log(`${k.padEnd(10)} ${v.map((x) => x.toFixed(0)).join(' ')}  median ${[...v].sort((a, b) => a - b)[Math.floor(v.length / 2)].toFixed(0)}`);
const s = sums.get('samlscope') as number[];
const b = sums.get('bare') as number[];
console.log(`samlscope / bare (medians): ${([...s].sort((x, y) => x - y)[Math.floor(s.length / 2)] / [...b].sort((x, y) => x - y)[Math.floor(b.length / 2)]).toFixed(2)}`);
for (const p of procs) p.kill();
await up.close();
