// Engine benchmark: a typical Entra response through the whole engine vs node-saml alone, and the cost of rejecting hostile 1 MiB bodies.
import { readFileSync } from 'node:fs';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { analyze, analyzeResponse, parseMetadata, type AnalyzeOptions } from '../src/saml/index.js';
import { FIXTURE_PARAMS, validResponse } from '../scripts/fixture-cases.js';

const md = parseMetadata(readFileSync(new URL('../fixtures/metadata/test-idp.xml', import.meta.url), 'utf8'));
const opts: AnalyzeOptions = { metadata: md, ...FIXTURE_PARAMS };
const xml = validResponse();
const b64 = Buffer.from(xml).toString('base64');

async function measure(label: string, n: number, fn: () => unknown | Promise<unknown>): Promise<{ label: string; median: number; p99: number }> {
  for (let i = 0; i < Math.min(50, n); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < n; i++) { const t0 = process.hrtime.bigint(); await fn(); times.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  times.sort((a, b) => a - b);
  return { label, median: times[Math.floor(n / 2)], p99: times[Math.floor(n * 0.99)] };
}

const nodeSaml = new SAML({
  callbackUrl: opts.acsUrl, issuer: opts.entityId, audience: opts.entityId, idpCert: md.certs.map((c) => c.pem), idpIssuer: md.entityId,
  wantAssertionsSigned: false, wantAuthnResponseSigned: false, acceptedClockSkewMs: -1, validateInResponseTo: ValidateInResponseTo.never,
});

const filler = (n: number) => 'x'.repeat(n);
const hostile: Record<string, string> = {
  '1 MiB base64 junk': 'A'.repeat(700_000) + '*' + 'A'.repeat(700_000),
  '1 MiB deep nesting': Buffer.from('<a>'.repeat(174_000) + '</a>'.repeat(174_000)).toString('base64').slice(0, 1_398_000).replace(/=+$/, '').padEnd(1_398_000 - (1_398_000 % 4), 'A'),
  '1 MiB many elements': Buffer.from(xml.replace('<samlp:Status>', `<samlp:Extensions>${'<x/>'.repeat(250_000)}</samlp:Extensions><samlp:Status>`)).toString('base64'),
  '1 MiB text payload (parsed, signature fails)': Buffer.from(xml.replace('>alice@contoso.example<', `>${filler(1_000_000)}<`)).toString('base64'),
  '5 MB body': filler(5 * 1024 * 1024),
};

const rows = [];
rows.push(await measure('engine: analyzeResponse (typical Entra response)', 2000, () => analyzeResponse(b64, opts)));
rows.push(await measure('engine: analyze without the node-saml second opinion', 2000, () => analyze(b64, opts)));
rows.push(await measure('baseline: node-saml validatePostResponseAsync alone', 2000, () => nodeSaml.validatePostResponseAsync({ SAMLResponse: b64 })));
for (const [name, body] of Object.entries(hostile)) rows.push(await measure(`reject: ${name}`, 30, () => analyze(body, opts)));

console.log('\nengine benchmark (this machine, one process)\n');
console.log('| case | median ms | p99 ms |\n|---|---|---|');
for (const r of rows) console.log(`| ${r.label} | ${r.median.toFixed(2)} | ${r.p99.toFixed(2)} |`);
console.log(`\nratio engine / node-saml alone (median): ${(rows[0].median / rows[2].median).toFixed(2)}`);
console.log(`targets: typical ≤ 5 ms median → ${rows[0].median <= 5 ? 'met' : 'MISSED'}; 1 MiB hostile ≤ 50 ms → ${rows.slice(3).every((r) => r.median <= 50) ? 'met' : 'MISSED'}`);
