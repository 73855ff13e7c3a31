// `npm run bench`: every benchmark in bench/, one after the other (see bench/README.md).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// the proxy, edge and callback benchmarks run samlscope from the compiled build, as installed: build it first
console.log('=== npm run build');
if (spawnSync('npm', ['run', 'build'], { stdio: 'inherit' }).status !== 0) process.exit(1);

for (const b of ['engine.ts', 'idp-throughput.ts', 'proxy.ts', 'floor.ts', 'edge.ts', 'callback.ts']) {
  console.log(`\n=== bench/${b}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(b, import.meta.url))], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = 1;
}
