// The demo in a real browser (Debian chromium via playwright-core): landing page buttons → proxy → mock IdP → Fleet, then the diagnosis.
import t from 'tap';
import { pollUntil } from './wait.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo } from '../src/demo/demo.js';
import { launchChromium } from './browser.js';

t.test('landing page scenarios in chromium: the SSO cookie relayed across ports ties each callback to its initiate', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'samlscope-demo-browser-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const demo = await startDemo({ stateDir, randomPorts: true });
  t.teardown(() => demo.close());
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  // the demo's cert is self-signed: a newcomer accepts it once; here the context does
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();

  const run = async (scenario: string) => {
    await page.goto(demo.landingUrl + '/');
    const [tab] = await Promise.all([ctx.waitForEvent('page'), page.click(`tr[data-scenario="${scenario}"] a`)]);
    await tab.waitForLoadState('load');
    return tab;
  };

  const alice = await run('alice');
  await alice.waitForSelector('#signed-in', { timeout: 10_000 });
  t.equal(await alice.getAttribute('#signed-in', 'data-email'), 'alice@contoso.example');
  t.equal(new URL(alice.url()).origin, demo.proxyUrl, 'alice lands on Fleet through the proxy');
  await alice.close();

  const carol = await run('carol');
  await carol.waitForSelector('#status', { timeout: 10_000 });
  t.equal(await carol.getAttribute('#status', 'data-status'), 'account_invalid');
  await carol.close();

  const bob = await run('bob');
  await bob.waitForLoadState('load');
  t.match(await bob.textContent('body'), 'AADSTS50105');
  t.equal(new URL(bob.url()).origin, demo.idpUrl, 'bob stays on the IdP');
  await bob.close();

  await pollUntil('two attempts recorded', async () => ((await (await fetch(`${demo.adminUrl}/api/attempts`)).json()) as unknown[]).length >= 2, { timeoutMs: 5_000 });
  // the landing page refreshes its table and shows the diagnosis: every callback matched its recorded AuthnRequest
  await page.goto(demo.landingUrl + '/');
  await page.waitForSelector('#attempts tr[data-attempt]');
  const rows = await page.$$eval('#attempts tr[data-attempt]', (trs) => trs.map((tr) => tr.textContent ?? ''));
  t.equal(rows.length, 2, 'alice and carol reached the callback; bob did not');
  t.match(rows[0], 'SAML_FLEET_ACCOUNT_INVALID');
  const res = await fetch(`${demo.adminUrl}/api/attempts?limit=10`);
  const ids = ((await res.json()) as { id: string }[]).map((a) => a.id);
  for (const id of ids) {
    const full = (await (await fetch(`${demo.adminUrl}/api/attempts/${encodeURIComponent(id)}`)).json()) as { session: { cookie: boolean; known: boolean } };
    t.same(full.session, { ...full.session, cookie: true, known: true }, `attempt ${id}: the browser sent the relayed session cookie`);
  }
  await page.click('#attempts tr[data-attempt] a');
  await page.waitForSelector('li.finding[data-code="SAML_FLEET_ACCOUNT_INVALID"]');
  t.pass('the diagnosis page lists the finding');
});
