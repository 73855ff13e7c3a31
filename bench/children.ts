// Child processes for the benchmarks: an entry started and stopped, a command's output, one open-loop run (open-loop.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { OpenLoopSpec } from './open-loop.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/** pids: the process and, for `--workers N`, its cluster workers (RSS is summed over them); adminUrl: from an "admin on URL" line printed before "listening on" */
export interface Child { url: string; adminUrl: string | null; pid: number; pids: number[]; proc: ChildProcess; close(): Promise<void> }

/** node ARGV in its own process; resolves once it prints "listening on URL" (bench entries) or the CLI's startup line (stderr). */
export async function startChild(argv: string[]): Promise<Child> {
  const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let adminUrl: string | null = null;
  const { url, workers } = await new Promise<{ url: string; workers: number[] }>((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout?.on('data', (c: Buffer) => { out += c.toString(); adminUrl ??= /admin on (\S+)/.exec(out)?.[1] ?? null; const m = /listening on (\S+)/.exec(out); if (m) resolve({ url: m[1], workers: [] }); if (out.length > 65536) out = ''; });
    proc.stderr?.on('data', (c: Buffer) => {
      process.stderr.write(c);
      err += c.toString();
      const m = /samlscope proxy \(\w+\) on (\S+)/.exec(err);
      if (m) resolve({ url: m[1], workers: (/pids ([\d, ]+)\)/.exec(err)?.[1] ?? '').split(', ').filter(Boolean).map(Number) });
    });
    proc.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)));
  });
  return {
    url, adminUrl, pid: proc.pid as number, pids: [proc.pid as number, ...workers], proc,
    close: () => new Promise<void>((r) => { if (proc.exitCode !== null) return r(); proc.once('exit', () => r()); proc.kill('SIGTERM'); setTimeout(() => proc.kill('SIGKILL'), 3000).unref(); }),
  };
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

export interface OpenLoop { sent: number; completed: number; errors: number; statuses: Record<string, number>; p50ms: number; p90ms: number; p99ms: number; maxms: number; worstPer100ms?: number[]; p99AfterFirstSecondMs?: number }
export async function openLoop(spec: OpenLoopSpec): Promise<OpenLoop> {
  const out = await run(process.execPath, ['--import', 'tsx', here('open-loop.ts'), JSON.stringify(spec)]);
  return JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop() as string) as OpenLoop;
}
