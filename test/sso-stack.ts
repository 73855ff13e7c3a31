// A whole SSO stack on real sockets for proxy tests: fleet-sim, the mock Entra IdP and the proxy in front, with its log lines.
import type { Test } from 'tap';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startFleetSim } from '../src/fleet-sim/server.js';
import { startMockIdp } from '../src/idp/server.js';
import { parseConfig } from '../src/idp/config.js';
import { startProxy, type ProxyOptions } from '../src/proxy/server.js';

const parsed = parseConfig(readFileSync('fixtures/idp/fleet.json', 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('; '));
export const ENTITY_ID = 'https://fleet.contoso.example/saml';
export const config = { ...parsed.config, apps: parsed.config.apps.map((a, i) => (i === 0 ? { ...a, identifiers: [...a.identifiers, ENTITY_ID] } : a)) };

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

export async function setup(t: Test, mode: 'observe' | 'enforce', extra: Pick<ProxyOptions, 'maskNameId' | 'redisUrl' | 'callbackBodyDeadlineMs' | 'analysisWorkers' | 'analysisPool' | 'loginTimeoutMs' | 'now' | 'edge' | 'trustedProxies' | 'publicUrl'> = {}) {
  const port = await freePort();
  // edge mode: users reach Fleet through the front proxy, so its URL is server_url
  const publicUrl = extra.publicUrl ?? `http://127.0.0.1:${port}`;
  const sim = await startFleetSim({
    entityId: ENTITY_ID, serverUrl: publicUrl,
    users: [{ email: 'alice@contoso.example', ssoEnabled: true }, { email: 'dave@contoso.example', ssoEnabled: false }],
  });
  t.teardown(() => sim.close());
  const idp = await startMockIdp({ config, port: 0, extraReplyUrls: [`${publicUrl}/api/v1/fleet/sso/callback`] });
  t.teardown(() => idp.close());
  sim.configure({ metadataUrl: idp.metadataUrl });
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({ write(chunk, _e, cb) { raw.push(String(chunk)); for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  const proxy = await startProxy({
    upstream: sim.url, listen: { host: '127.0.0.1', port }, metadata: { url: idp.metadataUrl }, entityId: ENTITY_ID, publicUrl, mode,
    logger: pino({ level: 'info' }, sink), ...extra,
  });
  t.teardown(() => proxy.close());
  const callbacks = () => sim.events.filter((e) => e.kind === 'callback').length;
  return { sim, idp, proxy, lines, raw, callbacks };
}

