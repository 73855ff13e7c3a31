// edge-config through the real nginx, Caddy and HAProxy: every spelling of an SSO POST reaches samlscope, agents and the rest reach Fleet, headers as promised.
import t, { type Test } from 'tap';
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import { FRONTS, type Front } from '../src/edge/index.js';
import { makeSsoClassifier } from '../src/proxy/paths.js';
import { frontMissing, startFront, validateConfig } from './edge-fronts.js';
import { recordingUpstream, send } from './proxy-helpers.js';
import { parseEdgeInput, renderEdgeConfig } from '../src/edge/index.js';

const PREFIX = '/fleet';

/** Spellings Fleet's router (Go: %XX decoded, path cleaned) could route to an SSO handler, each named. */
const SSO_VARIANTS: [string, string][] = [
  ['admin initiate', '/api/v1/fleet/sso'],
  ['admin callback', '/api/v1/fleet/sso/callback'],
  ['MDM initiate, v1', '/api/v1/fleet/mdm/sso'],
  ['MDM callback, latest', '/api/latest/fleet/mdm/sso/callback'],
  ['MDM callback, 2022-04', '/api/2022-04/fleet/mdm/sso/callback'],
  ['admin callback, latest', '/api/latest/fleet/sso/callback'],
  ['with url_prefix', `${PREFIX}/api/v1/fleet/sso/callback`],
  ['url_prefix in capitals', '/FLEET/api/v1/fleet/sso/callback'],
  ['trailing slash', '/api/v1/fleet/sso/callback/'],
  ['capitals', '/API/V1/Fleet/SSO/Callback'],
  ['percent-encoded letters', '/api/v1/fleet/sso/%63allback'],
  ['percent-encoded letters, upper hex', '/api/v1/fleet/%53%53%4F/callback'],
  ['encoded slash', '/api/v1/fleet/sso%2Fcallback'],
  ['encoded slash, lower hex', '/api%2fv1%2ffleet%2fsso%2fcallback'],
  ['double slash', '/api/v1//fleet/sso/callback'],
  ['leading double slash', '//api/v1/fleet/sso/callback'],
  ['dot segment', '/api/v1/./fleet/sso/callback'],
  ['dot-dot segment', '/api/v1/fleet/x/../sso/callback'],
  ['encoded dot-dot', '/api/v1/fleet/x/%2e%2e/sso/callback'],
  ['encoded dot-dot and slash', '/api/v1/fleet/x%2F..%2Fsso/callback'],
  ['dot-dot from an agent path', '/api/osquery/../v1/fleet/sso/callback'],
  ['with a query', '/api/v1/fleet/sso/callback?RelayState=x'],
  ['empty query', '/api/v1/fleet/sso/callback?'],
  ['MDM, encoded and doubled', '/api/latest//fleet/mdm/%73so/callback/'],
];

/** Fleet's own traffic that must never touch samlscope. */
const FLEET_ONLY: [string, string, string][] = [
  ['osquery distributed read', 'POST', '/api/osquery/distributed/read'],
  ['osquery log', 'POST', '/api/v1/osquery/log'],
  ['orbit config', 'POST', '/api/fleet/orbit/config'],
  ['orbit ping', 'HEAD', '/api/fleet/orbit/ping'],
  ['device ping', 'GET', '/api/fleet/device/ping'],
  ['SSO settings (login page)', 'GET', '/api/v1/fleet/sso'],
  ['SSO callback by GET', 'GET', '/api/v1/fleet/sso/callback'],
  ['conditional access IdP', 'POST', '/api/fleet/conditional_access/idp/sso'],
  ['MDM browser callback page', 'GET', '/mdm/sso/callback?enrollment_reference=x'],
  ['sso settings path (not a route)', 'POST', '/api/v1/fleet/sso/settings'],
  ['fleet config', 'GET', '/api/latest/fleet/config'],
];

