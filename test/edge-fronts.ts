// Real nginx, Caddy and HAProxy for the edge tests: each a foreground child on a loopback port, its config from edge-config, its own temp dir; ready when the port accepts.
// How a front is run (config file, command line, readiness) is bench/fronts.ts, shared with the edge benchmark.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFile, FRONT_BINARIES, frontEnv, frontMissing, launchFront, wrapConfig } from '../bench/fronts.js';
import { parseEdgeInput, renderEdgeConfig, type Front } from '../src/edge/index.js';

export { frontMissing };

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

/** Validates a generated config with the program itself (nginx -t, caddy validate, haproxy -c); returns its output on failure. */
export function validateConfig(front: Front, snippet: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), `samlscope-edge-${front}-check-`));
  mkdirSync(join(dir, 'tmp'));
  const file = configFile(front, dir);
  writeFileSync(file, wrapConfig(front, snippet, 1, dir));
  const a = front === 'nginx' ? ['-t', '-p', dir, '-c', file, '-e', `${dir}/error.log`] : front === 'caddy' ? ['validate', '--config', file, '--adapter', 'caddyfile'] : ['-c', '-f', file];
  const r = spawnSync(FRONT_BINARIES[front], a, { encoding: 'utf8', env: frontEnv(dir) });
  rmSync(dir, { recursive: true, force: true });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** Starts the front with the snippet edge-config prints for these upstreams; retries on a port another process took. */
export async function startFront(front: Front, o: FrontOptions): Promise<FrontHandle> {
  const { input, problems } = parseEdgeInput({ front, fleet: o.fleet, samlscope: o.samlscope, urlPrefix: o.urlPrefix, ...(front === 'haproxy' ? { bind: '127.0.0.1:1' } : {}) });
  if (!input) throw new Error(problems.join('; '));
  let snippet = '';
  const running = await launchFront(front, {
    port: o.port,
    config: (port, dir) => {
      let bind = `127.0.0.1:${port}`;
      if (o.tls) {
        // HAProxy reads certificate and key from one PEM file
        writeFileSync(join(dir, 'front.pem'), readFileSync(o.tls.cert, 'utf8') + readFileSync(o.tls.key, 'utf8'));
        bind += ` ssl crt ${join(dir, 'front.pem')} alpn h2,http/1.1`;
      }
      snippet = renderEdgeConfig(front === 'haproxy' ? { ...input, bind } : input);
      return wrapConfig(front, snippet, port, dir, { tls: o.tls });
    },
  });
  return { url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${running.port}`, snippet, log: running.log, close: running.close };
}
