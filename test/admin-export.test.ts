// The masked support export on the demo's cast (alice signs in, carol is no Fleet user, bob is refused by Entra): personal data masked, configuration kept.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo } from '../src/demo/demo.js';
import { DEMO_USERS } from '../src/demo/scenarios.js';
import { parseConfig } from '../src/idp/config.js';
import { login } from '../src/login/login.js';
import { CATALOGUE, type FindingCode } from '../src/saml/findings.js';
import type { Attempt } from '../src/proxy/attempt.js';

const cast = parseConfig(readFileSync('fixtures/idp/fleet.json', 'utf8'));
if (!cast.ok) throw new Error(cast.problems.join('; '));

t.test('masked export: NameID, names, emails, IPs, session ids and signature bytes masked; issuer, URLs, tenant, thumbprints, codes and times kept', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'samlscope-export-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const recorded: Attempt[] = [];
  const demo = await startDemo({ stateDir, randomPorts: true, onAttempt: (a) => recorded.push(a) });
  t.teardown(() => demo.close());
  for (const u of DEMO_USERS) await login({ fleetUrl: demo.proxyUrl, user: u.email, insecure: true });
  t.ok(recorded.length >= 2, 'alice and carol reached the proxy');

  for (const full of recorded) {
    const bundleText = await (await fetch(`${demo.adminUrl}/attempts/${encodeURIComponent(full.id)}/export`)).text();
    const masked = (JSON.parse(bundleText) as { samlscope: { masked: boolean }; attempt: Attempt }).attempt;
    const who = full.nameId ?? '?';
    // personal data
    for (const u of cast.config.users) {
      for (const v of [u.upn, u.mail, u.displayName, u.objectId]) t.notOk(bundleText.includes(v), `${who}: no "${v}"`);
      for (const word of [u.givenName, u.surname]) t.notMatch(bundleText, new RegExp(`(?<![A-Za-z])${word}(?![A-Za-z])`), `${who}: no "${word}" as a word`);
    }
    t.equal(masked.client.ip, '***');
    t.equal(masked.report!.assertion!.sessionIndex, '***', 'session id');
    t.match(masked.report!.xml!, 'SessionIndex="***"', 'session id in the XML');
    t.match(masked.report!.xml!, /<SignatureValue>\*\*\*<\/SignatureValue>/);
    t.notMatch(bundleText, /MII[A-Za-z0-9+/]{40}/, 'no certificate body');
    // configuration and facts
    t.equal(masked.report!.response!.issuer, full.report!.response!.issuer, 'Issuer');
    t.equal(masked.report!.response!.destination, full.report!.response!.destination, 'Destination');
    t.equal(masked.report!.assertion!.recipient, full.report!.assertion!.recipient, 'Recipient');
    t.same(masked.report!.assertion!.audiences, full.report!.assertion!.audiences, 'Audience');
    t.equal(masked.session.authnRequest!.request.acsUrl, full.session.authnRequest!.request.acsUrl, 'the ACS URL');
    const tenant = /https:\/\/sts\.windows\.net\/([0-9a-f-]{36})\//.exec(full.report!.response!.issuer!)![1];
    t.match(masked.report!.xml!, `<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/${tenant}/</Issuer>`, 'the tenant in the XML');
    t.match(masked.report!.xml!, `Destination="${full.report!.response!.destination}"`);
    t.equal(masked.time, full.time, 'times');
    t.equal(masked.report!.assertion!.notOnOrAfter, full.report!.assertion!.notOnOrAfter);
    t.equal(masked.report!.signature?.certThumbprint, full.report!.signature?.certThumbprint, 'thumbprint');
    t.same(masked.findings.map((f) => f.code), full.findings.map((f) => f.code), 'codes');
    for (const f of masked.findings) t.equal(f.remedy, CATALOGUE[f.code as FindingCode].remedy ?? f.remedy, `${f.code}: the remedy text is untouched`);
  }
});
