// Regenerates the TEST-ONLY keys in certs/ (never use them outside tests and the demo). Run: node --import tsx scripts/make-test-certs.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSelfSigned } from '../src/pki/selfsigned.js';

const dir = join(import.meta.dirname, '..', 'certs');
const ENTRA_CN = 'Microsoft Azure Federated SSO Certificate';
const specs: Array<[string, Parameters<typeof makeSelfSigned>[0]]> = [
  // the mock IdP's active signing cert (valid 2025-01-01 .. 2035-01-01 so fixtures stay valid)
  ['test-only-idp-signing', { commonName: ENTRA_CN, notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2035-01-01T00:00:00Z') }],
  // the rollover cert: a second Entra-style cert
  ['test-only-idp-rollover', { commonName: ENTRA_CN, notBefore: new Date('2025-06-01T00:00:00Z'), notAfter: new Date('2035-06-01T00:00:00Z') }],
  // an expired Entra-style cert (Entra keeps signing with it; the SP must reject)
  ['test-only-idp-expired', { commonName: ENTRA_CN, notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2023-01-01T00:00:00Z') }],
  // an attacker's key with a cert that copies the IdP's subject
  ['test-only-attacker', { commonName: ENTRA_CN, notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2035-01-01T00:00:00Z') }],
  // TLS for the demo and tests on loopback
  ['test-only-tls-localhost', { commonName: 'localhost', notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2035-01-01T00:00:00Z'), altNames: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] } }],
];
for (const [name, opts] of specs) {
  const kp = await makeSelfSigned(opts);
  writeFileSync(join(dir, `${name}.key.pem`), kp.privateKeyPem);
  writeFileSync(join(dir, `${name}.cert.pem`), kp.certPem);
  console.log(`wrote certs/${name}.{key,cert}.pem`);
}
