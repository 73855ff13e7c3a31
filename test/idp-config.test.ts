// The mock IdP's config: the shipped fixture is valid, every problem is reported at once, reply URL helpers, NameID choice.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { claimValues, defaultReplyUrl, isAssigned, parseConfig, validateConfig, withDefaultReplyUrl, withExtraReplyUrls } from '../src/idp/config.js';
import { chooseNameId } from '../src/idp/signin.js';
import { NAMEID_FORMAT } from '../src/idp/response.js';

const parsed = parseConfig(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'idp', 'fleet.json'), 'utf8'));

t.test('fixtures/idp/fleet.json is what issue 3 asks for', async (t) => {
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const [app] = parsed.config.apps;
  t.same(app.identifiers, ['fleet']);
  t.same(app.replyUrls, [
    { url: 'https://localhost:8080/api/v1/fleet/sso/callback', default: true },
    { url: 'http://127.0.0.1:8080/api/v1/fleet/sso/callback', default: false },
  ]);
  const user = (upn: string) => parsed.config.users.find((u) => u.upn === upn)!;
  t.equal(isAssigned(app, user('alice@contoso.example')), true);
  t.equal(isAssigned(app, user('bob@contoso.example')), false);
  t.equal(isAssigned(app, user('carol@contoso.example')), true);
  t.same(claimValues(user('alice@contoso.example'), { name: 'FLEET_JIT_USER_ROLE_GLOBAL', source: 'user.extension_fleetGlobalRole' }), ['admin']);
  t.same(claimValues(user('bob@contoso.example'), { name: 'x', source: 'user.extension_fleetGlobalRole' }), [], 'empty source → omitted claim');
});

t.test('every problem is reported at once, each with its path', async (t) => {
  const r = validateConfig({
    tenantId: 'nope', extra: 1, legacySpnAudience: 'yes',
    apps: [{ identifiers: [], replyUrls: ['ftp://x', { url: 'http://a', default: true }, { url: 'http://b', default: true }], signing: 'x', algorithm: 'md5',
      nameId: { source: 'user.phone', format: 'weird' }, claims: [{ name: 'a' }], assignedUsers: ['z@z.example'], tokenLifetimeMinutes: 5, fault: 'nope' }],
    users: [{ upn: 'bad' }],
  });
  t.equal(r.ok, false);
  const paths = r.ok ? [] : r.problems.map((p) => p.split(':')[0]);
  t.same(paths.sort(), [
    'apps[0].algorithm', 'apps[0].assignedUsers[0]', 'apps[0].claims[0]', 'apps[0].fault', 'apps[0].identifiers', 'apps[0].nameId.format',
    'apps[0].nameId.source', 'apps[0].replyUrls', 'apps[0].replyUrls[0]', 'apps[0].signing', 'apps[0].tokenLifetimeMinutes', 'extra',
    'legacySpnAudience', 'tenantId', 'users[0].objectId', 'users[0].upn',
  ].sort());
  t.match(parseConfig('{'), { ok: false, problems: [/not valid JSON/] });
});

t.test('reply URL helpers keep exactly one default', async (t) => {
  if (!parsed.ok) throw new Error();
  const more = withExtraReplyUrls(parsed.config, ['http://127.0.0.1:1/acs']);
  t.equal(more.apps[0].replyUrls.length, 3);
  t.equal(defaultReplyUrl(more.apps[0]), 'https://localhost:8080/api/v1/fleet/sso/callback');
  const moved = withDefaultReplyUrl(parsed.config, 'http://127.0.0.1:1/acs');
  t.equal(defaultReplyUrl(moved.apps[0]), 'http://127.0.0.1:1/acs');
  t.equal(moved.apps[0].replyUrls.filter((r) => r.default).length, 1);
});

t.test('NameID: configured format wins; "Default" follows the request (pairwise for persistent/unspecified)', async (t) => {
  if (!parsed.ok) throw new Error();
  const app = parsed.config.apps[0];
  const alice = parsed.config.users[0];
  t.same(chooseNameId(app, alice, 'fleet', NAMEID_FORMAT.transient), { value: 'alice@contoso.example', format: NAMEID_FORMAT.emailAddress });
  const dflt = { ...app, nameId: { source: 'user.userprincipalname' as const, format: 'Default' as const } };
  t.match(chooseNameId(dflt, alice, 'fleet', NAMEID_FORMAT.unspecified), { value: /^[A-Za-z0-9_-]{43}$/, format: NAMEID_FORMAT.persistent });
  t.match(chooseNameId(dflt, alice, 'fleet', NAMEID_FORMAT.transient), { format: NAMEID_FORMAT.transient });
  t.same(chooseNameId(dflt, alice, 'fleet', null), { value: 'alice@contoso.example', format: NAMEID_FORMAT.emailAddress });
});

t.test('docs/mock-idp.md lists every fault with the code the catalogue names', async (t) => {
  const { FAULTS, FAULT_NAMES } = await import('../src/idp/faults.js');
  const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'mock-idp.md'), 'utf8');
  for (const n of FAULT_NAMES) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${n}\``) || l.startsWith(`| \`${n}:N\``));
    t.ok(row, `row for ${n}`);
    t.match(row ?? '', FAULTS[n].expectedCode ? `\`${FAULTS[n].expectedCode}\`` : 'none (Fleet accepts it)', n);
  }
});
