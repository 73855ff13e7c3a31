// A real redis-server (Debian package) for tests: on a free loopback port, no persistence, stopped in teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import type { Test } from 'tap';

export interface TestRedis {
  url: string;
  port: number;
  /** graceful stop (SHUTDOWN NOSAVE via SIGTERM) */
  stop(): Promise<void>;
  /** SIGKILL: Redis vanishes mid-test */
  kill(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

export function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => { c.destroy(); resolve(ok); };
    c.setTimeout(500, () => done(false));
    c.on('error', () => done(false));
    c.on('connect', () => c.write('PING\r\n'));
    c.on('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

/** Starts redis-server and registers its stop in t's teardown. */
export async function startRedis(t: Test): Promise<TestRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => { stderr += String(d); });
  const stop = async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited(child); } };
  const kill = async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited(child); } };
  t.teardown(kill);
  const deadline = Date.now() + 5000;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) { await kill(); throw new Error(`redis-server did not start on ${port}: ${stderr}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop, kill };
}
