// Every mock IdP fault, run through the analysis engine: it must report the fault's expected finding code (and a clean login none).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { analyzeResponse, parseMetadata } from '../src/saml/index.js';
import { parseConfig } from '../src/idp/config.js';
import { buildFaultedResponse, expectedCodeFor, FAULT_NAMES, FAULTS, parseFault, type FaultRequest } from '../src/idp/faults.js';
import { loadTestKeys } from '../src/idp/keys.js';
import { buildEntraMetadata } from '../src/idp/response.js';
import { responseSpecFor } from '../src/idp/signin.js';

const root = join(import.meta.dirname, '..');
const parsed = parseConfig(readFileSync(join(root, 'fixtures', 'idp', 'fleet.json'), 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
const config = parsed.config;
const keys = loadTestKeys();
const app = config.apps[0];
const alice = config.users[0];
// a URI Identifier: with "fleet" Entra answers spn:fleet (ENTRA.md), which would mask every other finding
const ENTITY_ID = 'https://fleet.contoso.example/saml';
const ACS = 'https://localhost:8080/api/v1/fleet/sso/callback';
const REQUEST_ID = 'id-0123456789abcdef0123456789abcdef01234567';
const ISSUED = new Date('2026-03-01T10:00:00.000Z');
const CHECKED = new Date(ISSUED.getTime() + 2_000);

const baseSpec = responseSpecFor({
  tenantId: config.tenantId, app, user: alice, identifier: ENTITY_ID, acsUrl: ACS, inResponseTo: REQUEST_ID,
  requestedNameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient', now: ISSUED, key: keys.signing,
});
const metadataFor = (trust: 'active' | 'active+expired') => parseMetadata(buildEntraMetadata({
  tenantId: config.tenantId, baseUrl: 'http://127.0.0.1:8081',
  certsPem: trust === 'active' ? [keys.signing.certPem] : [keys.signing.certPem, keys.expired.certPem], signingKey: keys.signing,
}));

async function run(f: FaultRequest | null, trust: 'active' | 'active+expired' = 'active') {
  const { xml } = buildFaultedResponse(baseSpec, f, keys);
  return analyzeResponse(xml, { metadata: metadataFor(trust), entityId: ENTITY_ID, acsUrl: ACS, now: CHECKED, requestId: REQUEST_ID });
}

t.test('a clean mock login is accepted with no error or warning', async (t) => {
  const r = await run(null);
  t.equal(r.verdict, 'accept', JSON.stringify(r.findings.map((f) => f.code)));
  t.same(r.findings.filter((f) => f.severity !== 'info').map((f) => f.code), []);
  t.equal(r.subject?.nameId, 'alice@contoso.example');
});

t.test('the catalogue covers every fault of issue 3 and each names a real code or null', async (t) => {
  t.same(Object.keys(FAULTS).sort(), [...FAULT_NAMES].sort());
  t.equal(FAULT_NAMES.length, 22);
});

for (const name of FAULT_NAMES) {
  t.test(`fault ${name} → ${String(FAULTS[name].expectedCode)}`, async (t) => {
    const f = { name };
    const expected = expectedCodeFor(f);
    const r = await run(f, FAULTS[name].spTrusts);
    const codes = r.findings.map((x) => x.code);
    if (expected === null) {
      t.equal(r.verdict, 'accept', `Fleet accepts it: ${codes.join(', ')}`);
      t.same(r.findings.filter((x) => x.severity === 'error').map((x) => x.code), []);
    } else {
      t.ok(codes.includes(expected), `${expected} in ${codes.join(', ')}`);
      if (r.findings.find((x) => x.code === expected)?.severity === 'error') t.equal(r.verdict, 'reject', 'an error finding rejects');
    }
  });
}

t.test('clock-skew depends on sign and size', async (t) => {
  const ahead = parseFault('clock-skew:900') as FaultRequest;
  const behind = parseFault('clock-skew:-4000') as FaultRequest;
  const small = parseFault('clock-skew:120') as FaultRequest;
  t.equal(expectedCodeFor(ahead), 'SAML_TIME_NOT_YET_VALID');
  t.equal(expectedCodeFor(behind), 'SAML_TIME_EXPIRED');
  t.equal(expectedCodeFor(small), null);
  t.ok((await run(behind)).findings.some((x) => x.code === 'SAML_TIME_EXPIRED'));
  t.equal((await run(small)).verdict, 'accept');
  t.match(parseFault('nope'), { error: /unknown fault/ });
  t.match(parseFault('sha1:3'), { error: /no parameter/ });
});

t.test('cert-expired against metadata that lacks the expired cert reads as an untrusted key', async (t) => {
  const r = await run({ name: 'cert-expired' }, 'active');
  t.ok(r.findings.some((x) => x.code === 'SAML_SIG_UNTRUSTED_KEY'));
});
