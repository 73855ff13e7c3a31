// The edge-config generators as tables: the routing regex, input checks, trusted-proxy advice, each front's lines; the edge refuser; the CLI.
import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { parseEdgeInput, renderEdgeConfig, routedToSamlscope, ssoPathRegex, trustAdvice, type EdgeInput } from '../src/edge/index.js';
import { createEdgeRefuser, refusalKind } from '../src/proxy/edge-mode.js';
import { edgeConfigCommand } from '../src/commands/edge-config.js';
import { parseCommandArgs, UsageError, type CommandIo } from '../src/commands/options.js';
import { routingKey } from '../src/proxy/paths.js';
import { SSO_ROUTES, FLEET_API_VERSIONS, routePathFor } from '../src/fleet/routes.js';

t.test('the SSO path regex, on decoded paths (method, path, dot segments allowed, expected)', async (t) => {
  const rows: [string, string, boolean, boolean][] = [
    ['POST', '/api/v1/fleet/sso', false, true],
    ['POST', '/api/v1/fleet/sso/callback', false, true],
    ['POST', '/api/latest/fleet/mdm/sso/callback', false, true],
    ['POST', '/api/2022-04/fleet/mdm/sso', false, true],
    ['POST', '/api/v9/fleet/sso', false, true], // any version: wider than Fleet
    ['POST', '/API/V1/FLEET/SSO/CALLBACK/', false, true],
    ['POST', '//api//v1//fleet//sso//callback//', false, true],
    ['POST', '/fleet/api/v1/fleet/sso/callback', false, true],
    ['POST', '/other/api/v1/fleet/sso/callback', false, false],
    ['GET', '/api/v1/fleet/sso', false, false],
    ['POST', '/api/v1/fleet/sso/settings', false, false],
    ['POST', '/api/osquery/log', false, false],
    ['POST', '/api/fleet/conditional_access/idp/sso', false, false],
    ['POST', '/api/v1/fleet/x/../sso', false, false],
    ['POST', '/api/v1/fleet/x/../sso', true, true],
    ['POST', '/api/osquery/./log', true, true], // any dot segment in a POST: samlscope judges or refuses it
    ['POST', '/api/osquery/log.json', true, false],
    ['POST', '/api/v1/fleet/sso/callback?x', false, false], // a decoded %3F is part of the path for Fleet too
  ];
  for (const [method, path, dots, want] of rows) t.equal(routedToSamlscope(method, path, '/fleet', dots), want, `${method} ${path}${dots ? ' (dot segments)' : ''}`);
  t.equal(ssoPathRegex(''), '^/*api/+[^/]+/+fleet/+(?:mdm/+)?sso(?:/+callback)?/*$');
  t.equal(ssoPathRegex('/a.b/c'), '^/*(?:a\\.b/+c/+)?api/+[^/]+/+fleet/+(?:mdm/+)?sso(?:/+callback)?/*$');
});

t.test('every route Fleet has (src/fleet/routes.ts), every version, is routed: never less than the classifier', async (t) => {
  for (const r of SSO_ROUTES) {
    for (const v of FLEET_API_VERSIONS) {
      for (const p of [routePathFor(r, v), `/fleet${routePathFor(r, v)}`]) t.ok(routedToSamlscope('POST', routingKey(p), '/fleet', false), p);
    }
  }
});

const base = { fleet: 'http://127.0.0.1:8080', samlscope: 'http://127.0.0.1:8081' };

t.test('input checks: every problem at once, named after the option', async (t) => {
  const { problems } = parseEdgeInput({ front: 'apache', fleet: 'ftp://x', samlscope: 'http://127.0.0.1:1/sub', urlPrefix: '/a b', frontAddresses: ['10.0.0.0/99'], bind: ':443', fleetCa: 'x.pem', publicUrl: 'nope' });
  t.match(problems.join('\n'), /--for: one of nginx, caddy, haproxy/);
  t.match(problems.join('\n'), /--fleet: must be http/);
  t.match(problems.join('\n'), /--samlscope: give the origin only/);
  t.match(problems.join('\n'), /url-prefix: segments/);
  t.match(problems.join('\n'), /--front-address: not an IP address or CIDR: "10.0.0.0\/99"/);
  t.match(problems.join('\n'), /--public-url: not a URL/);
  t.same(parseEdgeInput({ front: 'nginx', ...base, bind: ':443' }).problems, ['--bind: only for --for haproxy (nginx and Caddy keep your own listen lines)']);
  t.same(parseEdgeInput({ front: 'nginx', fleet: 'http://127.0.0.1:8080', samlscope: 'http://127.0.0.1:8081', samlscopeCa: 'x.pem' }).problems, ['--samlscope-ca: only for an https:// --samlscope']);
  t.same(parseEdgeInput({}).problems.length, 3);
});

