// What the benchmarks share: samlscope, the CLI and the bare proxy as child processes (ready on their startup line), RSS, wrk.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
export const GET_PATH = '/api/osquery/distributed/read';
export const POST_PATH = '/api/osquery/log';

/** pids: the process and, for `--workers N`, its cluster workers (RSS is summed over them) */
export interface Child { url: string; pid: number; pids: number[]; proc: ChildProcess; close(): Promise<void> }

/** argv for cmd, run on the given CPUs (taskset's list, e.g. "1") when cpu is set */
export function onCpu(cpu: string | undefined, cmd: string, args: string[]): [string, string[]] {
  return cpu === undefined ? [cmd, args] : ['taskset', ['-c', cpu, cmd, ...args]];
}

/** node ARGV in its own process (on `cpu` when set); resolves once it prints "listening on URL" (bench entries) or the CLI's startup line (stderr). */
export async function startChild(argv: string[], cpu?: string): Promise<Child> {
  const proc = spawn(...onCpu(cpu, process.execPath, argv), { stdio: ['ignore', 'pipe', 'pipe'] });
  const { url, workers } = await new Promise<{ url: string; workers: number[] }>((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout?.on('data', (c: Buffer) => { out += c.toString(); const m = /listening on (\S+)/.exec(out); if (m) resolve({ url: m[1], workers: [] }); if (out.length > 65536) out = ''; });
    proc.stderr?.on('data', (c: Buffer) => {
      process.stderr.write(c);
      err += c.toString();
      const m = /samlscope proxy \(\w+\) on (\S+)/.exec(err);
      if (m) resolve({ url: m[1], workers: (/pids ([\d, ]+)\)/.exec(err)?.[1] ?? '').split(', ').filter(Boolean).map(Number) });
    });
    proc.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)));
  });
  return {
    url, pid: proc.pid as number, pids: [proc.pid as number, ...workers], proc,
    close: () => new Promise<void>((r) => { if (proc.exitCode !== null) return r(); proc.once('exit', () => r()); proc.kill('SIGTERM'); setTimeout(() => proc.kill('SIGKILL'), 3000).unref(); }),
  };
}

export function rss(pid: number | number[]): number {
  let sum = 0;
  for (const p of [pid].flat()) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    sum += m ? Number(m[1]) * 1024 : NaN;
  }
  return sum;
}
export const mib = (b: number) => Number((b / 1048576).toFixed(1));

/** CPU seconds (user + system, all threads) the processes used so far: /proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s */
export function cpuSeconds(pid: number | number[]): number {
  let ticks = 0;
  for (const p of [pid].flat()) {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    // the command name (field 2) may hold spaces: count fields after its closing parenthesis
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / 100;
}

export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out}`))));
  });
}

/** the IdP metadata every samlscope entry reads (no SAML response in the benchmarks is valid: any metadata does) */
export const mdFile = here('../fixtures/metadata/test-idp.xml');
/** samlscope as run in production: the compiled build (dist/, `npm run build` first; bench/run.ts does) */
export const distEntry = (upstreamUrl: string, metrics = false, cpu?: string) => startChild([here('samlscope-entry.mjs'), upstreamUrl, ...(metrics ? ['metrics'] : [])], cpu);
/** the same entry from source through tsx (how bin/samlscope.js runs in a source checkout) */
export const tsxEntry = (upstreamUrl: string) => startChild(['--import', 'tsx', here('samlscope-entry.mjs'), upstreamUrl, 'src']);
/** the real CLI from dist: pino logger (agent paths quiet), admin listener with /metrics, analysis worker thread, --workers N */
export const cliArgs = (upstreamUrl: string, workers: number) => [here('../dist/cli.js'), 'proxy', '--upstream', upstreamUrl, '--metadata', mdFile,
  '--public-url', 'https://fleet.example.test', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--quiet-agent-logs', '--shutdown-grace', '1', '--workers', String(workers)];
export const cliEntry = (upstreamUrl: string, workers: number, cpu?: string) => startChild(cliArgs(upstreamUrl, workers), cpu);
/** RSS after one request and a second of rest */
export async function idleRss(c: Child): Promise<number> {
  await fetch(c.url + '/warm').then((r) => r.text());
  await new Promise((r) => setTimeout(r, 1000));
  return rss(c.pids);
}
/** wrk's 64 KiB JSON POST */
export const postLua = here('post-64k.lua');

/** wrk, keep-alive, 1 thread, 50 connections: requests per second and non-2xx count. */
export async function wrk(url: string, post: boolean, seconds: number, cpu?: string): Promise<{ rps: number; requests: number; errors: number }> {
  const out = await run(...onCpu(cpu, 'wrk', ['-t1', '-c50', `-d${seconds}s`, ...(post ? ['-s', postLua] : []), url + (post ? POST_PATH : GET_PATH)]));
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  return { rps, requests, errors: non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0) };
}
