// The Go side of the differential tests: builds test/go/fleetread once (cached by source hash) and runs its decode, info and serve modes.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const SOURCE_DIR = fileURLToPath(new URL('./go/fleetread/', import.meta.url));
const CACHE_ROOT = fileURLToPath(new URL('../node_modules/.cache/samlscope-go/', import.meta.url));

/** One line of `fleetread decode`. */
export interface GoRead {
  id: string;
  framing: 'ok' | 'error';
  framingError?: string;
  /** 200 when Fleet goes on to validate, else 400 or 413 */
  status: number;
  reason: 'read' | 'form_parse' | 'body_too_large' | 'base64' | 'missing' | '';
  samlResponseB64: string | null;
  decodedB64: string | null;
  relayStateB64: string | null;
  source: 'body' | 'query' | '';
}

export interface GoInfo {
  go: string;
  /** 10000 where url.ParseQuery limits parameters (Go ≥ 1.24.12 / 1.25.6), 0 where it does not (Debian's Go 1.19) */
  maxQueryParams: number;
  /** whether mime.ParseMediaType accepts a repeated parameter with an equal value (Go 1.19: no) */
  equalDuplicateParams: boolean;
}

let built: string | null = null;

function goEnv(cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: 'off', GOCACHE: join(cache, 'gocache'), GOPATH: join(cache, 'gopath'), CGO_ENABLED: '0' };
  delete env.GOFLAGS;
  return env;
}

/** The fleetread binary, built on first use; a missing Go toolchain fails loudly, never skips. */
export function fleetreadBinary(): string {
  if (built) return built;
  const source = readFileSync(join(SOURCE_DIR, 'main.go'));
  const hash = createHash('sha256').update('fleetread\0').update(source).digest('hex').slice(0, 16);
  const dir = join(CACHE_ROOT, `fleetread-${hash}`);
  const bin = join(dir, 'fleetread');
  if (!existsSync(bin)) {
    const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      throw new Error(`Go is needed for the Fleet differential tests and was not found (${probe.error?.message ?? probe.stderr}). Run .ci/install-deps.sh, which installs golang-go.`);
    }
    mkdirSync(dir, { recursive: true });
    const tmp = `${bin}.${process.pid}.tmp`;
    const r = spawnSync('go', ['build', '-o', tmp, '.'], { cwd: SOURCE_DIR, env: goEnv(dir), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`go build of test/go/fleetread failed: ${r.error?.message ?? ''}${r.stderr}`);
    renameSync(tmp, bin); // atomic: test files building at once each get a whole binary
  }
  built = bin;
  return bin;
}

export function goInfo(): GoInfo {
  const r = spawnSync(fleetreadBinary(), ['info'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fleetread info failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as GoInfo;
}

/** Runs every raw request through Go's http.ReadRequest and Fleet's DecodeRequest, in one process; results in input order. */
export function decodeMany(raws: Buffer[]): Promise<GoRead[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(fleetreadBinary(), ['decode'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: GoRead[] = new Array(raws.length);
    let stderr = '';
    let n = 0;
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const r = JSON.parse(line) as GoRead;
      out[Number(r.id)] = r;
      n++;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || n !== raws.length) reject(new Error(`fleetread decode exited ${code} after ${n}/${raws.length} results: ${stderr}`));
      else resolve(out);
    });
    // one write per case keeps memory flat; backpressure through write()'s return value
    let i = 0;
    const pump = () => {
      while (i < raws.length) {
        const ok = child.stdin.write(JSON.stringify({ id: String(i), raw: raws[i].toString('base64') }) + '\n');
        i++;
        if (!ok) { child.stdin.once('drain', pump); return; }
      }
      child.stdin.end();
    };
    pump();
  });
}

export interface GoFleet {
  url: string;
  /** sha256 hex of every decoded SAMLResponse the Go upstream went on to validate, in arrival order */
  reads(): Promise<string[]>;
  close(): Promise<void>;
}

/** A Fleet-like Go upstream on 127.0.0.1:0; ready when it prints its URL (its first stdout line). */
export function startGoFleet(opts: { prefix?: string } = {}): Promise<GoFleet> {
  const args = ['serve', ...(opts.prefix ? ['-prefix', opts.prefix] : [])];
  const child: ChildProcessWithoutNullStreams = spawn(fleetreadBinary(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fleetread serve exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).once('line', (url) => {
      resolve({
        url,
        reads: async () => (await (await fetch(`${url}/__reads`)).json()) as string[],
        close: async () => { child.kill('SIGTERM'); await exited; },
      });
    });
  });
}