function input(over: Partial<Parameters<typeof parseEdgeInput>[0]> = {}): EdgeInput {
  const r = parseEdgeInput({ front: 'nginx', ...base, ...over });
  if (!r.input) throw new Error(r.problems.join('; '));
  return r.input;
}

t.test('trusted-proxy advice (where the three run → what samlscope and Fleet must trust)', async (t) => {
  t.same(trustAdvice(input()), { samlscope: '127.0.0.1/32,::1/128', fleet: '127.0.0.1/32,::1/128', unknown: [] });
  t.same(trustAdvice(input({ fleet: 'https://10.0.0.5:8080', samlscope: 'http://10.0.0.6:8081', frontAddresses: ['10.0.0.4'] })), { samlscope: '10.0.0.4', fleet: '10.0.0.4,10.0.0.6', unknown: [] });
  const unknown = trustAdvice(input({ fleet: 'https://fleet.internal:8080', samlscope: 'http://samlscope.internal:8081' }));
  t.equal(unknown.unknown.length, 2, 'both addresses to fill in, said so');
  t.same(trustAdvice(input({ fleet: 'https://fleet.internal:8080' })), { samlscope: '127.0.0.1/32,::1/128', fleet: '<front address>,<samlscope address>', unknown: [
    'the address the front connects from (--front-address)', 'the address samlscope connects to Fleet from'] }, 'samlscope beside the front, Fleet elsewhere');
});

