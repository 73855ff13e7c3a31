// samlscope's proxy for the benchmarks from the compiled build (dist/, what an installed samlscope runs): startProxy in observe mode, no logger.
// Run: samlscope-dist.mjs UPSTREAM_URL [metrics] [nice=N] [stub-analysis]  (nice=N: the analysis worker's nice value instead of the
// default; stub-analysis: a worker that judges nothing, stub-analysis-worker.mjs)
import { readFileSync } from 'node:fs';
import { parseMetadata } from '../dist/saml/index.js';
import { startProxy } from '../dist/proxy/server.js';

const pem = readFileSync(new URL('../certs/test-only-idp-signing.cert.pem', import.meta.url), 'utf8').replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
const metadata = parseMetadata('<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sts.windows.net/00000000-0000-0000-0000-000000000001/">' +
  '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
  `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${pem}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>` +
  '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.example.test/t/saml2"/></IDPSSODescriptor></EntityDescriptor>');
// metrics need the admin listener (where /metrics lives); without them neither runs, as in samlscope-proxy.ts
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
