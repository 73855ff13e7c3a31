// Enforce mode in front of a Go upstream that reads callbacks as Fleet does: every message Go goes on to validate is the one the proxy judged.
import t, { type Test } from 'tap';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startProxy, type ProxyHandle } from '../src/proxy/server.js';
import type { Attempt } from '../src/proxy/attempt.js';
import { buildEntraResponse, entraIssuer, NAMEID_FORMAT, type SigningKey } from '../src/idp/response.js';
import { caseRng, type Rng } from '../src/fuzz/prng.js';
import { CERTS, sha256, testMetadata } from './proxy-helpers.js';
import { startGoFleet, type GoFleet } from './go-fleetread.js';
import { generateCase, serialize, type CallbackCase } from './fleet-callback-cases.js';

/** `judgedSha256` is being added to Attempt (src/proxy/attempt.ts): the sha256 hex of the decoded bytes the proxy judged. */
type JudgedAttempt = Attempt & { judgedSha256?: string | null };

const SEED = Number(process.env.FLEET_UPSTREAM_SEED ?? 4242);
const CASES = Number(process.env.FLEET_UPSTREAM_CASES ?? 250);
const TENANT = '00000000-0000-0000-0000-000000000001';
const ENTITY_ID = 'https://fleet.contoso.example/saml';
const VERSIONS = ['v1', '2022-04', 'latest'] as const;

function key(name: string): SigningKey {
  return { privateKeyPem: readFileSync(new URL(`${name}.key.pem`, CERTS), 'utf8'), certPem: readFileSync(new URL(`${name}.cert.pem`, CERTS), 'utf8') };
}
const IDP_KEY = key('test-only-idp-signing');
const ATTACKER_KEY = key('test-only-attacker');

/** A signed, IdP-initiated Entra response for this ACS URL; `attacker` signs it with a key the metadata does not trust. */
function signedResponse(acsUrl: string, nameId: string, attacker = false): Buffer {
  return Buffer.from(buildEntraResponse({
    tenantId: TENANT, issuer: entraIssuer(TENANT), acsUrl, audience: ENTITY_ID, now: new Date(), nameId, nameIdFormat: NAMEID_FORMAT.emailAddress,
    attributes: [], signing: 'assertion', algorithm: 'sha256', key: attacker ? ATTACKER_KEY : IDP_KEY,
  }), 'utf8');
}

/** One request on its own connection, in a few writes (split framing); the answer's status (0: none). */
function sendRaw(url: string, raw: Buffer, rng: Rng): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const status = () => Number(/^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? 0);
    // no half-close: the request says Connection: close, so the server ends the connection after answering
    const s = net.connect(Number(u.port), u.hostname, async () => {
      const cuts = [0, ...Array.from({ length: rng.int(4) }, () => rng.int(raw.length)).sort((a, b) => a - b), raw.length];
      for (let i = 1; i < cuts.length && !s.destroyed; i++) {
        if (!s.write(raw.subarray(cuts[i - 1], cuts[i]))) await new Promise((r) => s.once('drain', r));
        await new Promise((r) => setImmediate(r));
      }
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {}); // an early answer (413) may close before the whole body is written
    s.on('close', () => resolve(status()));
  });
}

/**
 * The route as sent: mostly as is, sometimes spelled the ways Go still routes it (percent-encoded letters or slash: Go
 * matches the decoded URL.Path) or the ways it redirects (dot segments, double slash: 301) or refuses (trailing slash).
 */
function spell(rng: Rng, route: string): string {
  switch (rng.chance(0.75) ? -1 : rng.int(6)) {
    case 0: return route.replace('/sso/', '/%73so/');
    case 1: return route.replace('sso/callback', 'sso%2Fcallback');
    case 2: return route.replace('/fleet/', '/fleet/./');
    case 3: return route.replace('/api/', '//api/');
    case 4: return route + '/';
    case 5: return route.replace('callback', 'c%61llback');
    default: return route;
  }
}

/** The attempt the proxy recorded for the request just answered (requests go one at a time): the newest one not seen before. */
async function attemptAfter(proxy: ProxyHandle, seen: Set<string>): Promise<JudgedAttempt | null> {
  for (let i = 0; i < 1000; i++) {
    const fresh = (await proxy.store.listAttempts(5)).find((a) => !seen.has(a.id));
    if (fresh) { seen.add(fresh.id); return fresh as JudgedAttempt; }
    await new Promise((r) => setImmediate(r));
  }
  return null;
}

