// A real browser (Debian chromium via playwright-core): pick a user by clicking, the form posts to a test SP; an AADSTS page renders.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import t from 'tap';
import Fastify from 'fastify';
import { type Browser } from 'playwright-core';
import { parseConfig } from '../src/idp/config.js';
import { startMockIdp, type MockIdpHandle } from '../src/idp/server.js';
import { launchChromium } from './browser.js';

const root = join(import.meta.dirname, '..');
const parsed = parseConfig(readFileSync(join(root, 'fixtures', 'idp', 'fleet.json'), 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));

const received: Array<Record<string, string>> = [];
const sp = Fastify();
sp.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
sp.post('/acs', async (req, reply) => {
  const body = req.body as Record<string, string>;
  received.push(body);
  const xml = Buffer.from(body.SAMLResponse ?? '', 'base64').toString('utf8');
  const nameId = /<NameID[^>]*>([^<]*)<\/NameID>/.exec(xml)?.[1] ?? 'none';
  return reply.type('text/html').send(`<!DOCTYPE html><html><body><h1 id="sp">test SP got ${nameId.replace(/[<>&"]/g, '')}</h1></body></html>`);
});

let idp: MockIdpHandle;
let browser: Browser;
let acs = '';
t.before(async () => {
  await sp.listen({ host: '127.0.0.1', port: 0 });
  acs = `http://127.0.0.1:${(sp.server.address() as { port: number }).port}/acs`;
  idp = await startMockIdp({ config: parsed.config, extraReplyUrls: [acs] });
  browser = await launchChromium();
});
t.teardown(async () => {
  await browser?.close();
  await idp?.close();
  await sp.close();
});

function loginUrl(extra = ''): string {
  const req = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id-browser-0001" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="${acs}"><saml:Issuer>fleet</saml:Issuer></samlp:AuthnRequest>`;
  return `${idp.loginUrl}?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(req)).toString('base64'))}&RelayState=%2Fhosts${extra}`;
}

t.test('pick a user by clicking: the auto-submitting form posts SAMLResponse and RelayState to the SP', async (t) => {
  const page = await browser.newPage();
  t.teardown(() => page.close());
  await page.goto(loginUrl());
  t.match(await page.textContent('#mock-banner'), 'MOCK');
  await Promise.all([page.waitForURL(acs), page.click('button[value="alice@contoso.example"]')]);
  t.equal(await page.textContent('#sp'), 'test SP got alice@contoso.example');
  const last = received.at(-1)!;
  t.equal(last.RelayState, '/hosts');
  t.match(Buffer.from(last.SAMLResponse, 'base64').toString('utf8'), 'InResponseTo="id-browser-0001"');
});

t.test('an AADSTS error page renders, and nothing reaches the SP', async (t) => {
  const page = await browser.newPage();
  t.teardown(() => page.close());
  const before = received.length;
  await page.goto(loginUrl('&login_hint=bob%40contoso.example'));
  t.equal(await page.textContent('#error-code'), 'AADSTS50105');
  t.match(await page.title(), 'MOCK');
  t.match(await page.textContent('#request-id'), /^[0-9a-f-]{36}$/);
  t.equal(page.url().startsWith(idp.loginUrl), true, 'the browser stays on the IdP');
  t.equal(received.length, before);
});
