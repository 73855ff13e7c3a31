// Shared by the proxy tests: a raw HTTP client (paths sent byte for byte), a recording upstream, test metadata.
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { parseMetadata, type IdpMetadata } from '../src/saml/index.js';

export const CERTS = new URL('../certs/', import.meta.url);

/** Minimal IdP metadata trusting the test-only signing cert. */
export function testMetadataXml(): string {
  const pem = readFileSync(new URL('test-only-idp-signing.cert.pem', CERTS), 'utf8');
  const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sts.windows.net/00000000-0000-0000-0000-000000000001/">' +
    '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
    `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${b64}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>` +
    '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.example.test/tenant/saml2"/>' +
    '</IDPSSODescriptor></EntityDescriptor>';
}

export function testMetadata(): IdpMetadata {
  return parseMetadata(testMetadataXml());
}

/** The same metadata in a temporary file, for a proxy started as a child process (--metadata FILE). */
export function testMetadataFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'samlscope-md-')), 'metadata.xml');
  writeFileSync(file, testMetadataXml());
  return file;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export interface SendOptions {
  method?: string;
  path: string;
  headers?: http.OutgoingHttpHeaders;
  /** Buffer: sent with Content-Length; array: sent chunked, one write per element */
  body?: Buffer | Buffer[];
  ca?: string | Buffer;
}

/** One request on a fresh connection; the path goes out exactly as given. */
export function send(base: string, o: SendOptions): Promise<RawResponse> {
  const u = new URL(base);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: u.hostname, port: u.port, method: o.method ?? 'GET', path: o.path, agent: false,
      headers: { ...(Buffer.isBuffer(o.body) ? { 'content-length': o.body.length } : {}), ...o.headers },
      ...(o.ca ? { ca: o.ca } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (Array.isArray(o.body)) { for (const c of o.body) req.write(c); req.end(); } else req.end(o.body);
  });
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** A plain Node upstream that records every request and answers through `handler` (default: 200 "ok"). */
export async function recordingUpstream(
  handler?: (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void,
  tls?: { cert: Buffer; key: Buffer },
): Promise<{ url: string; seen: Seen[]; server: http.Server; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
      if (handler) handler(req, body, res);
      else res.end('ok');
    });
  };
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, onRequest) : http.createServer(onRequest);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    server,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
