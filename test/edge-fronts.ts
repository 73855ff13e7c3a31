// Real nginx, Caddy and HAProxy for the edge tests: each a foreground child on a loopback port, its config from edge-config, its own temp dir; ready when the port accepts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEdgeInput, renderEdgeConfig, type Front } from '../src/edge/index.js';
import { NGINX_SERVER_MARK } from '../src/edge/nginx.js';
import { freePort } from './sso-stack.js';

export const FRONT_BINARIES: Record<Front, string> = { nginx: '/usr/sbin/nginx', caddy: '/usr/bin/caddy', haproxy: '/usr/sbin/haproxy' };

/** Why a front cannot run here ('' when it can): the test says so instead of skipping quietly. */
export function frontMissing(front: Front): string {
  const r = spawnSync(FRONT_BINARIES[front], [front === 'caddy' ? 'version' : '-v'], { encoding: 'utf8' });
  return r.status === 0 ? '' : `${FRONT_BINARIES[front]} not runnable (${r.error?.message ?? r.stderr}): run .ci/install-deps.sh`;
}

export interface FrontHandle {
  url: string;
  /** the generated snippet, as the user would paste it */
  snippet: string;
  /** the front's own log (error log for nginx, stderr for Caddy and HAProxy) */
  log(): string;
  close(): Promise<void>;
}

export interface FrontOptions {
  fleet: string;
  samlscope: string;
  urlPrefix?: string;
  /** the port to listen on (when the stack behind must know the front's URL first); default a free one */
  port?: number;
  /** terminate TLS (and offer HTTP/2) at the front with this certificate and key (PEM file paths) */
  tls?: { cert: string; key: string };
}

/** The whole config file around the snippet: what the user already has (listen, temp paths, timeouts aside). */
export function wrapConfig(front: Front, snippet: string, port: number, dir: string, tls?: { cert: string; key: string }): string {
  if (front === 'nginx') {
    // the snippet's two parts where the user puts them: upstreams at http {} level, the rest in server {}
    const at = snippet.indexOf(NGINX_SERVER_MARK);
    const httpPart = snippet.slice(0, at);
    const serverPart = snippet.slice(at);
    const listen = tls ? `    listen 127.0.0.1:${port} ssl http2;\n    ssl_certificate ${tls.cert};\n    ssl_certificate_key ${tls.key};\n` : `    listen 127.0.0.1:${port};\n`;
    const user = process.getuid?.() === 0 ? 'user root;\n' : '';
    return `${user}daemon off;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log info;\nevents { worker_connections 256; }\nhttp {\n` +
      httpPart.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n') + '\n' +
      `  access_log ${dir}/access.log;\n  client_body_temp_path ${dir}/tmp/body;\n  proxy_temp_path ${dir}/tmp/proxy;\n  fastcgi_temp_path ${dir}/tmp/fcgi;\n` +
      `  uwsgi_temp_path ${dir}/tmp/uwsgi;\n  scgi_temp_path ${dir}/tmp/scgi;\n  server {\n${listen}` +
      serverPart.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n') + '  }\n}\n';
  }
  if (front === 'caddy') {
    return `{\n\tadmin off\n\tauto_https ${tls ? 'disable_redirects' : 'off'}\n\tstorage file_system ${dir}/data\n}\n${tls ? 'https' : 'http'}://127.0.0.1:${port} {\n` +
      (tls ? `\ttls ${tls.cert} ${tls.key}\n` : '') +
      snippet.split('\n').map((l) => (l ? `\t${l}` : l)).join('\n') + '}\n';
  }
  return `global\n    pidfile ${dir}/haproxy.pid\n\n${snippet}`;
}

function args(front: Front, file: string, dir: string): string[] {
  if (front === 'nginx') return ['-p', dir, '-c', file, '-e', `${dir}/error.log`];
  if (front === 'caddy') return ['run', '--config', file, '--adapter', 'caddyfile'];
  return ['-db', '-f', file];
}

/** Validates a generated config with the program itself (nginx -t, caddy validate, haproxy -c); returns its output on failure. */
export function validateConfig(front: Front, snippet: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), `samlscope-edge-${front}-check-`));
  mkdirSync(join(dir, 'tmp'));
  const file = join(dir, front === 'caddy' ? 'Caddyfile' : `${front}.conf`);
  writeFileSync(file, wrapConfig(front, snippet, 1, dir));
  const a = front === 'nginx' ? ['-t', '-p', dir, '-c', file, '-e', `${dir}/error.log`] : front === 'caddy' ? ['validate', '--config', file, '--adapter', 'caddyfile'] : ['-c', '-f', file];
  const r = spawnSync(FRONT_BINARIES[front], a, { encoding: 'utf8', env: frontEnv(dir) });
  rmSync(dir, { recursive: true, force: true });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

function frontEnv(dir: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
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

/** Starts the front with the snippet edge-config prints for these upstreams; retries once on a port another process took. */
export async function startFront(front: Front, o: FrontOptions): Promise<FrontHandle> {
  const { input, problems } = parseEdgeInput({ front, fleet: o.fleet, samlscope: o.samlscope, urlPrefix: o.urlPrefix, ...(front === 'haproxy' ? { bind: '127.0.0.1:1' } : {}) });
  if (!input) throw new Error(problems.join('; '));
  let lastErr: unknown;
  for (let tries = 0; tries < 3; tries++) {
    const port = tries === 0 && o.port ? o.port : await freePort();
    const dir = mkdtempSync(join(tmpdir(), `samlscope-edge-${front}-`));
    mkdirSync(join(dir, 'tmp'));
    let bind = `127.0.0.1:${port}`;
    if (o.tls) {
      // HAProxy reads certificate and key from one PEM file
      writeFileSync(join(dir, 'front.pem'), readFileSync(o.tls.cert, 'utf8') + readFileSync(o.tls.key, 'utf8'));
      bind += ` ssl crt ${join(dir, 'front.pem')} alpn h2,http/1.1`;
    }
    const snippet = renderEdgeConfig(front === 'haproxy' ? { ...input, bind } : input);
    const file = join(dir, front === 'caddy' ? 'Caddyfile' : `${front}.conf`);
    writeFileSync(file, wrapConfig(front, snippet, port, dir, o.tls));
    const child = spawn(FRONT_BINARIES[front], args(front, file, dir), { env: frontEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
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
      return { url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`, snippet, log, close: stop };
    } catch (e) {
      lastErr = new Error(`${front}: ${(e as Error).message}\n${log()}`);
      await stop();
    }
  }
  throw lastErr;
}
