// Real nginx, Caddy and HAProxy as foreground children: a whole config file around an edge-config snippet, its own temp dir, ready when the port accepts.
// Shared by the edge tests (test/edge-fronts.ts) and the edge benchmark (bench/edge.ts), so both run the fronts the same way.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Front } from '../src/edge/index.js';
import { NGINX_SERVER_MARK } from '../src/edge/nginx.js';
import { onCpu } from './children.js';
import { freePort } from './nginx.js';

export const FRONT_BINARIES: Record<Front, string> = { nginx: '/usr/sbin/nginx', caddy: '/usr/bin/caddy', haproxy: '/usr/sbin/haproxy' };

/** Why a front cannot run here ('' when it can): the caller says so instead of skipping quietly. */
export function frontMissing(front: Front): string {
  const r = spawnSync(FRONT_BINARIES[front], [front === 'caddy' ? 'version' : '-v'], { encoding: 'utf8' });
  return r.status === 0 ? '' : `${FRONT_BINARIES[front]} not runnable (${r.error?.message ?? r.stderr}): run .ci/install-deps.sh`;
}

export interface WrapOptions {
  /** terminate TLS (and offer HTTP/2) at the front with this certificate and key (PEM file paths) */
  tls?: { cert: string; key: string };
  /** nginx's access log (default on: a file in the front's dir); the benchmark turns it off, as bench/nginx.ts does */
  accessLog?: boolean;
  /** HAProxy's nbthread (default: HAProxy's own, one per CPU); nginx always runs 1 worker, Caddy's threads are GOMAXPROCS (`env`) */
  threads?: number;
}

/** The whole config file around the snippet: what the user already has (listen, temp paths, timeouts aside). */
export function wrapConfig(front: Front, snippet: string, port: number, dir: string, o: WrapOptions = {}): string {
  const { tls } = o;
  if (front === 'nginx') {
    // the snippet's two parts where the user puts them: upstreams at http {} level, the rest in server {}
    const at = snippet.indexOf(NGINX_SERVER_MARK);
    const httpPart = snippet.slice(0, at);
    const serverPart = snippet.slice(at);
    const listen = tls ? `    listen 127.0.0.1:${port} ssl http2;\n    ssl_certificate ${tls.cert};\n    ssl_certificate_key ${tls.key};\n` : `    listen 127.0.0.1:${port};\n`;
    const user = process.getuid?.() === 0 ? 'user root;\n' : '';
    const accessLog = o.accessLog === false ? 'off' : `${dir}/access.log`;
    return `${user}daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log info;\nevents { worker_connections 256; }\nhttp {\n` +
      httpPart.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n') + '\n' +
      `  access_log ${accessLog};\n  client_body_temp_path ${dir}/tmp/body;\n  proxy_temp_path ${dir}/tmp/proxy;\n  fastcgi_temp_path ${dir}/tmp/fcgi;\n` +
      `  uwsgi_temp_path ${dir}/tmp/uwsgi;\n  scgi_temp_path ${dir}/tmp/scgi;\n  server {\n${listen}` +
      serverPart.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n') + '  }\n}\n';
  }
  if (front === 'caddy') {
    return `{\n\tadmin off\n\tauto_https ${tls ? 'disable_redirects' : 'off'}\n\tstorage file_system ${dir}/data\n}\n${tls ? 'https' : 'http'}://127.0.0.1:${port} {\n` +
      (tls ? `\ttls ${tls.cert} ${tls.key}\n` : '') +
      snippet.split('\n').map((l) => (l ? `\t${l}` : l)).join('\n') + '}\n';
  }
  return `global\n    pidfile ${dir}/haproxy.pid\n${o.threads ? `    nbthread ${o.threads}\n` : ''}\n${snippet}`;
}

/** The command line that runs FILE in the foreground (nginx: `daemon off` is in the file). */
export function frontArgs(front: Front, file: string, dir: string): string[] {
  if (front === 'nginx') return ['-p', dir, '-c', file, '-e', `${dir}/error.log`];
  if (front === 'caddy') return ['run', '--config', file, '--adapter', 'caddyfile'];
  return ['-db', '-f', file];
}

/** The front's whole environment: nothing from the user's home (Caddy keeps its state under XDG dirs). */
export function frontEnv(dir: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
}

/** The config file's name in the front's dir. */
export function configFile(front: Front, dir: string): string {
  return join(dir, front === 'caddy' ? 'Caddyfile' : `${front}.conf`);
}

/** Resolves once host:port accepts a connection; rejects when the child exits first. */
function whenAccepting(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  return new Promise((resolve, reject) => {
    let done = false;
    const onExit = (code: number | null) => { if (!done) { done = true; reject(new Error(`exited with ${code} before accepting`)); } };
    child.once('exit', onExit);
    const attempt = () => {
      if (done) return;
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); done = true; child.off('exit', onExit); resolve(); });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) { done = true; reject(new Error(`not accepting on ${port} after ${deadlineMs} ms`)); return; }
        // the next attempt follows the refused one (a readiness poll, not a sleep that orders anything)
        setImmediate(attempt);
      });
    };
    attempt();
  });
}

export interface RunningFront {
  port: number;
  /** the front's process (nginx: its master; the worker is a child of it) */
  pid: number;
  /** the front's own log (error log for nginx, stderr for Caddy and HAProxy) */
  log(): string;
  /** stops the front and removes its dir */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** the whole config file for this port, written into DIR (the front's own temp dir, for pid, logs and state) */
  config(port: number, dir: string): string;
  /** the port to listen on first (when the stack behind must know the front's URL first); default a free one */
  port?: number;
  /** added to frontEnv (Caddy: GOMAXPROCS) */
  env?: NodeJS.ProcessEnv;
  /** run on these CPUs (taskset's list) */
  cpu?: string;
}

/** Starts the front on a loopback port; retries twice on a port another process took, then throws with the front's log. */
export async function launchFront(front: Front, o: LaunchOptions): Promise<RunningFront> {
  let lastErr: unknown;
  for (let tries = 0; tries < 3; tries++) {
    const port = tries === 0 && o.port ? o.port : await freePort();
    const dir = mkdtempSync(join(tmpdir(), `samlscope-edge-${front}-`));
    mkdirSync(join(dir, 'tmp'));
    const file = configFile(front, dir);
    writeFileSync(file, o.config(port, dir));
    const child = spawn(...onCpu(o.cpu, FRONT_BINARIES[front], frontArgs(front, file, dir)), { env: { ...frontEnv(dir), ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => { out += String(c); });
    child.stderr?.on('data', (c: Buffer) => { out += String(c); });
    const log = () => {
      let err = '';
      try { err = readFileSync(join(dir, 'error.log'), 'utf8'); } catch { /* Caddy and HAProxy log to stderr */ }
      return out + err;
    };
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await whenAccepting(port, child, 15_000);
      return { port, pid: child.pid as number, log, close: stop };
    } catch (e) {
      lastErr = new Error(`${front}: ${(e as Error).message}\n${log()}`);
      await stop();
    }
  }
  throw lastErr;
}
