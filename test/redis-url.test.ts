// --redis-url's three forms: what each parses to, and every problem reported at once (also by `samlscope proxy`).
import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseRedisUrl } from '../src/proxy/redis-url.js';
import { childEnv } from './child-env.js';

t.test('standalone, cluster and sentinel forms', async (t) => {
  t.match(parseRedisUrl('redis://127.0.0.1:6379/2'), { target: { kind: 'standalone', url: 'redis://127.0.0.1:6379/2', tls: false, waitReplicas: 0 }, problems: [] });
  t.match(parseRedisUrl('rediss://u:p%40ss@redis.example:6380?wait=1'), { target: { kind: 'standalone', url: 'rediss://u:p%40ss@redis.example:6380', tls: true, username: 'u', password: 'p@ss', waitReplicas: 1 } });
  t.match(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2,[::1]:7002'), {
    target: { kind: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 6379 }, { host: '::1', port: 7002 }], waitReplicas: 0 },
  });
  t.match(parseRedisUrl('redis+sentinel://:secret@s1:26380,s2/mymaster/3'), {
    target: { kind: 'sentinel', sentinels: [{ host: 's1', port: 26380 }, { host: 's2', port: 26379 }], name: 'mymaster', db: 3, password: 'secret', waitReplicas: 1 },
  });
  t.match(parseRedisUrl('redis+sentinel://s1/mymaster?wait=0'), { target: { waitReplicas: 0 } });
});

t.test('problems, all of them', async (t) => {
  for (const [url, n] of [
    ['http://x', 1], ['redis://a:1,b:2', 1], ['redis+sentinel://s1:26379', 1], ['redis+sentinel://s1:99999/m/x', 2],
    ['redis+cluster://a:1/0?wait=1', 2], ['redis+cluster://', 1], ['redis://h?wait=-1', 1],
  ] as const) {
    const r = parseRedisUrl(url);
    t.equal(r.target, null, url);
    t.equal(r.problems.length, n, `${url}: ${r.problems.join('; ')}`);
  }
});

t.test('samlscope proxy reports a bad --redis-url with the other problems (exit 2)', async (t) => {
  const bin = fileURLToPath(new URL('../bin/samlscope.js', import.meta.url));
  const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
    const p = execFile(process.execPath, [bin, 'proxy', '--redis-url', 'redis+cluster://a:1,b:x', '--metadata', '/nonexistent.xml'], { env: childEnv() }, (_e, _out, err) => resolve({ code: p.exitCode, err }));
  });
  t.equal(r.code, 2);
  t.match(r.err, /--redis-url: "b:x" is not host:port/);
  t.match(r.err, /--upstream/, 'reported together with the missing options');
});
