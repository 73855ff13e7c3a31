// nginx and wrk for the proxy benchmark (Caddy and HAProxy for the edge one): installed from Debian when missing; nginx started as a child process from a generated config.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCpu } from './children.js';

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd} || test -x /usr/sbin/${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Debian packages for each program, the first that installs wins (nginx-light is the smaller nginx). */
const PACKAGES: Record<string, string[]> = { nginx: ['nginx-light', 'nginx'], wrk: ['wrk'], caddy: ['caddy'], haproxy: ['haproxy'] };

/** apt-get installs the programs that are missing (default nginx and wrk; bench/edge.ts adds caddy and haproxy). */
export function ensureTools(programs: string[] = ['nginx', 'wrk']): void {
  if (programs.every(have)) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args: string[]) => spawnSync(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  run(['apt-get', 'update']);
  for (const p of programs.filter((p) => !have(p))) PACKAGES[p].some((pkg) => run(['apt-get', 'install', '-y', pkg]));
  const missing = programs.filter((p) => !have(p));
  if (missing.length) throw new Error(`${missing.join(', ')} needed: apt-get install -y ${missing.map((p) => PACKAGES[p][0]).join(' ')}`);
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export const SMALL_JSON = '{"queries":{},"discovery":{},"accelerate":0}';

/** A text as an nginx single-quoted string; `$` would be read as a variable, so a text with one is refused. */
function nginxQuoted(text: string): string {
  if (text.includes('$')) throw new Error('nginx would expand $ in a fixed answer');
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Fleet's stand-in: fixed answers for everything (request bodies read and discarded); with callbackPage, the SSO callback answers that HTML. */
function upstreamBlock(port: number, callbackPage?: string): string {
  const callback = callbackPage === undefined ? ''
    : `location = /api/v1/fleet/sso/callback { default_type text/html; return 200 ${nginxQuoted(callbackPage)}; }`;
  return `server { listen 127.0.0.1:${port} backlog=4096; client_max_body_size 0; keepalive_requests 1000000;
    ${callback} location / { default_type application/json; return 200 '${SMALL_JSON}'; } }`;
}

/** A plain reverse proxy as an operator would write it (HTTP/1.1 keep-alive to the upstream, client address headers). */
function proxyBlock(port: number, upstreamPort: number): string {
  return `upstream fleet { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server { listen 127.0.0.1:${port} backlog=4096; client_max_body_size 0; client_body_buffer_size 128k; keepalive_requests 1000000;
    location / { proxy_pass http://fleet; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_set_header X-Forwarded-For $remote_addr; proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme; } }`;
}

export interface NginxHandle {
  url: string;
  pid: number;
  close(): Promise<void>;
}

/**
 * One nginx master with one worker, in the foreground (on `cpu` when set), prefix and temp files in a fresh folder. callbackPage:
 * the page the upstream answers on POST /api/v1/fleet/sso/callback (callback.ts: Fleet's success page, so a valid login is signed_in).
 */
export async function startNginx(kind: ({ upstream: true; callbackPage?: string } | { proxyTo: number }) & { cpu?: string }): Promise<NginxHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'samlscope-bench-nginx-'));
  for (const d of ['logs', 'tmp']) mkdirSync(join(dir, d));
  const port = await freePort();
  const block = 'upstream' in kind ? upstreamBlock(port, kind.callbackPage) : proxyBlock(port, kind.proxyTo);
  const conf = `${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/logs/error.log warn;
events { worker_connections 8192; }
http { access_log off; client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy; fastcgi_temp_path ${dir}/tmp/fcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi; keepalive_timeout 75s;
  ${block} }
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const bin = have('nginx') && spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim() || '/usr/sbin/nginx';
  const child = spawn(...onCpu(kind.cpu, bin, ['-p', dir, '-c', join(dir, 'nginx.conf')]), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const url = `http://127.0.0.1:${port}`;
  // the folder goes with the process (graceful stop: SIGQUIT)
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGQUIT'); });
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    const failed = child.exitCode !== null ? `nginx exited: ${err}` : i > 100 ? `nginx did not start: ${err}` : '';
    if (failed) { await close(); throw new Error(failed); }
    try { await fetch(url + '/ready').then((r) => r.text()); break; } catch { /* not accepting yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, pid: child.pid as number, close };
}