async function run(t: Test, prefix: string): Promise<void> {
  const go: GoFleet = await startGoFleet({ prefix });
  t.teardown(() => go.close());
  const proxy = await startProxy({
    upstream: go.url, metadata: testMetadata(), entityId: ENTITY_ID, mode: 'enforce', urlPrefix: prefix,
    allowIdpInitiated: true, analysisWorkers: 0, adminListen: false,
  });
  t.teardown(() => proxy.close());

  let reads = 0;
  let forwarded = 0;
  const seen = new Set<string>();
  const mismatches: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const rng = caseRng(SEED, i);
    const mdm = rng.chance(0.3);
    const route = spell(rng, `/api/${rng.pick(VERSIONS)}/fleet/${mdm ? 'mdm/' : ''}sso/callback`);
    // the ACS URL the proxy judges against (with or without url_prefix, by Fleet version), the MDM one beside it
    const acsUrl = mdm ? proxy.acsUrl.replace(/\/api\/v1\/fleet\/sso\/callback$/, '/api/v1/fleet/mdm/sso/callback') : proxy.acsUrl;
    const docs = { good: signedResponse(acsUrl, `good${i}@contoso.example`), evil: signedResponse(acsUrl, `evil${i}@contoso.example`, rng.chance(0.5)) };
    const c: CallbackCase = generateCase(SEED, i, docs);
    const target = prefix + c.target.replace(/^\/api\/v1\/fleet\/(?:mdm\/)?sso\/callback/, route);
    const raw = serialize({ ...c, target }, String(i), rng);
    for (const a of await proxy.store.listAttempts(10)) seen.add(a.id);
    const readsBefore = (await go.reads()).length;
    const status = await sendRaw(proxy.url, raw, rng);
    const goReads = await go.reads();
    const attempt = await attemptAfter(proxy, seen);
    if (attempt?.action === 'forwarded') forwarded++;
    if (process.env.FLEET_UPSTREAM_DEBUG) t.comment(`#${i} ${status} ${attempt?.action} ${attempt?.verdict} ${attempt?.findings.filter((f) => f.severity === 'error').map((f) => f.code).join(',')} ${c.label}`);
    if (goReads.length === readsBefore) continue;
    reads++;
    const readSha = goReads[goReads.length - 1];
    const label = `#${i} ${target.slice(0, 60)} ${c.label} (status ${status})`;
    if (goReads.length !== readsBefore + 1) mismatches.push(`${label}: Go validated ${goReads.length - readsBefore} messages for one request`);
    else if (!attempt) mismatches.push(`${label}: Go validated a message the proxy recorded no attempt for`);
    else if (attempt.action !== 'forwarded') mismatches.push(`${label}: Go validated a message of a blocked attempt`);
    else if (attempt.judgedSha256 !== readSha) mismatches.push(`${label}: Go validated ${readSha.slice(0, 12)}, the proxy judged ${String(attempt.judgedSha256).slice(0, 12)}`);
    // before judgedSha256 exists: whether the XML in the proxy's report is the message Go read
    if (process.env.FLEET_UPSTREAM_DEBUG && attempt?.report?.xml) t.comment(`${label}: report XML ${sha256(Buffer.from(attempt.report.xml, 'utf8')) === readSha ? 'is' : 'IS NOT'} what Go read`);
  }
  t.comment(`prefix ${JSON.stringify(prefix)}: ${CASES} requests, ${forwarded} forwarded, ${reads} validated by Go`);
  t.ok(reads > 0, 'some messages reach Go (the property is not vacuous)');
  t.same(mismatches.slice(0, 20), [], `${mismatches.length} messages Go validated that the proxy did not judge`);
}

t.test('enforce in front of Go: what Go validates is what the proxy judged', async (t) => {
  t.test('no url_prefix', (t) => run(t, ''));
  t.test('url_prefix /fleet', (t) => run(t, '/fleet'));
});

t.test('a valid callback reaches Go with the bytes judged (sanity)', async (t) => {
  const go = await startGoFleet();
  t.teardown(() => go.close());
  const proxy = await startProxy({ upstream: go.url, metadata: testMetadata(), entityId: ENTITY_ID, mode: 'enforce', allowIdpInitiated: true, analysisWorkers: 0, adminListen: false });
  t.teardown(() => proxy.close());
  const doc = signedResponse(proxy.acsUrl, 'alice@contoso.example');
  const body = Buffer.from(`SAMLResponse=${encodeURIComponent(doc.toString('base64'))}`, 'latin1');
  const raw = serialize({ label: 'valid', method: 'POST', target: '/api/v1/fleet/sso/callback', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body, chunked: false });
  const status = await sendRaw(proxy.url, raw, caseRng(1, 1));
  t.equal(status, 200, 'forwarded and read by Go');
  t.same(await go.reads(), [sha256(doc)]);
  const [a] = (await proxy.store.listAttempts(1)) as JudgedAttempt[];
  t.match(a, { action: 'forwarded', verdict: 'accept' });
  t.equal(a.judgedSha256, sha256(doc), 'judgedSha256 names the bytes Go read');
});