/** Seeded random spellings of the SSO routes: case, %XX of any byte, slashes doubled, `.` and `x/..` inserted. */
function randomSpellings(seed: number, n: number): string[] {
  let s = seed >>> 0;
  const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
  const bases = ['/api/v1/fleet/sso', '/api/v1/fleet/sso/callback', '/api/latest/fleet/mdm/sso', '/api/2022-04/fleet/mdm/sso/callback', `${PREFIX}/api/v1/fleet/sso/callback`];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const segs = bases[Math.floor(rnd() * bases.length)].split('/').slice(1);
    let p = '';
    for (const seg of segs) {
      let w = '';
      for (const ch of seg) {
        const r = rnd();
        w += r < 0.15 ? `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}` : r < 0.3 ? ch.toUpperCase() : ch;
      }
      const r = rnd();
      // the first separator stays a real slash: a request-target must start with one
      const sep = r < 0.1 ? '//' : !p ? '/' : r < 0.2 ? '%2F' : r < 0.25 ? '%2f' : '/';
      if (rnd() < 0.1) p += '/.';
      if (rnd() < 0.1) p += '/zz/..';
      p += sep + w;
    }
    if (rnd() < 0.2) p += '/';
    out.push(p);
  }
  return out;
}

/** Recording stand-ins for Fleet and samlscope behind a front, closed with the test. */
async function backends(t: Test) {
  const fleet = await recordingUpstream();
  t.teardown(() => fleet.close());
  const scope = await recordingUpstream((_req, _body, res) => res.end('samlscope'));
  t.teardown(() => scope.close());
  return { fleet, scope };
}

for (const front of FRONTS) {
  t.test(`${front}: the generated config routes as promised`, async (t) => {
    const missing = frontMissing(front);
    if (missing) { t.fail(`${front} cannot run here: ${missing}`); return; }
    const { fleet, scope } = await backends(t);
    const f = await startFront(front, { fleet: fleet.url, samlscope: scope.url, urlPrefix: PREFIX });
    t.teardown(() => f.close());
    const classify = makeSsoClassifier(PREFIX);

    /** Sends one request; returns where it landed ('fleet' | 'samlscope' | `refused <status>`) and what that side saw. */
    async function route(method: string, path: string, headers: Record<string, string> = {}) {
      const before = { fleet: fleet.seen.length, scope: scope.seen.length };
      const r = await send(f.url, { method, path, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, ...(method === 'POST' ? { body: Buffer.from('SAMLResponse=x') } : {}) });
      if (scope.seen.length > before.scope) return { to: 'samlscope', seen: scope.seen[scope.seen.length - 1], status: r.status };
      if (fleet.seen.length > before.fleet) return { to: 'fleet', seen: fleet.seen[fleet.seen.length - 1], status: r.status };
      return { to: `refused ${r.status}`, seen: null, status: r.status };
    }

    t.test('every spelling of an SSO POST reaches samlscope, byte for byte', async (t) => {
      // absolute-form ("POST http://host/path HTTP/1.1"), with the front's own authority so Caddy's site matches
      for (const [name, path] of [...SSO_VARIANTS, ['absolute-form', `${f.url}/api/v1/fleet/sso/callback`] as [string, string]]) {
        const r = await route('POST', path);
        // a front may refuse a spelling outright (nginx: 400 for ".." above the root): then Fleet never sees it either
        if (r.to.startsWith('refused')) { t.ok(r.status >= 400, `${name}: ${path} refused by ${front} (${r.status})`); continue; }
        t.equal(r.to, 'samlscope', `${name}: ${path}`);
        t.ok(classify('POST', r.seen?.url ?? ''), `${name}: samlscope's classifier claims what arrived (${r.seen?.url})`);
        if (r.seen?.url !== path) t.comment(`${front} rewrote ${path} → ${r.seen?.url}`);
        if (name !== 'absolute-form') t.equal(r.seen?.url, path, `${name}: the request-target byte for byte`);
      }
    });

    t.test('seeded random spellings: none reaches Fleet as an SSO route', async (t) => {
      let toScope = 0;
      let refused = 0;
      for (const path of randomSpellings(14, 150)) {
        const r = await route('POST', path);
        if (r.to === 'fleet') t.notOk(classify('POST', r.seen?.url ?? ''), `${path} reached Fleet as ${r.seen?.url}`);
        if (r.to === 'samlscope') toScope++;
        if (r.to.startsWith('refused')) { refused++; t.comment(`${front} refused ${path}: ${r.status}`); }
      }
      t.ok(toScope > 140, `most spellings reached samlscope (${toScope} of 150)`);
      t.comment(`${front}: ${toScope} of 150 random spellings to samlscope, ${refused} refused by the front`);
    });

    t.test('agents, the UI and Fleet-as-IdP go straight to Fleet', async (t) => {
      for (const [name, method, path] of FLEET_ONLY) {
        const r = await route(method, path);
        t.equal(r.to, 'fleet', `${name}: ${method} ${path}`);
        t.equal(r.seen?.url, path, `${name}: the request-target unchanged`);
        t.equal(r.seen?.method, method);
      }
    });

    t.test('forwarded headers: the client, not what it claims', async (t) => {
      for (const path of ['/api/v1/fleet/sso/callback', '/api/osquery/log']) {
        // the Host the front's site answers (Caddy picks its site block by Host): kept, not rewritten to the upstream's
        const host = new URL(f.url).host;
        const r = await route('POST', path, { 'x-forwarded-for': '6.6.6.6', 'true-client-ip': '6.6.6.6', 'x-real-ip': '6.6.6.6', host });
        const h = r.seen?.headers ?? {};
        t.equal(h['x-forwarded-for'], '127.0.0.1', `${path}: X-Forwarded-For is the peer only`);
        t.equal(h['x-real-ip'], '127.0.0.1', `${path}: X-Real-IP`);
        t.equal(h['true-client-ip'], undefined, `${path}: True-Client-IP dropped`);
        t.equal(h['x-forwarded-proto'], 'http', `${path}: X-Forwarded-Proto is the scheme the client used`);
        t.equal(h.host, host, `${path}: Host kept`);
      }
    });
  });
}

