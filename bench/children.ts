// The benchmarks' child processes: samlscope (bench entries and the real CLI) started and awaited on their readiness line, and commands run to completion.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** pids: the process and, for `--workers N`, its cluster workers (RSS is summed over them); adminUrl: the CLI's admin listener, when on */
export interface Child { url: string; adminUrl?: string; pid: number; pids: number[]; proc: ChildProcess; close(): Promise<void> }

/** The CLI's startup line: `samlscope proxy (observe[, edge: ...]) on URL → ...; admin URL|off[ (worker 1)]; ...[ (pids A, B)]` */
const CLI_READY = /samlscope proxy \([^)]*\) on (\S+) .*?; admin ([^\s;]+)[;\s]/;

/** node ARGV in its own process; resolves once it prints "listening on URL" (bench entries) or the CLI's startup line (stderr). */
export async function startChild(argv: string[]): Promise<Child> {
  const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const { url, adminUrl, workers } = await new Promise<{ url: string; adminUrl?: string; workers: number[] }>((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout?.on('data', (c: Buffer) => { out += c.toString(); const m = /listening on (\S+)/.exec(out); if (m) resolve({ url: m[1], workers: [] }); if (out.length > 65536) out = ''; });
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

/** the IdP metadata every samlscope entry reads (no SAML response in the benchmarks is valid: any metadata does) */
export const METADATA_FILE = fileURLToPath(new URL('../fixtures/metadata/test-idp.xml', import.meta.url));

/** the real CLI from dist (`npm run build` first): pino logger (agent paths quiet), admin listener with /metrics on a free port, analysis worker thread */
export function startCliProxy(upstreamUrl: string, extra: string[]): Promise<Child> {
  return startChild([fileURLToPath(new URL('../dist/cli.js', import.meta.url)), 'proxy', '--upstream', upstreamUrl, '--metadata', METADATA_FILE,
    '--public-url', 'https://fleet.example.test', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--quiet-agent-logs', '--shutdown-grace', '1', ...extra]);
}

/** CMD ARGS to completion: stdout and stderr together; rejects on a non-zero exit. */
export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    p.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out}`))));
  });
}
