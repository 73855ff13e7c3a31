// samlscope's proxy for the benchmarks, in its own process: startProxy in observe mode, no logger, on the test IdP metadata.
// Run: [node --import tsx] samlscope-entry.mjs UPSTREAM_URL [src] [metrics] [nice=N] [stub-analysis] [idp-initiated] [metadata=FILE]
//   src: import src/ (needs --import tsx, how bin/samlscope.js runs in a checkout) instead of the compiled dist/ (what an
//   installed samlscope runs); nice=N: the analysis worker's nice value instead of the default; stub-analysis: a worker
//   that judges nothing (stub-analysis-worker.mjs); idp-initiated: Fleet's enable_sso_idp_login on (a callback without an
//   AuthnRequest before it is a valid login); metadata=FILE: trust this IdP metadata instead of the tests' one (callback.ts
//   signs valid callbacks for the mock IdP's tenant); metrics prints "admin on URL" (where /metrics is) before "listening on"
import { readFileSync } from 'node:fs';

const from = process.argv.includes('src') ? '../src' : '../dist';
const { parseMetadata } = await import(`${from}/saml/index.js`);
const { startProxy } = await import(`${from}/proxy/server.js`);
// for the hostile bodies any IdP metadata does (the tests' one is at hand); valid callbacks need the metadata of their signer
const mdFile = process.argv.find((a) => a.startsWith('metadata='))?.slice('metadata='.length);
const metadata = parseMetadata(readFileSync(mdFile ?? new URL('../fixtures/metadata/test-idp.xml', import.meta.url), 'utf8'));
// metrics need the admin listener (where /metrics lives); without metrics neither runs
const withMetrics = process.argv.includes('metrics');
const nice = /^nice=(\d+)$/.exec(process.argv.find((a) => a.startsWith('nice=')) ?? '');
const analysisPool = {
  ...(nice ? { nice: Number(nice[1]) } : {}),
  ...(process.argv.includes('stub-analysis') ? { workerUrl: new URL('./stub-analysis-worker.mjs', import.meta.url) } : {}),
};
const proxy = await startProxy({ upstream: process.argv[2], metadata, publicUrl: 'https://fleet.example.test', mode: 'observe', quietAgentLogs: true, analysisPool,
  allowIdpInitiated: process.argv.includes('idp-initiated'),
  ...(withMetrics ? { adminListen: { host: '127.0.0.1', port: 0 }, metrics: true } : { adminListen: false }) });
if (proxy.adminUrl) console.log(`admin on ${proxy.adminUrl}`);
console.log(`listening on ${proxy.url}`);
process.on('SIGTERM', () => { void proxy.close().then(() => process.exit(0)); });
