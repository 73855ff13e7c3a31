// Signing keys for the mock IdP: the TEST-ONLY keys in certs/, or Entra-like keys generated once into a state folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entraLikeCert, makeSelfSigned } from '../pki/selfsigned.js';
import type { SigningKey } from './response.js';

export interface IdpKeys {
  /** the active app signing cert: signs responses and metadata */
  signing: SigningKey;
  /** the next cert (fault rollover signs with it; listed in metadata only with publishRollover) */
  rollover: SigningKey;
  /** an expired Entra-style cert (fault cert-expired) */
  expired: SigningKey;
  /** a key that is in no metadata (fault unknown-key) */
  attacker: SigningKey;
}

const NAMES = { signing: 'test-only-idp-signing', rollover: 'test-only-idp-rollover', expired: 'test-only-idp-expired', attacker: 'test-only-attacker' } as const;

/** certs/ of this checkout (from src/idp or dist/src/idp). */
export function repoCertsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const d = resolve(here, up, 'certs');
    if (existsSync(join(d, `${NAMES.signing}.key.pem`))) return d;
  }
  return resolve(here, '../..', 'certs');
}

function readPair(dir: string, base: string): SigningKey {
  return { privateKeyPem: readFileSync(join(dir, `${base}.key.pem`), 'utf8'), certPem: readFileSync(join(dir, `${base}.cert.pem`), 'utf8') };
}

/** The TEST-ONLY keys shipped in certs/. */
export function loadTestKeys(dir = repoCertsDir()): IdpKeys {
  return {
    signing: readPair(dir, NAMES.signing),
    rollover: readPair(dir, NAMES.rollover),
    expired: readPair(dir, NAMES.expired),
    attacker: readPair(dir, NAMES.attacker),
  };
}

/** Keys kept in a state folder, generated on first start (CN=Microsoft Azure Federated SSO Certificate, RSA-2048, 3 years). */
export async function loadOrCreateStateKeys(stateDir: string, now: Date): Promise<{ keys: IdpKeys; created: string[] }> {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  const get = async (name: keyof IdpKeys, make: () => Promise<SigningKey>): Promise<SigningKey> => {
    const base = `idp-${name}`;
    if (existsSync(join(stateDir, `${base}.key.pem`)) && existsSync(join(stateDir, `${base}.cert.pem`))) return readPair(stateDir, base);
    const kp = await make();
    writeFileSync(join(stateDir, `${base}.key.pem`), kp.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(stateDir, `${base}.cert.pem`), kp.certPem);
    created.push(base);
    return kp;
  };
  const yearsAgo = (y: number) => { const d = new Date(now); d.setUTCFullYear(d.getUTCFullYear() - y); return d; };
  const keys: IdpKeys = {
    signing: await get('signing', () => entraLikeCert(now)),
    rollover: await get('rollover', () => entraLikeCert(now)),
    expired: await get('expired', () => makeSelfSigned({ commonName: 'Microsoft Azure Federated SSO Certificate', notBefore: yearsAgo(4), notAfter: yearsAgo(1) })),
    attacker: await get('attacker', () => entraLikeCert(now)),
  };
  return { keys, created };
}