const CERT = `${process.cwd()}/certs/test-only-tls-localhost.cert.pem`;
const KEY = `${process.cwd()}/certs/test-only-tls-localhost.key.pem`;

/** One HTTP/2 request over TLS, the path sent as given. */
function h2(url: string, method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = http2.connect(url, { ca: readFileSync(CERT) });
    c.on('error', reject);
    const r = c.request({ ':method': method, ':path': path, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) });
    r.on('response', (h) => { r.resume(); r.on('end', () => { c.close(); resolve(Number(h[':status'])); }); });
    r.on('error', reject);
    r.end(body);
  });
}

for (const front of FRONTS) {
  t.test(`${front} with TLS and HTTP/2 at the front: routing and X-Forwarded-Proto https`, async (t) => {
    const missing = frontMissing(front);
    if (missing) { t.fail(`${front} cannot run here: ${missing}`); return; }
    const { fleet, scope } = await backends(t);
    const f = await startFront(front, { fleet: fleet.url, samlscope: scope.url, tls: { cert: CERT, key: KEY } });
    t.teardown(() => f.close());
    for (const path of ['/api/v1/fleet/sso/callback', '/API/v1/fleet/sso%2Fcallback/', '/api/latest/fleet/mdm/sso']) {
      const n = scope.seen.length;
      t.equal(await h2(f.url, 'POST', path, 'SAMLResponse=x'), 200, `h2 POST ${path}`);
      t.equal(scope.seen.length, n + 1, `${path} reached samlscope`);
      t.equal(scope.seen[n]?.url, path, 'request-target unchanged');
      t.equal(scope.seen[n]?.headers['x-forwarded-proto'], 'https', 'X-Forwarded-Proto https');
    }
    for (const [method, path] of [['POST', '/api/osquery/distributed/read'], ['GET', '/api/v1/fleet/sso']]) {
      const n = fleet.seen.length;
      t.equal(await h2(f.url, method, path, method === 'POST' ? '{}' : undefined), 200, `h2 ${method} ${path}`);
      t.equal(fleet.seen.length, n + 1, `${method} ${path} reached Fleet`);
      t.equal(fleet.seen[n]?.headers['x-forwarded-proto'], 'https', 'X-Forwarded-Proto https');
    }
  });
}

t.test('the programs accept the configs edge-config writes for https upstreams and no prefix', async (t) => {
  for (const front of FRONTS as readonly Front[]) {
    if (frontMissing(front)) { t.fail(`${front} cannot run here: ${frontMissing(front)}`); continue; }
    const { input } = parseEdgeInput({ front, fleet: 'https://localhost:8443', samlscope: 'https://127.0.0.1:8081', fleetCa: `${process.cwd()}/certs/test-only-tls-localhost.cert.pem`, ...(front === 'haproxy' ? { bind: '127.0.0.1:1' } : {}) });
    if (!input) { t.fail('input'); continue; }
    const r = validateConfig(front, renderEdgeConfig(input));
    t.ok(r.ok, `${front} accepts it${r.ok ? '' : `:\n${r.output}`}`);
  }
});
