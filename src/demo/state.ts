// The demo's state folder (where it lives, created on first run) and the self-signed TLS certificate kept in it.
import { X509Certificate } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSelfSigned } from '../pki/selfsigned.js';

/** $XDG_STATE_HOME/samlscope/demo when set, else ~/.samlscope/demo. Pure: the caller passes what it read. */
export function defaultStateDir(env: { XDG_STATE_HOME?: string }, home: string): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'samlscope', 'demo');
  return join(home, '.samlscope', 'demo');
}

/** Creates the folder (0700) and checks it is writable; falls back to a fresh temp folder when it cannot be used. */
export function ensureStateDir(preferred: string): { dir: string; fallback: boolean; problem?: string } {
  try {
    mkdirSync(preferred, { recursive: true, mode: 0o700 });
    accessSync(preferred, constants.W_OK);
    return { dir: preferred, fallback: false };
  } catch (e) {
    return { dir: mkdtempSync(join(tmpdir(), 'samlscope-demo-')), fallback: true, problem: (e as Error).message };
  }
}

export interface DemoTls {
  keyPem: string;
  certPem: string;
  certFile: string;
  keyFile: string;
  /** generated during this call */
  created: boolean;
}

const CERT_FILE = 'demo-tls.cert.pem';
const KEY_FILE = 'demo-tls.key.pem';
const RENEW_BEFORE_MS = 7 * 24 * 3600_000;

/** True when the cert can serve `host` (DNS name or IP) for at least another week. */
export function tlsCertUsable(certPem: string, host: string, now: Date): boolean {
  try {
    const c = new X509Certificate(certPem);
    if (new Date(c.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS) return false;
    if (new Date(c.validFrom).getTime() > now.getTime()) return false;
    return /^[\d.]+$|:/.test(host) ? c.checkIP(host) !== undefined : c.checkHost(host) !== undefined;
  } catch {
    return false;
  }
}

/** The demo's TLS key and self-signed cert (localhost, 127.0.0.1, ::1): read from the state folder, or generated there on first run. */
export async function loadOrCreateDemoTls(stateDir: string, host: string, now: Date): Promise<DemoTls> {
  const certFile = join(stateDir, CERT_FILE);
  const keyFile = join(stateDir, KEY_FILE);
  if (existsSync(certFile) && existsSync(keyFile)) {
    const certPem = readFileSync(certFile, 'utf8');
    const keyPem = readFileSync(keyFile, 'utf8');
    if (tlsCertUsable(certPem, host, now)) return { keyPem, certPem, certFile, keyFile, created: false };
  }
  const notAfter = new Date(now.getTime() + 365 * 24 * 3600_000);
  const dns = ['localhost', ...(/^[\d.]+$|:/.test(host) || host === 'localhost' ? [] : [host])];
  const ip = ['127.0.0.1', '::1', ...(/^[\d.]+$|:/.test(host) && host !== '127.0.0.1' && host !== '::1' ? [host] : [])];
  const kp = await makeSelfSigned({
    commonName: 'samlscope demo TEST ONLY (loopback)',
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    altNames: { dns, ip },
  });
  writeFileSync(keyFile, kp.privateKeyPem, { mode: 0o600 });
  writeFileSync(certFile, kp.certPem);
  return { keyPem: kp.privateKeyPem, certPem: kp.certPem, certFile, keyFile, created: true };
}
