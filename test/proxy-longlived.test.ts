// Long-lived traffic through the proxy, for real: a live-query websocket held open for minutes and a 105 s synchronous request.
import t from 'tap';
import WebSocket from 'ws';
import { request } from 'undici';
import { startFleetSim } from '../src/fleet-sim/server.js';
import { startProxy } from '../src/proxy/server.js';
import { testMetadata } from './proxy-helpers.js';

const HOLD_MS = 130_000;
const sim = await startFleetSim({ entityId: 'fleet', serverUrl: 'https://fleet.example.test', users: [] });
const proxy = await startProxy({ upstream: sim.url, metadata: testMetadata(), publicUrl: 'https://fleet.example.test', adminListen: false, quietAgentLogs: true });
t.teardown(async () => { await proxy.close(); await sim.close(); });

t.test('a websocket stays open for minutes and a 105 s request is not cut (run side by side)', { timeout: HOLD_MS + 60_000 }, async (t) => {
  const slow = request(`${proxy.url}/api/v1/fleet/queries/run?delay_ms=105000`, { headersTimeout: 200_000, bodyTimeout: 200_000 })
    .then(async (r) => ({ status: r.statusCode, body: await r.body.json() as { delayed_ms: number } }));

  const ws = new WebSocket(proxy.url.replace(/^http/, 'ws') + '/api/v1/fleet/results/websocket', { origin: 'https://fleet.example.test' });
  const inbox: string[] = [];
  ws.on('message', (m) => inbox.push(String(m)));
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  let closedEarly = false;
  ws.on('close', () => { closedEarly = true; });
  const started = Date.now();
  let round = 0;
  while (Date.now() - started < HOLD_MS && !closedEarly) {
    await new Promise((r) => setTimeout(r, 20_000));
    const ping = `ping ${++round}`;
    const echoed = new Promise<void>((resolve) => { const on = (m: WebSocket.RawData) => { if (String(m) === ping) { ws.off('message', on); resolve(); } }; ws.on('message', on); });
    ws.send(ping);
    await Promise.race([echoed, new Promise<void>((resolve) => ws.once('close', () => resolve()))]);
  }
  t.equal(closedEarly, false, 'still open after the hold');
  const echoes = inbox.filter((m) => m.startsWith('ping '));
  t.same(echoes, Array.from({ length: round }, (_, i) => `ping ${i + 1}`), `every message echoed over ${Math.round((Date.now() - started) / 1000)} s`);
  t.match(JSON.parse(inbox[0]), { type: 'fleet-sim.hello', origin: 'https://fleet.example.test' }, 'Origin preserved');
  ws.close();

  const r = await slow;
  t.equal(r.status, 200, 'the slow request completed');
  t.equal(r.body.delayed_ms, 105_000);
});
