// Benchmark: signed SAML responses per second from the mock IdP's /saml2 with login_hint (one process, undici Pool, fixed duration).
// Run: node --import tsx bench/idp-throughput.ts [seconds=5] [concurrency=8]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { Pool } from 'undici';
import { parseConfig } from '../src/idp/config.js';
import { startMockIdp } from '../src/idp/server.js';

const seconds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 8);
const parsed = parseConfig(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'idp', 'fleet.json'), 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
const idp = await startMockIdp({ config: parsed.config });
const req = '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id-0123456789abcdef0123456789abcdef01234567" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" ProviderName="Fleet" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="https://localhost:8080/api/v1/fleet/sso/callback"><saml:Issuer>fleet</saml:Issuer><samlp:NameIDPolicy AllowCreate="true" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient"/></samlp:AuthnRequest>';
const path = `/${idp.tenantId}/saml2?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(req)).toString('base64'))}&login_hint=alice%40contoso.example`;
const pool = new Pool(idp.url, { connections: concurrency, pipelining: 1 });

let ok = 0;
let failed = 0;
const latencies: number[] = [];
const deadline = performance.now() + seconds * 1000;
async function worker(): Promise<void> {
  while (performance.now() < deadline) {
    const t0 = performance.now();
    const res = await pool.request({ method: 'GET', path });
    const body = await res.body.text();
    if (res.statusCode === 200 && body.includes('name="SAMLResponse"')) ok++; else failed++;
    latencies.push(performance.now() - t0);
  }
}
const start = performance.now();
await Promise.all(Array.from({ length: concurrency }, () => worker()));
const elapsed = (performance.now() - start) / 1000;
await pool.close();
await idp.close();
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]?.toFixed(1);
console.log(JSON.stringify({
  bench: 'idp-throughput', what: 'signed SAML responses per second from GET /saml2 with login_hint (RSA-SHA256, assertion signed)',
  seconds: Number(elapsed.toFixed(2)), concurrency, ok, failed, perSecond: Number((ok / elapsed).toFixed(1)), p50ms: pct(0.5), p99ms: pct(0.99),
}));
