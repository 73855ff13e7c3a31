// The attempt detail page after failed logins through the stack: certificates side by side, untrusted NameID, the metadata download, the timeline in enforce mode.
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCommand } from '../src/commands/check.js';
import { parseCommandArgs, type CommandIo } from '../src/commands/options.js';
import { login } from '../src/login/login.js';
import { setup } from './sso-stack.js';
import { pollUntil } from './wait.js';

/** SHA-1 thumbprint as Entra's SAML Certificates panel shows it (upper-case hex, no colons). */
const thumbprintOf = (file: string) => new X509Certificate(readFileSync(file)).fingerprint.replace(/:/g, '');

/** Polls the JSON API until an attempt with the code is recorded (it is stored after the answer is sent). */
async function attemptWith(adminUrl: string, code: string): Promise<string> {
  return pollUntil(`an attempt with ${code}`, async () => {
    const list = (await (await fetch(`${adminUrl}/api/attempts`)).json()) as { id: string; findings: { code: string }[] }[];
    return list.find((a) => a.findings.some((f) => f.code === code))?.id;
  }, { timeoutMs: 5_000 });
}

t.test('unknown signing key: the response\'s cert and every metadata cert side by side; the NameID shown as untrusted', async (t) => {
  const { proxy } = await setup(t, 'observe');
  const admin = proxy.adminUrl!;
  t.equal((await login({ fleetUrl: proxy.url, user: 'alice@contoso.example', fault: 'unknown-key' })).outcome, 'fleet_status');
  const id = await attemptWith(admin, 'SAML_SIG_UNTRUSTED_KEY');
  const html = await (await fetch(`${admin}/attempts/${encodeURIComponent(id)}`)).text();
  const attacker = thumbprintOf('certs/test-only-attacker.cert.pem');
  const active = thumbprintOf('certs/test-only-idp-signing.cert.pem');
  t.match(html, new RegExp(`<tr data-origin="response" data-thumbprint="${attacker}" data-sha256="[0-9a-f]{64}" data-matches="false">`), 'the response\'s cert, SHA-1 as Entra shows it, not in the metadata');
  t.match(html, new RegExp(`<tr data-origin="metadata" data-thumbprint="${active}" data-sha256="[0-9a-f]{64}" data-matches="false">`), 'the metadata cert, not the one that signed');
  t.match(html, /<b class="user" data-trusted="false">alice@contoso\.example<\/b>/, 'the NameID the XML states, labelled untrusted');
  t.notMatch(html, '(no NameID)');
});

t.test('Reproduce offline: the metadata the verdict used downloads from the admin listener, and the check line reproduces the verdict', async (t) => {
  const { proxy } = await setup(t, 'observe');
  const admin = proxy.adminUrl!;
  await login({ fleetUrl: proxy.url, user: 'alice@contoso.example', fault: 'unknown-key' });
  const id = await attemptWith(admin, 'SAML_SIG_UNTRUSTED_KEY');
  const html = await (await fetch(`${admin}/attempts/${encodeURIComponent(id)}`)).text();
  const href = /<a id="download-metadata" href="([^"]+)" download>([^<]+)<\/a>/.exec(html);
  t.ok(href, 'the page links the metadata download');
  const md = await fetch(admin + href![1].replace(/&amp;/g, '&'));
  t.equal(md.status, 200);
  t.match(md.headers.get('content-disposition'), `filename="${href![2]}"`);
  const mdText = await md.text();
  t.match(mdText, /<(md:)?EntityDescriptor[^>]*entityID="https:\/\/sts\.windows\.net\//);
  const dir = mkdtempSync(join(tmpdir(), 'samlscope-reproduce-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, href![2]), mdText);
  const responseName = /<a id="download-response" href="[^"]+" download>([^<]+)<\/a>/.exec(html)![1];
  writeFileSync(join(dir, responseName), await (await fetch(`${admin}/attempts/${encodeURIComponent(id)}/response.xml`)).text());
  const line = /<pre class="cmd" id="check-command">([^<]*)<\/pre>/.exec(html)![1].replace(/&amp;/g, '&');
  const argv = line.split(' ').slice(2).map((a) => (a === href![2] || a === responseName ? join(dir, a) : a));
  t.ok(argv.includes(join(dir, href![2])), 'the check line names the downloaded metadata file');
  let out = '';
  const io: CommandIo = { argv: [...argv, '--json'], env: {}, stdout: (x) => { out += x; }, stderr: () => undefined, readStdin: async () => Buffer.alloc(0), stopSignal: new Promise(() => undefined) };
  t.equal(await checkCommand.run(parseCommandArgs(checkCommand, [...argv, '--json'], {}), io), 1);
  t.ok((JSON.parse(out) as { findings: { code: string }[] }).findings.some((f) => f.code === 'SAML_SIG_UNTRUSTED_KEY'), 'the same verdict offline');
  t.equal((await fetch(`${admin}/attempts/nope/idp-metadata.xml`)).status, 404);
});

