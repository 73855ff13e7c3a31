// The admin UI in a real browser (Debian chromium via playwright-core): logins through the demo, the attempts list and a diagnosis, keyboard and labels.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Page } from 'playwright-core';
import { startDemo } from '../src/demo/demo.js';
import { CATALOGUE } from '../src/saml/findings.js';
import { launchChromium } from './browser.js';

const ARTIFACTS = 'test-artifacts';

t.test('alice logs in, a wrong-audience login fails; the admin UI lists both and explains the failure', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'samlscope-admin-browser-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  mkdirSync(ARTIFACTS, { recursive: true });
  const demo = await startDemo({ stateDir, randomPorts: true });
  t.teardown(() => demo.close());
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const cspViolations: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  // every page in the context (demo landing, fleet-sim through the proxy, the mock IdP, the admin UI): no console error
  const consoleErrors: string[] = [];
  ctx.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`); });

  const run = async (scenario: string): Promise<Page> => {
    await page.goto(demo.landingUrl + '/');
    const [tab] = await Promise.all([ctx.waitForEvent('page'), page.click(`tr[data-scenario="${scenario}"] a`)]);
    await tab.waitForLoadState('load');
    return tab;
  };
  // the landing page links to the admin UI
  await page.goto(demo.landingUrl + '/');
  t.equal(await page.getAttribute('#admin-ui', 'href'), `${demo.adminUrl}/`);

  const alice = await run('alice');
  await alice.waitForSelector('#signed-in', { timeout: 10_000 });
  t.equal(await alice.getAttribute('#signed-in', 'data-email'), 'alice@contoso.example', 'alice lands in fleet-sim signed in');
  t.equal(new URL(alice.url()).origin, demo.proxyUrl, 'through the proxy');
  await alice.close();
  const wrong = await run('wrong-audience');
  await wrong.waitForSelector('#status', { timeout: 10_000 });
  t.equal(await wrong.getAttribute('#status', 'data-status'), 'error', 'Fleet refuses the wrong audience');
  await wrong.close();

  // the attempts list
  await page.goto(demo.adminUrl + '/');
  await page.waitForFunction(() => document.querySelectorAll('#attempts tr[data-attempt]').length >= 2, undefined, { timeout: 5_000 });
  const rows = await page.$$eval('#attempts tr[data-attempt]', (trs) => trs.map((tr) => ({
    id: tr.getAttribute('data-attempt') ?? '',
    verdict: tr.querySelector('[data-verdict]')?.getAttribute('data-verdict'),
    codes: [...tr.querySelectorAll('[data-code]')].map((c) => c.getAttribute('data-code')),
    fleet: tr.querySelector('[data-fleet]')?.getAttribute('data-fleet'),
    user: tr.querySelector('.user')?.textContent,
  })));
  t.equal(rows.length, 2);
  // the outcome comes first: the first column of every row, named in the first header cell
  t.equal(await page.$eval('#attempts thead th', (th) => th.textContent), 'outcome');
  t.same(await page.$$eval('#attempts tr[data-attempt]', (trs) => trs.map((tr) => tr.querySelector('td')?.querySelector('[data-outcome]')?.getAttribute('data-outcome'))), ['fleet_rejected', 'signed_in'], 'the first cell: the outcome, newest first');
  const [failed, ok] = rows;
  t.match(failed, { verdict: 'reject', fleet: 'error', user: 'alice@contoso.example' }, 'newest first: the failed login');
  t.ok(failed.codes.includes('SAML_AUDIENCE_MISMATCH'), `the failed row names SAML_AUDIENCE_MISMATCH (${failed.codes.join(',')})`);
  t.match(ok, { verdict: 'accept', fleet: 'success', codes: [] });
  await page.screenshot({ path: join(ARTIFACTS, 'admin-list.png'), fullPage: true });
  t.ok(statSync(join(ARTIFACTS, 'admin-list.png')).size > 1000, 'list screenshot written');

  // labels: every form control has a label; every button and link an accessible name
  const unlabelled = await page.$$eval('input, select, textarea', (els) => els.filter((e) => (e as HTMLInputElement).labels?.length === 0 && !e.getAttribute('aria-label')).map((e) => e.outerHTML));
  t.same(unlabelled, [], 'every control has a label');
  const nameless = await page.$$eval('button, a[href]', (els) => els.filter((e) => !(e.textContent ?? '').trim() && !e.getAttribute('aria-label')).map((e) => e.outerHTML));
  t.same(nameless, [], 'every button and link has an accessible name');

  // keyboard: Tab reaches the failed row's link, Enter opens its diagnosis
  await page.locator('body').focus();
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate((id) => {
      const a = document.activeElement;
      return a?.tagName === 'A' && a.closest('tr')?.getAttribute('data-attempt') === id;
    }, failed.id);
  }
  t.ok(reached, 'Tab reaches the failed attempt\'s row link');
  await Promise.all([page.waitForURL(/\/attempts\//), page.keyboard.press('Enter')]);
  t.equal(new URL(page.url()).pathname, `/attempts/${encodeURIComponent(failed.id)}`, 'Enter opens the detail page');

  // the detail page: the finding with its remedy, the timeline, the marked XML
  const finding = page.locator('li.finding[data-code="SAML_AUDIENCE_MISMATCH"]');
  t.equal(await finding.count(), 1);
  t.equal((await finding.locator('.remedy').textContent())?.replace(/^Fix:\s*/, ''), CATALOGUE.SAML_AUDIENCE_MISMATCH.remedy, 'the remedy is shown');
  t.ok(await finding.locator('.expected').isVisible(), 'expected vs actual');
  t.equal(await page.locator('ol.timeline li').count(), 4, 'the timeline has four steps');
  t.ok(await page.locator('pre.xml .hit[data-codes~="SAML_AUDIENCE_MISMATCH"]').first().isVisible(), 'the Audience element is highlighted');
  const hitInBox = await page.evaluate(() => {
    const hit = document.querySelector('pre.xml .hit')!;
    const box = hit.closest('pre')!.getBoundingClientRect();
    const r = hit.getBoundingClientRect();
    return r.top >= box.top && r.bottom <= box.bottom;
  });
  t.ok(hitInBox, 'the highlighted element is scrolled into view inside its box');
  t.match(await page.textContent('#check-command'), /^samlscope check --metadata .* --request-id /);
  await page.screenshot({ path: join(ARTIFACTS, 'admin-detail.png'), fullPage: true });
  t.ok(statSync(join(ARTIFACTS, 'admin-detail.png')).size > 1000, 'detail screenshot written');

  // the filter form by keyboard: type into the labelled field, Enter submits
  await page.goto(demo.adminUrl + '/');
  await page.getByLabel('Verdict').selectOption('accept');
  await page.getByLabel('User contains').fill('alice');
  await Promise.all([page.waitForURL(/verdict=accept/), page.getByLabel('User contains').press('Enter')]);
  t.equal(await page.locator('#attempts tr[data-attempt]').count(), 1, 'filtered to the accepted login');
  t.same(cspViolations, [], 'no Content-Security-Policy violations');
  t.same(consoleErrors, [], 'no console error on any page (a favicon 404 was one)');
});
