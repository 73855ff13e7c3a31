// The baseline: a dozen-line reverse proxy (Node http + undici Pool.stream, hop-by-hop headers dropped). Run: bare-proxy.ts UPSTREAM_URL
import http from 'node:http';
import { Pool } from 'undici';

const pool = new Pool(process.argv[2], { connections: 256, pipelining: 1 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'proxy-connection']);
const server = http.createServer((req, res) => {
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : req;
  pool.stream({ path: req.url ?? '/', method: req.method as 'GET', headers, body }, ({ statusCode, headers: h }) => {
    for (const k of HOP) delete h[k];
    res.writeHead(statusCode, h as http.OutgoingHttpHeaders);
    return res;
  }, (err) => { if (err) { if (res.headersSent) res.destroy(); else { res.statusCode = 502; res.end(); } } });
});
server.keepAliveTimeout = 72_000;
process.on('SIGTERM', () => process.exit(0));
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}`));
