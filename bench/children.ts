// The benchmarks' child processes: samlscope (bench entries and the real CLI) started and awaited on their readiness line, commands run
// to completion, optionally pinned to CPUs (taskset), and what the processes cost (RSS, CPU time).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OpenLoopSpec } from './open-loop.js';

export const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/** pids: the process and, for `--workers N`, its cluster workers (RSS is summed over them); adminUrl: the CLI's admin listener, when on */
export interface Child { url: string; adminUrl?: string; pid: number; pids: number[]; proc: ChildProcess; close(): Promise<void> }

/** The CLI's startup line: `samlscope proxy (observe[, edge: ...]) on URL → ...; admin URL|off[ (worker 1)]; ...[ (pids A, B)]` */
const CLI_READY = /samlscope proxy \([^)]*\) on (\S+) .*?; admin ([^\s;]+)[;\s]/;

/** argv for cmd, run on the given CPUs (taskset's list, e.g. "1") when cpu is set */
export function onCpu(cpu: string | undefined, cmd: string, args: string[]): [string, string[]] {
  return cpu === undefined ? [cmd, args] : ['taskset', ['-c', cpu, cmd, ...args]];
}

/** node ARGV in its own process (on `cpu` when set); resolves once it prints "listening on URL" (bench entries, "admin on URL" before
 *  it when the entry has one) or the CLI's startup line (stderr). */
export async function startChild(argv: string[], cpu?: string): Promise<Child> {
  const proc = spawn(...onCpu(cpu, process.execPath, argv), { stdio: ['ignore', 'pipe', 'pipe'] });
  const { url, adminUrl, workers } = await new Promise<{ url: string; adminUrl?: string; workers: number[] }>((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      const admin = /admin on (\S+)/.exec(out)?.[1];
      if (m) resolve({ url: m[1], ...(admin ? { adminUrl: admin } : {}), workers: [] });
      if (out.length > 65536) out = '';
    });
    proc.stderr?.on('data', (c: Buffer) => {
      process.stderr.write(c);
      err += c.toString();
      const m = CLI_READY.exec(err);
      if (m) resolve({ url: m[1], ...(m[2] === 'off' ? {} : { adminUrl: m[2] }), workers: (/pids ([\d, ]+)\)/.exec(err)?.[1] ?? '').split(', ').filter(Boolean).map(Number) });
    });
    proc.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)));
  });
  return {
    url, adminUrl, pid: proc.pid as number, pids: [proc.pid as number, ...workers], proc,
    close: () => new Promise<void>((r) => { if (proc.exitCode !== null) return r(); proc.once('exit', () => r()); proc.kill('SIGTERM'); setTimeout(() => proc.kill('SIGKILL'), 3000).unref(); }),
  };
}

/** the IdP metadata every samlscope entry reads (where no SAML response is valid, any metadata does) */
export const METADATA_FILE = here('../fixtures/metadata/test-idp.xml');

/** samlscope as run in production: startProxy from the compiled build (dist/, `npm run build` first; bench/run.ts does), no logger, no admin */
export const distEntry = (upstreamUrl: string, metrics = false, cpu?: string) => startChild([here('samlscope-entry.mjs'), upstreamUrl, ...(metrics ? ['metrics'] : [])], cpu);

/** the real CLI from dist as users run it: pino logger (agent paths quiet), admin listener with /metrics on a free port, analysis worker thread */
export function cliArgs(upstreamUrl: string, extra: string[], cli = here('../dist/cli.js')): string[] {
  return [cli, 'proxy', '--upstream', upstreamUrl, '--metadata', METADATA_FILE,
    '--public-url', 'https://fleet.example.test', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--quiet-agent-logs', '--shutdown-grace', '1', ...extra];
}
export const startCliProxy = (upstreamUrl: string, extra: string[], cpu?: string) => startChild(cliArgs(upstreamUrl, extra), cpu);

/** CMD ARGS to completion: stdout and stderr together; rejects on a non-zero exit. */
export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    // 'close', not 'exit': 'exit' may come before the last of the output has been read (wrk's whole report, then and there)
    p.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out}`))));
  });
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

/** pid and every process below it (/proc/PID/task/TID/children): nginx's workers under its master */
export function processTree(pid: number): number[] {
  const out = [pid];
  let tasks: string[] = [];
  try { tasks = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const tid of tasks) {
    const kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    for (const k of kids ? kids.split(' ') : []) out.push(...processTree(Number(k)));
  }
  return out;
}

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

export interface OpenLoop { sent: number; completed: number; errors: number; statuses: Record<string, number>; p50ms: number; p90ms: number; p99ms: number; maxms: number; worstPer100ms?: number[]; p99AfterFirstSecondMs?: number }
/** One open-loop run (open-loop.ts) in its own process, so the load generator does not share the caller's event loop */
export async function openLoop(spec: OpenLoopSpec): Promise<OpenLoop> {
  const out = await run(process.execPath, ['--import', 'tsx', here('open-loop.ts'), JSON.stringify(spec)]);
  return JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop() as string) as OpenLoop;
}
