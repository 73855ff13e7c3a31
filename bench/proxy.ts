// Benchmark: is samlscope the bottleneck in front of Fleet? Throughput, fixed-rate latency, SSO under attack, streaming and websocket memory,
// against direct, nginx (1 worker) and a bare Node proxy, in one run. Run: proxy.ts [seconds per case = 10]  (see bench/README.md)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { distEntry, here, mib, openLoop, rss, startChild, startCliProxy, type Child, type OpenLoop } from './children.js';
import { hostileCallbackBody } from './hostile-body.js';
import { ensureTools, startNginx, type NginxHandle } from './nginx.js';
import { alternatingRounds, GET_PATH, POST_PATH } from './wrk.js';

const SECONDS = Number(process.argv[2] ?? 10);
/** which parts to run (default all): throughput,latency,attack,streaming */
const PARTS = new Set((process.argv[3] ?? 'throughput,latency,attack,streaming').split(','));
const RATE = 2000;
const WS_COUNT = 1000;
const GIB = 1024 * 1024 * 1024;
/** the same entry from source through tsx (how bin/samlscope.js runs in a source checkout) */
const tsxEntry = (upstreamUrl: string) => startChild(['--import', 'tsx', here('samlscope-entry.mjs'), upstreamUrl, 'src']);
/** the real CLI with --workers N */
const cliEntry = (upstreamUrl: string, workers: number) => startCliProxy(upstreamUrl, ['--workers', String(workers)]);
/** RSS after one request and a second of rest */
async function idleRss(c: Child): Promise<number> {
  await fetch(c.url + '/warm').then((r) => r.text());
  await new Promise((r) => setTimeout(r, 1000));
  return rss(c.pids);
}