t.test('nginx: regex location for POSTs, the rest to Fleet, TLS to Fleet verified', async (t) => {
  const out = renderEdgeConfig(input({ fleet: 'https://fleet.internal:8443', fleetCa: '/etc/ssl/fleet-ca.pem', urlPrefix: '/fleet' }));
  t.match(out, /^location ~\* \^\/\*\(\?:fleet\/\+\)\?api\/\+/m);
  t.match(out, /if \(\$request_method != POST\) \{ return 418; \}/);
  t.match(out, /error_page 418 = @samlscope_fleet;/);
  t.match(out, /upstream samlscope_edge_fleet \{\n {4}server fleet\.internal:8443;\n {4}keepalive 64;\n {4}keepalive_timeout 30s;\n\}/, 'keep-alive upstreams at http {} level');
  t.match(out, /upstream samlscope_edge_sso \{\n {4}server 127\.0\.0\.1:8081;/);
  t.ok(out.indexOf('upstream samlscope_edge_sso') < out.indexOf('# ---- part 2: inside your server {} block'), 'part 1 before part 2');
  t.match(out, /proxy_pass http:\/\/samlscope_edge_sso;/);
  t.equal(out.match(/proxy_pass https:\/\/samlscope_edge_fleet;/g)?.length, 2, 'Fleet behind both the named location and location /');
  t.match(out, /proxy_ssl_name fleet\.internal;/, 'SNI and verification against Fleet\'s name, not the upstream block\'s');
  t.match(out, /proxy_ssl_verify on;\n\s+proxy_ssl_trusted_certificate \/etc\/ssl\/fleet-ca\.pem;/);
  t.match(out, /proxy_set_header X-Forwarded-For \$remote_addr;/);
  t.match(out, /proxy_set_header True-Client-IP "";/);
  t.match(out, /client_max_body_size 0;/, 'Fleet uploads are not capped');
  t.match(out, /--trusted-proxies 127\.0\.0\.1\/32,::1\/128/);
  t.match(out, /server\.trusted_proxies: "<front address>,<samlscope address>"/);
  t.match(out, /# Fill in: the address the front connects from/);
  t.notMatch(out, /^[^#\n]*<[a-z ]+>/m, 'no placeholder outside comments');
});

t.test('Caddy: one named matcher (POST + regexp incl. dot segments), handle blocks', async (t) => {
  const out = renderEdgeConfig(input({ front: 'caddy', samlscope: 'https://127.0.0.1:8081' }));
  t.match(out, /@samlscope_sso \{\n\tmethod POST\n\tpath_regexp samlscope_sso `\(\?i\)\^\(\?:/);
  t.match(out, /handle @samlscope_sso \{\n\treverse_proxy https:\/\/127\.0\.0\.1:8081 \{/);
  t.match(out, /\t\ttransport http \{\n\t\t\ttls\n\t\t\}/, 'https upstream: TLS verified against the system store');
  t.match(out, /handle \{\n\treverse_proxy http:\/\/127\.0\.0\.1:8080 \{/);
  t.match(out, /header_up -True-Client-IP/);
});

t.test('HAProxy: frontend with ACLs on the decoded path, two backends', async (t) => {
  const out = renderEdgeConfig(input({ front: 'haproxy', bind: '127.0.0.1:8443 ssl crt /x.pem', fleet: 'https://[::1]:8443' }));
  t.match(out, /^frontend samlscope_edge\n {4}mode http\n {4}bind 127\.0\.0\.1:8443 ssl crt \/x\.pem$/m);
  t.match(out, /acl samlscope_sso_path path,url_dec -i -m reg '\^/);
  t.match(out, /acl samlscope_dot_segment path,url_dec -m reg '/);
  t.match(out, /use_backend samlscope if METH_POST samlscope_sso_path/);
  t.match(out, /server fleet \[::1\]:8443 ssl verify required ca-file @system-ca sni str\(::1\)/);
  t.match(out, /http-request set-header X-Forwarded-For %\[src\]/);
  t.match(out, /timeout tunnel 1h/, 'live-query websockets stay open');
  t.match(renderEdgeConfig(input({ front: 'haproxy' })), /bind :443 ssl crt \/etc\/haproxy\/certs\/fleet\.pem/, 'default bind');
});

t.test('edge refuser: kind, answer, throttled log', async (t) => {
  t.equal(refusalKind({ url: '/api/osquery/log', headers: {} }, false), 'agent');
  t.equal(refusalKind({ url: '/api/v1/fleet/results/websocket', headers: {} }, true), 'websocket');
  t.equal(refusalKind({ url: '/dashboard', headers: {} }, false), 'other');
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(c, _e, cb) { for (const l of String(c).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  let clock = 0;
  const kinds: string[] = [];
  let n = 0;
  const r = createEdgeRefuser({ nextId: () => `id-${++n}`, logger: pino(sink), onRefused: (k) => kinds.push(k), nowMs: () => clock });
  const fakeRes = () => {
    const res = { status: 0, headers: {} as Record<string, unknown>, body: '' as string | undefined, writeHead(s: number, h: Record<string, unknown>) { res.status = s; res.headers = h; }, end(b?: string) { res.body = b; } };
    return res;
  };
  const req = (url: string, method = 'POST') => ({ url, method, headers: { accept: 'application/json' } }) as never;
  const a = fakeRes();
  r.handle(req('/api/osquery/log'), a as never);
  t.equal(a.status, 421);
  t.match(JSON.parse(String(a.body)), { error: { code: 'EDGE_NOT_SSO_ROUTE', requestId: 'id-1' } });
  t.equal(a.headers.connection, 'close');
  r.handle(req('/x'), fakeRes() as never);
  clock = 1500;
  r.handle(req('/y', 'HEAD'), fakeRes() as never);
  t.same(kinds, ['agent', 'other', 'other']);
  t.equal(lines.length, 2, 'one line per second');
  t.match(lines[1], { event: 'edge.refused', edge: 'EDGE_NOT_SSO_ROUTE', suppressed: 1, req: { method: 'HEAD', url: '/y' } });
});

t.test('samlscope edge-config: prints the snippet; all problems at once', async (t) => {
  let out = '';
  const io: CommandIo = { argv: [], env: {}, stdout: (s) => { out += s; }, stderr: () => undefined, readStdin: async () => Buffer.alloc(0), stopSignal: Promise.resolve() };
  const code = await edgeConfigCommand.run(parseCommandArgs(edgeConfigCommand, ['--for', 'haproxy', '--fleet', 'http://127.0.0.1:8080', '--samlscope', 'http://127.0.0.1:8081', '--bind', '127.0.0.1:9443'], {}), io);
  t.equal(code, 0);
  t.match(out, /bind 127\.0\.0\.1:9443/);
  const env = { SAMLSCOPE_FOR: 'caddy', SAMLSCOPE_FLEET: 'http://127.0.0.1:8080', SAMLSCOPE_SAMLSCOPE: 'http://127.0.0.1:8081' };
  out = '';
  t.equal(await edgeConfigCommand.run(parseCommandArgs(edgeConfigCommand, [], env), io), 0, 'options from SAMLSCOPE_*');
  t.match(out, /@samlscope_sso/);
  const err = await edgeConfigCommand.run(parseCommandArgs(edgeConfigCommand, ['--for', 'iis', '--fleet', 'x'], {}), io).then(() => null, (e: unknown) => e);
  t.type(err, UsageError);
  t.match((err as UsageError).problems.join('\n'), /--for: one of[\s\S]*--fleet: not a URL[\s\S]*--samlscope: required/);
});
