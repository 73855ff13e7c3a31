// The hostile SSO callback the benchmarks send (open-loop.ts, proxy.ts).
import { SSO_CALLBACK_BODY_BYTES } from '../src/fleet/rules.js';

/** A hostile SSO callback just under Fleet's 256 KiB callback cap (larger ones get 413 unjudged): base64 of an element-count bomb. */
export function hostileCallbackBody(limit = SSO_CALLBACK_BODY_BYTES - 1024): Buffer {
  const head = '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0">';
  let xml = head + '<a/>'.repeat(180_000) + '</samlp:Response>';
  let body = 'SAMLResponse=' + encodeURIComponent(Buffer.from(xml).toString('base64'));
  while (body.length > limit) {
    xml = head + '<a/>'.repeat(Math.floor((xml.length - head.length) / 4 * 0.97)) + '</samlp:Response>';
    body = 'SAMLResponse=' + encodeURIComponent(Buffer.from(xml).toString('base64'));
  }
  return Buffer.from(body);
}