class Done extends Error {}
const results: Record<string, unknown> = { seconds: SECONDS, rate: RATE };
const cleanups: (() => Promise<void>)[] = [];
try {
  ensureTools();
  const upstream: NginxHandle = await startNginx({ upstream: true });
  cleanups.push(() => upstream.close());
  const nginx = await startNginx({ proxyTo: Number(new URL(upstream.url).port) });
  cleanups.push(() => nginx.close());
  const samlscope = await distEntry(upstream.url);
  cleanups.push(() => samlscope.close());
  const bare = await startChild(['--import', 'tsx', here('bare-proxy.ts'), upstream.url]);
  cleanups.push(() => bare.close());
  const targets: [string, string][] = [['direct', upstream.url], ['samlscope', samlscope.url], ['nginx', nginx.url], ['bare-node', bare.url]];
  const variants: [string, Child][] = [];
  if (PARTS.has('throughput')) {
    for (const [name, start] of [['samlscope+metrics', () => distEntry(upstream.url, true)], ['cli-workers-1', () => cliEntry(upstream.url, 1)], ['cli-workers-2', () => cliEntry(upstream.url, 2)], ['samlscope-tsx', () => tsxEntry(upstream.url)]] as const) {
      const c = await start();
      cleanups.push(() => c.close());
      variants.push([name, c]);
    }
  }
  // 0. idle memory: the production form (dist) against tsx, and the CLI with 1 and 2 workers (primary + workers summed)
  const idle: Record<string, number> = { samlscope: mib(await idleRss(samlscope)) };
  for (const [name, c] of variants) idle[name] = mib(await idleRss(c));
  results.idleRssMiB = idle;
  console.error(`idle RSS MiB: ${JSON.stringify(idle)}`);

  // 1. throughput (the tsx entry is for memory only), in alternating rounds (wrk.ts)
  const tputTargets: [string, string][] = [...targets, ...variants.filter(([n]) => n !== 'samlscope-tsx').map(([n, c]): [string, string] => [n, c.url])];
  const tput = PARTS.has('throughput') ? await alternatingRounds(tputTargets, SECONDS, (l) => console.error(l)) : {};
  if (PARTS.has('throughput')) results.throughput = tput;

  // 2. latency at a fixed rate, open loop
  const lat: Record<string, OpenLoop> = {};
  for (const [name, url] of PARTS.has('latency') || PARTS.has('attack') ? targets : []) {
    lat[name] = await openLoop({ url, path: GET_PATH, rate: RATE, seconds: SECONDS });
    console.error(`latency ${name}: ${JSON.stringify(lat[name])}`);
  }
  if (PARTS.has('latency') || PARTS.has('attack')) results.latency = lat;

  // 3. SSO under attack: the same agent load while 20 hostile 256 KiB callbacks per second arrive. Each target first gets
  // 3 s of agent traffic and 10 callbacks one at a time, so every target starts warm (a proxy in service always has
  // agent traffic; without this, a process that sat idle during the other runs showed a one-off stall of up to 330 ms
  // at the start of the flood in some runs, the fresh ones none).
  const hostile = hostileCallbackBody();
  const flood = async (url: string): Promise<{ agents: OpenLoop; callbacks: OpenLoop }> => {
    await openLoop({ url, path: GET_PATH, rate: RATE, seconds: 3 });
    for (let i = 0; i < 10; i++) {
      await fetch(url + '/api/v1/fleet/sso/callback', { method: 'POST', body: new Uint8Array(hostile), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
        .then((r) => r.arrayBuffer())
        // the bare proxy may reset: its upstream answers before reading the body and Node then drops the connection
        .catch(() => undefined);
    }
    // both generators boot (tsx, the hostile body) before either sends: their start-up CPU is not part of the measurement
    const startAt = Date.now() + 3000;
    const [agents, callbacks] = await Promise.all([
      openLoop({ url, path: GET_PATH, rate: RATE, seconds: SECONDS, timeline: true, startAt }),
      openLoop({ url, path: '/api/v1/fleet/sso/callback', method: 'POST', body: 'hostile-callback', rate: 20, seconds: SECONDS, connections: 8, startAt }),
    ]);
    return { agents, callbacks };
  };
  if (PARTS.has('attack')) {
    const main = await flood(samlscope.url);
    // the same flood through the bare Node proxy (which judges nothing): what the load itself costs on this machine
    const bareRun = await flood(bare.url);
    // samlscope with its analysis worker at the process's own priority, and with a worker that judges nothing: how much
    // of the rise is the analysis's CPU, and what nice 10 buys
    const variants: Record<string, { agents: OpenLoop; callbacks: OpenLoop }> = {};
    for (const [name, arg] of [['analysis at nice 0', 'nice=0'], ['analysis stubbed', 'stub-analysis']] as const) {
      const c = await startChild([here('samlscope-entry.mjs'), upstream.url, arg]);
      try {
        variants[name] = await flood(c.url);
      } finally {
        await c.close();
      }
    }
    console.error(`attack: ${JSON.stringify({ main, bareRun, variants })}`);
    results.attack = { agents: main.agents, callbacks: main.callbacks, bareAgents: bareRun.agents, variants };
  }
  await samlscope.close();
  await bare.close();
  for (const [, c] of variants) await c.close();

  if (!PARTS.has('streaming')) throw new Done();
  // 4. streaming and websockets, on a fresh samlscope in front of a Node sink (counts upload bytes, echoes websockets)
  let received = 0;
  const sink = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => { received += c.length; });
    req.on('end', () => res.end(JSON.stringify({ bytes: received })));
  });
  const wss = new WebSocketServer({ server: sink, perMessageDeflate: false });
  wss.on('connection', (ws) => ws.on('message', (m, binary) => ws.send(m, { binary })));
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(); sink.closeAllConnections(); sink.close(() => r()); }));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  // the upload through the tsx entry first (for the dist-vs-tsx memory figure), then through dist, which then also carries the websockets
  const tsxFresh = await tsxEntry(sinkUrl);
  cleanups.push(() => tsxFresh.close());
  results.uploadTsx = await upload(tsxFresh);
  console.error(`upload (tsx): ${JSON.stringify(results.uploadTsx)}`);
  await tsxFresh.close();
  const fresh = await distEntry(sinkUrl);
  cleanups.push(() => fresh.close());
  results.upload = await upload(fresh);
  console.error(`upload (dist): ${JSON.stringify(results.upload)}`);
  async function upload(fresh: Child): Promise<Record<string, number>> {
  received = 0;
  await fetch(fresh.url + '/warm').then((r) => r.text());
  await new Promise((r) => setTimeout(r, 1000));
  const baseRss = rss(fresh.pid);
  let peakRss = baseRss;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, rss(fresh.pid)); }, 50);
  const chunk = Buffer.alloc(1024 * 1024, 7);
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const u = new URL(fresh.url);
    const req = http.request({ host: u.hostname, port: u.port, method: 'POST', path: '/api/latest/fleet/software/package', headers: { 'content-type': 'application/octet-stream', 'content-length': GIB } },
      (res) => { res.resume(); res.on('end', () => resolve()); });
    req.on('error', reject);
    let sent = 0;
    const write = () => { while (sent < GIB) { sent += chunk.length; if (!req.write(chunk)) { req.once('drain', write); return; } } req.end(); };
    write();
  });
  const uploadS = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  return { bytes: received, seconds: Number(uploadS.toFixed(2)), mibPerS: Math.round(1024 / uploadS), rssBaselineMiB: mib(baseRss), rssPeakMiB: mib(peakRss), rssGrowthMiB: mib(peakRss - baseRss) };
  }

  await new Promise((r) => setTimeout(r, 1000));
  const wsBefore = rss(fresh.pid);
  const sockets: WebSocket[] = [];
  const wsUrl = fresh.url.replace(/^http/, 'ws') + '/api/v1/fleet/results/websocket';
  for (let batch = 0; batch < WS_COUNT / 100; batch++) {
    await Promise.all(Array.from({ length: 100 }, () => new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { origin: 'https://fleet.example.test', perMessageDeflate: false });
      sockets.push(ws);
      ws.once('open', () => resolve());
      ws.once('error', reject);
    })));
  }
  const echo = await new Promise<string>((resolve) => { sockets[0].once('message', (m) => resolve(String(m))); sockets[0].send('still there'); });
  await new Promise((r) => setTimeout(r, 1500));
  const wsAfter = rss(fresh.pid);
  results.websockets = { open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length, echo, rssBeforeMiB: mib(wsBefore), rssAfterMiB: mib(wsAfter), kibPerSocket: Number(((wsAfter - wsBefore) / WS_COUNT / 1024).toFixed(1)) };
  console.error(`websockets: ${JSON.stringify(results.websockets)}`);
  for (const s of sockets) s.terminate();
} catch (e) {
  if (!(e instanceof Done)) {
    console.error(e);
    process.exitCode = 1;
  }
} finally {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
}

