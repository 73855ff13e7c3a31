// Fleet's Go SAML stack as a test oracle: builds test/go/crewjamread once per source hash and talks to it as one child process.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..');
const SOURCE_DIR = join(root, 'test', 'go', 'crewjamread');
const SOURCE = join(SOURCE_DIR, 'main.go');
const DEBIAN_GOPATH = '/usr/share/gocode';
const NEEDED = ['github.com/beevik/etree', 'github.com/russellhaering/goxmldsig', 'github.com/mattermost/xml-roundtrip-validator'];
const INSTALL_HINT = 'run `bash .ci/install-deps.sh` (it installs golang-go and the Debian Go packages etree, goxmldsig and xml-roundtrip-validator)';

/** One case as the Go program reads it. */
export interface GoCase {
  id: string;
  xmlBase64: string;
  certsPem: string[];
  idpEntityId: string;
  entityId: string;
  acsUrl: string;
  audiences: string[];
  requestIds: string[];
  allowIdpInitiated: boolean;
  now: string;
}

/** What Fleet's Go stack made of it. */
export interface GoVerdict {
  id: string;
  ok: boolean;
  stage?: string;
  error?: string;
  panic: boolean;
  issuer: string | null;
  responseIssuer: string | null;
  nameId: string | null;
  audiences: string[] | null;
  destination: string;
  recipient: string | null;
  inResponseTo: string;
  responseSigned: boolean;
  assertionSignatureVerified: boolean;
}

/** Why the oracle cannot run, or null when Go and the Debian packages are there. */
function missingToolchain(): string | null {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) return `Go is not installed (\`go version\` failed): ${INSTALL_HINT}`;
  const absent = NEEDED.filter((p) => !existsSync(join(DEBIAN_GOPATH, 'src', p)));
  if (absent.length > 0) return `Debian Go packages missing under ${DEBIAN_GOPATH}: ${absent.join(', ')}; ${INSTALL_HINT}`;
  return null;
}

/** Builds the oracle into node_modules/.cache/samlscope-go/<hash>/ unless that build exists; returns the binary path. Throws with the install hint. */
export function buildGoOracle(): string {
  const problem = missingToolchain();
  if (problem) throw new Error(`xml differential oracle unavailable: ${problem}`);
  const hash = createHash('sha256').update(readFileSync(SOURCE)).update(spawnSync('go', ['version'], { encoding: 'utf8' }).stdout).digest('hex').slice(0, 16);
  const dir = join(root, 'node_modules', '.cache', 'samlscope-go', hash);
  const bin = join(dir, 'crewjamread');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const built = spawnSync('go', ['build', '-o', tmp, '.'], {
    cwd: SOURCE_DIR,
    encoding: 'utf8',
    env: { ...process.env, GO111MODULE: 'off', GOPATH: `${join(dir, 'gopath')}:${DEBIAN_GOPATH}`, GOCACHE: join(dir, 'gocache'), GOFLAGS: '' },
  });
  if (built.status !== 0) throw new Error(`building test/go/crewjamread failed (${INSTALL_HINT}):\n${built.stderr}`);
  renameSync(tmp, bin);
  return bin;
}

export interface GoOracle {
  /** judges a batch in one round trip; answers come back in order */
  judge(cases: GoCase[]): Promise<GoVerdict[]>;
  close(): Promise<void>;
}

/** Starts the oracle as a child process speaking JSON lines. */
export function startGoOracle(bin = buildGoOracle()): GoOracle {
  const child: ChildProcessWithoutNullStreams = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const waiting: Array<{ resolve: (v: GoVerdict) => void; reject: (e: Error) => void }> = [];
  let exited: Error | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w.resolve(JSON.parse(line) as GoVerdict);
  });
  child.once('exit', (code) => {
    exited = new Error(`crewjamread exited (${code}): ${stderr.slice(0, 2000)}`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  return {
    judge(cases) {
      if (exited) return Promise.reject(exited);
      const answers = cases.map(() => new Promise<GoVerdict>((resolve, reject) => waiting.push({ resolve, reject })));
      child.stdin.write(cases.map((c) => JSON.stringify(c) + '\n').join(''));
      return Promise.all(answers);
    },
    close() {
      return new Promise((resolve) => {
        if (exited) { resolve(); return; }
        child.once('exit', () => resolve());
        child.stdin.end();
      });
    },
  };
}
