// 1 GiB upload and 1 GiB download streamed through `samlscope proxy` (a child process, so its peak RSS is its own), memory bounded.
import t from 'tap';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import { testMetadataFile } from './proxy-helpers.js';
import { childEnv, proxyUrlFrom } from './child-env.js';

const GIB = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const base = randomBytes(CHUNK);

/** 1 GiB generated on the fly: the same random MiB with its index stamped in, so order and count matter. */
function* gib(): Generator<Buffer> {
  for (let i = 0; i < GIB / CHUNK; i++) {
    const b = Buffer.from(base);
    b.writeUInt32BE(i, 0);
    yield b;
  }
}
function expectedHash(): string {
  const h = createHash('sha1');
  for (const c of gib()) h.update(c);
  return h.digest('hex');
}

function vm(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

// the upstream (Fleet's place): counts and hashes uploads, generates the download
const upstream = http.createServer((req, res) => {
  if (req.url === '/api/latest/fleet/software/package' && req.method === 'POST') {
    const h = createHash('sha1');
    let n = 0;
    req.on('data', (c: Buffer) => { n += c.length; h.update(c); });
    req.on('end', () => res.end(JSON.stringify({ bytes: n, sha1: h.digest('hex') })));
  } else if (req.url === '/api/latest/fleet/software/titles/1/package?alt=media') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': GIB });
    void pipeline(Readable.from(gib()), res).catch(() => undefined);
  } else {
    res.end('ok');
  }
});
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

const mdFile = testMetadataFile();

const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'proxy', '--upstream', upstreamUrl, '--metadata', mdFile,
  '--public-url', 'https://fleet.example.test', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--quiet-agent-logs'],
{ env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
t.teardown(async () => {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await new Promise((r) => upstream.close(r));
});
const { url: proxyUrl } = await proxyUrlFrom(child);
const pid = child.pid as number;

t.test('1 GiB each way through the proxy, bytes intact, memory bounded', async (t) => {
  const expected = expectedHash();
  // warm up, then take the baseline
  await fetch(proxyUrl + '/api/osquery/config', { method: 'POST', body: '{}' }).then((r) => r.text());
  const baseline = vm(pid, 'VmRSS');
  let peak = baseline;
  const sampler = setInterval(() => { try { peak = Math.max(peak, vm(pid, 'VmRSS')); } catch { /* exited */ } }, 100);
  t.teardown(() => clearInterval(sampler));

  const up = await new Promise<{ bytes: number; sha1: string }>((resolve, reject) => {
    const u = new URL(proxyUrl);
    const req = http.request({ host: u.hostname, port: u.port, method: 'POST', path: '/api/latest/fleet/software/package', headers: { 'content-type': 'application/octet-stream', 'content-length': GIB } }, (res) => {
      let s = '';
      res.on('data', (c: Buffer) => { s += c.toString(); });
      res.on('end', () => { try { resolve(JSON.parse(s)); } catch { reject(new Error(`bad answer ${res.statusCode}: ${s}`)); } });
    });
    req.on('error', reject);
    pipeline(Readable.from(gib()), req).catch(reject);
  });
  t.equal(up.bytes, GIB, 'upstream received 1 GiB');
  t.equal(up.sha1, expected, 'upload intact');

  const down = await new Promise<{ bytes: number; sha1: string }>((resolve, reject) => {
    http.get(proxyUrl + '/api/latest/fleet/software/titles/1/package?alt=media', (res) => {
      const h = createHash('sha1');
      let n = 0;
      res.on('data', (c: Buffer) => { n += c.length; h.update(c); });
      res.on('end', () => resolve({ bytes: n, sha1: h.digest('hex') }));
      res.on('error', reject);
    }).on('error', reject);
  });
  t.equal(down.bytes, GIB, 'client received 1 GiB');
  t.equal(down.sha1, expected, 'download intact');

  clearInterval(sampler);
  peak = Math.max(peak, vm(pid, 'VmHWM'));
  const growth = peak - baseline;
  t.comment(`proxy RSS: baseline ${(baseline / 1048576).toFixed(1)} MiB, peak ${(peak / 1048576).toFixed(1)} MiB, growth ${(growth / 1048576).toFixed(1)} MiB`);
  t.ok(growth < 200 * 1024 * 1024, `RSS growth ${(growth / 1048576).toFixed(1)} MiB stays under 200 MiB`);
});