// the table
type T = { rps: number };
const tp = results.throughput as Record<string, { get: T; post64k: T }> | undefined;
const lt = results.latency as Record<string, OpenLoop> | undefined;
const at = results.attack as { agents: OpenLoop; callbacks: OpenLoop; bareAgents?: OpenLoop; variants?: Record<string, { agents: OpenLoop; callbacks: OpenLoop }> } | undefined;
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '—');
const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');
const lines: string[] = [];
if (tp) {
  lines.push(`Throughput (wrk -t1 -c50, keep-alive, 2 × ${Math.max(1, Math.round(SECONDS / 2))} s in alternating order, mean)   GET ${GET_PATH}   POST 64 KiB ${POST_PATH}`);
  for (const n of Object.keys(tp)) lines.push(`  ${n.padEnd(18)} ${fmt(tp[n].get.rps).padStart(10)} req/s  (${fmt(tp[n].get.rps / tp.nginx.get.rps, 2)} × nginx)   ${fmt(tp[n].post64k.rps).padStart(8)} req/s  (${fmt(tp[n].post64k.rps / tp.nginx.post64k.rps, 2)} × nginx)`);
  for (const k of ['get', 'post64k'] as const) {
    const ratio = (a: string, b: string) => (tp[a] && tp[b] ? fmt(tp[a][k].rps / tp[b][k].rps, 2) : '—');
    lines.push(`  ${k}: metrics on / off = ${ratio('samlscope+metrics', 'samlscope')}; CLI --workers 2 / --workers 1 = ${ratio('cli-workers-2', 'cli-workers-1')}; CLI --workers 2 = ${ratio('cli-workers-2', 'nginx')} × nginx`);
    const vsNginx = tp.samlscope[k].rps / tp.nginx[k].rps;
    const vsBare = tp.samlscope[k].rps / tp['bare-node'][k].rps;
    lines.push(`  ${k}: samlscope = ${fmt(vsNginx, 2)} × nginx (target ≥ 0.5: ${verdict(vsNginx >= 0.5)}), ${fmt(vsBare, 2)} × bare Node (target ≥ 0.9: ${verdict(vsBare >= 0.9)}; runs one after the other move ±30 % here: floor.ts measures this ratio in paired rounds)`);
  }
}
if (lt) {
  lines.push(`Latency at ${RATE} req/s, open loop, ${SECONDS} s (ms; added = over direct)`);
  for (const n of Object.keys(lt)) lines.push(`  ${n.padEnd(12)} p50 ${fmt(lt[n].p50ms, 3).padStart(7)}  p99 ${fmt(lt[n].p99ms, 3).padStart(7)}  max ${fmt(lt[n].maxms, 1).padStart(6)}  added p50 ${fmt(lt[n].p50ms - lt.direct.p50ms, 3).padStart(7)}  added p99 ${fmt(lt[n].p99ms - lt.direct.p99ms, 3).padStart(7)}  errors ${lt[n].errors}`);
  const s = lt.samlscope.p99ms - lt.direct.p99ms;
  const g = lt.nginx.p99ms - lt.direct.p99ms;
  lines.push(g > 0 ? `  samlscope added p99 = ${fmt(s / g, 2)} × nginx's (target ≤ 2: ${verdict(s <= 2 * g)})`
    : `  nginx's added p99 is ${fmt(g, 3)} ms (≤ 0: the direct run was noisier than nginx's); re-run on a quiet machine`);
}
if (at && lt) {
  const rise = at.agents.p99ms / lt.samlscope.p99ms - 1;
  lines.push(`SSO under attack (20 hostile 256 KiB callbacks/s): agent p99 ${fmt(lt.samlscope.p99ms, 3)} → ${fmt(at.agents.p99ms, 3)} ms (${fmt(rise * 100, 0)} %, target ≤ 20 %: ${verdict(rise <= 0.2)}); callbacks answered ${JSON.stringify(at.callbacks.statuses)}, p50 ${fmt(at.callbacks.p50ms, 1)} ms`);
  const w = at.agents.worstPer100ms ?? [];
  const stalls = w.map((ms, i) => [ms, i] as const).filter(([ms]) => ms > 4 * lt.samlscope.p99ms);
  lines.push(`  agent latency per 100 ms window: median of the worst ${fmt([...w].sort((a, b) => a - b)[Math.floor(w.length / 2)], 0)} ms; p99 after the first second ${fmt(at.agents.p99AfterFirstSecondMs ?? NaN, 3)} ms; ${stalls.length} windows over 4 × the quiet p99` +
    (stalls.length ? ` (at ${stalls.slice(0, 8).map(([ms, i]) => `${(i / 10).toFixed(1)} s: ${ms} ms`).join(', ')}${stalls.length > 8 ? ', ...' : ''})` : ''));
  if (at.bareAgents && lt['bare-node']) lines.push(`  baseline, the same flood through the bare Node proxy (no analysis): agent p99 ${fmt(lt['bare-node'].p99ms, 3)} → ${fmt(at.bareAgents.p99ms, 3)} ms (${fmt((at.bareAgents.p99ms / lt['bare-node'].p99ms - 1) * 100, 0)} %; after the first second ${fmt(at.bareAgents.p99AfterFirstSecondMs ?? NaN, 3)} ms)`);
  for (const [name, v] of Object.entries(at.variants ?? {})) {
    lines.push(`  samlscope, ${name}: agent p99 ${fmt(lt.samlscope.p99ms, 3)} → ${fmt(v.agents.p99ms, 3)} ms (${fmt((v.agents.p99ms / lt.samlscope.p99ms - 1) * 100, 0)} %; after the first second ${fmt(v.agents.p99AfterFirstSecondMs ?? NaN, 3)} ms); callbacks p50 ${fmt(v.callbacks.p50ms, 1)} ms`);
  }
}
const idle = results.idleRssMiB as Record<string, number> | undefined;
if (idle) lines.push(`Idle RSS (after one request): ${Object.entries(idle).map(([n, v]) => `${n} ${v} MiB`).join(', ')}`);
for (const [label, key] of [['dist', 'upload'], ['tsx', 'uploadTsx']]) {
  const up = results[key] as { rssPeakMiB: number; rssBaselineMiB: number; mibPerS: number; bytes: number } | undefined;
  if (up) lines.push(`1 GiB upload (${label}): ${up.bytes === GIB ? 'all bytes arrived' : `ONLY ${up.bytes} bytes arrived`}, ${up.mibPerS} MiB/s, RSS ${up.rssBaselineMiB} → peak ${up.rssPeakMiB} MiB (target ≤ 150 MB: ${verdict(up.rssPeakMiB * 1048576 <= 150e6)})`);
}
const ws = results.websockets as { open: number; kibPerSocket: number; rssBeforeMiB: number; rssAfterMiB: number } | undefined;
if (ws) lines.push(`${ws.open} idle websockets: RSS ${ws.rssBeforeMiB} → ${ws.rssAfterMiB} MiB, ${ws.kibPerSocket} KiB each`);
console.log(lines.join('\n'));
console.log(JSON.stringify({ bench: 'proxy', ...results }));