/** Initiate through the proxy, sign in at the mock IdP with a fault, and post the callback as a browser (Accept: text/html). */
async function browserLikeLogin(proxyUrl: string, fault: string): Promise<{ status: number; html: string }> {
  const init = await fetch(proxyUrl + '/api/v1/fleet/sso', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"relay_url":"/"}' });
  const cookie = (init.headers.get('set-cookie') ?? '').split(';')[0];
  const idpUrl = new URL(((await init.json()) as { url: string }).url);
  idpUrl.searchParams.set('login_hint', 'alice@contoso.example');
  idpUrl.searchParams.set('fault', fault);
  const page = await (await fetch(idpUrl, { headers: { accept: 'text/html' } })).text();
  const samlResponse = /name="SAMLResponse" value="([^"]*)"/.exec(page)![1];
  const cb = await fetch(proxyUrl + '/api/v1/fleet/sso/callback', {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ SAMLResponse: samlResponse }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie },
  });
  return { status: cb.status, html: await cb.text() };
}

t.test('enforce mode, an expired response: the 403 page and the timeline', async (t) => {
  const { proxy } = await setup(t, 'enforce');
  const admin = proxy.adminUrl!;
  const blocked = await browserLikeLogin(proxy.url, 'expired');
  t.equal(blocked.status, 403);
  t.equal(blocked.html.match(/<li><code>SAML_TIME_ISSUE_INSTANT_STALE<\/code><\/li>/g)?.length, 1, 'the 403 page lists a code once');
  t.match(blocked.html, '<a id="back-to-login" href="/login">', 'a way back to Fleet\'s login');

  const id = await attemptWith(admin, 'SAML_TIME_ISSUE_INSTANT_STALE');
  const html = await (await fetch(`${admin}/attempts/${encodeURIComponent(id)}`)).text();
  const stale = html.match(/<li class="finding error" data-code="SAML_TIME_ISSUE_INSTANT_STALE"[^>]*>/g) ?? [];
  t.equal(stale.length, 1, 'one finding per code in the list');
  t.match(stale[0], 'data-places="2"');
  t.match(html, 'data-element="Response"');
  t.match(html, 'data-element="Assertion"');
  const offsets = [...html.matchAll(/data-offset-ms="(-?\d+)">\(([^)]*)\)/g)];
  t.ok(offsets.some(([, v]) => Number(v) < 0), 'the IdP step lies before the AuthnRequest');
  for (const [, v, text] of offsets) if (Number(v) < 0) t.match(text, /^\u2212\d/, `negative offset formatted: ${text}`);
  t.notMatch(html, '+-', 'no "+-" offsets');
  t.match(html, '<b data-fleet="blocked">');
  t.match(html, 'data-reached-fleet="false"', 'Fleet\'s step says it never reached Fleet');
  t.notMatch(html, 'HTTP — in —');
});
