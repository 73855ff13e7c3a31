// fleet-sim's /login page in a real browser (Debian chromium via playwright-core): the Sign on button starts the SSO login.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { type Browser } from 'playwright-core';
import { parseConfig } from '../src/idp/config.js';
import { startMockIdp, type MockIdpHandle } from '../src/idp/server.js';
import { startFleetSim, type FleetSimHandle } from '../src/fleet-sim/server.js';
import { launchChromium } from './browser.js';

const root = join(import.meta.dirname, '..');
const parsed = parseConfig(readFileSync(join(root, 'fixtures', 'idp', 'fleet.json'), 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));

let idp: MockIdpHandle;
let sim: FleetSimHandle;
let browser: Browser;
t.before(async () => {
  sim = await startFleetSim({ entityId: 'fleet', urlPrefix: '/fleet', users: [{ email: 'alice@contoso.example', ssoEnabled: true }] });
  idp = await startMockIdp({ config: parsed.config, extraReplyUrls: [sim.acsUrl()] });
  sim.configure({ metadataUrl: idp.metadataUrl });
  browser = await launchChromium();
});
t.teardown(async () => {
  await browser?.close();
  await idp?.close();
  await sim?.close();
});

t.test('/login?status=error: the Sign on button posts the initiate route and follows the IdP URL', async (t) => {
  const page = await browser.newPage();
  t.teardown(() => page.close());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`${m.text()} (${m.location().url})`); });
  await page.goto(`${sim.url}/fleet/login?status=error`);
  t.equal(await page.getAttribute('#status', 'data-status'), 'error');
  t.equal(await page.textContent('#sso'), 'Sign on with Microsoft Entra ID', 'the button shows its label, not code');
  const initiate = page.waitForRequest((r) => r.method() === 'POST' && r.url() === `${sim.url}/fleet/api/v1/fleet/sso`);
  await Promise.all([page.waitForURL((u) => u.href.startsWith(idp.loginUrl + '?SAMLRequest=')), page.click('#sso')]);
  t.ok(await initiate, 'the initiate route was called');
  t.match(await page.title(), 'MOCK', 'the IdP\'s account picker');
  t.same(pageErrors, [], 'no script or console error on fleet-sim\'s and the mock IdP\'s pages (no favicon 404)');
});
