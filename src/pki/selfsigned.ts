// Self-signed RSA certificates (Entra-style IdP signing certs, the demo's TLS cert, test keys) via @peculiar/x509 and WebCrypto.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface KeyPairPem {
  privateKeyPem: string;
  certPem: string;
}

export interface SelfSignedOptions {
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  /** DNS names and IPs for a TLS cert */
  altNames?: { dns?: string[]; ip?: string[] };
  serialHex?: string;
  /** sha1 makes an old-style cert; default sha256 */
  hash?: 'SHA-256' | 'SHA-1';
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** An RSA-2048 key and a self-signed certificate for it. */
export async function makeSelfSigned(opts: SelfSignedOptions): Promise<KeyPairPem> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: opts.hash ?? 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const extensions: x509.Extension[] = [];
  if (opts.altNames) {
    const names: x509.JsonGeneralName[] = [
      ...(opts.altNames.dns ?? []).map((d) => ({ type: 'dns' as const, value: d })),
      ...(opts.altNames.ip ?? []).map((i) => ({ type: 'ip' as const, value: i })),
    ];
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: opts.serialHex ?? Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${opts.commonName}`,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    signingAlgorithm: alg,
    keys,
    extensions,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { privateKeyPem: pem('PRIVATE KEY', pkcs8), certPem: cert.toString('pem') + '\n' };
}

/** Entra's app signing certificate shape: CN=Microsoft Azure Federated SSO Certificate, RSA-2048, 3 years. */
export function entraLikeCert(now: Date, years = 3): Promise<KeyPairPem> {
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  return makeSelfSigned({ commonName: 'Microsoft Azure Federated SSO Certificate', notBefore: now, notAfter });
}
