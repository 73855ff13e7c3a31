// samlscope's proxy for the benchmarks, in its own process: startProxy in observe mode, no logger, on the test IdP metadata.
// Run: [node --import tsx] samlscope-entry.mjs UPSTREAM_URL [src] [metrics] [nice=N] [stub-analysis]
//   src: import src/ (needs --import tsx, how bin/samlscope.js runs in a checkout) instead of the compiled dist/ (what an
//   installed samlscope runs); nice=N: the analysis worker's nice value instead of the default; stub-analysis: a worker
//   that judges nothing (stub-analysis-worker.mjs)
import { readFileSync } from 'node:fs';

const from = process.argv.includes('src') ? '../src' : '../dist';
const { parseMetadata } = await import(`${from}/saml/index.js`);
const { startProxy } = await import(`${from}/proxy/server.js`);
// no SAML response in the benchmarks is valid: any IdP metadata does; the tests' one is at hand
const metadata = parseMetadata(readFileSync(new URL('../fixtures/metadata/test-idp.xml', import.meta.url), 'utf8'));
// metrics need the admin listener (where /metrics lives); without metrics neither runs
const withMetrics = process.argv.includes('metrics');
const nice = /^nice=(\d+)$/.exec(process.argv.find((a) => a.startsWith('nice=')) ?? '');
const analysisPool = {
  ...(nice ? { nice: Number(nice[1]) } : {}),
  ...(process.argv.includes('stub-analysis') ? { workerUrl: new URL('./stub-analysis-worker.mjs', import.meta.url) } : {}),
};
const proxy = await startProxy({ upstream: process.argv[2], metadata, publicUrl: 'https://fleet.example.test', mode: 'observe', quietAgentLogs: true, analysisPool,
  ...(withMetrics ? { adminListen: { host: '127.0.0.1', port: 0 }, metrics: true } : { adminListen: false }) });
console.log(`listening on ${proxy.url}`);
process.on('SIGTERM', () => { void proxy.close().then(() => process.exit(0)); });
