// Real Redis Cluster (three masters) and Sentinel (master, replica, sentinel) for tests: loopback free ports, temp dirs, stopped in teardown.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { Test } from 'tap';
import { answersPing, exited, freePort } from './redis-server.js';
import { pollUntil } from './wait.js';

const run = promisify(execFile);

/** polls `check` every 50 ms until it is true (a check that throws counts as false); fails after `ms` with `what` */
export async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  await pollUntil(what, () => check().catch(() => false), { timeoutMs: ms });
}

interface Proc { port: number; child: ChildProcess; kill(): Promise<void> }

async function spawnRedis(t: Test, args: string[], port: number): Promise<Proc> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => { stderr += String(d); });
  const kill = async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited(child); } };
  t.teardown(kill);
  await until(`redis-server on ${port} (${stderr})`, 5000, async () => {
    if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited: ${stderr}`);
    return answersPing(port);
  });
  return { port, child, kill };
}

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'samlscope-redis-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const base = (port: number, dir: string) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];

async function client(t: Test, port: number): Promise<Redis> {
  const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  t.teardown(() => c.disconnect());
  await c.connect();
  return c;
}

export interface TestCluster {
  /** redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3 */
  url: string;
  ports: number[];
}

/** Three masters (cluster-enabled, bus on its own free port), joined by `redis-cli --cluster create`, ready once every node says cluster_state:ok. */
export async function startRedisCluster(t: Test, masters = 3): Promise<TestCluster> {
  const dir = await tempDir(t);
  const ports: number[] = [];
  for (let i = 0; i < masters; i++) {
    const port = await freePort();
    const bus = await freePort();
    await spawnRedis(t, [...base(port, dir), '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-port', String(bus)], port);
    ports.push(port);
  }
  await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], { timeout: 20_000 });
  for (const p of ports) {
    const c = await client(t, p);
    await until(`cluster_state:ok on ${p}`, 20_000, async () => /cluster_state:ok/.test(String(await c.call('CLUSTER', 'INFO'))));
  }
  return { url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports };
}

export interface TestSentinel {
  /** redis+sentinel://127.0.0.1:<sentinel>/<name> */
  url: string;
  name: string;
  /** host:port of the master as the sentinel names it */
  master(): Promise<string>;
  /** SENTINEL FAILOVER, then waits (bounded) until the sentinel names another master; returns it */
  failover(): Promise<string>;
  /** SIGKILL to the data node that is not the master now: the master is left without a replica */
  killReplica(): Promise<void>;
}

/** A master, a replica of it, and one sentinel watching them (quorum 1); ready once the sentinel knows the synced replica. */
export async function startRedisSentinel(t: Test, name = 'samlscope-test'): Promise<TestSentinel> {
  const dir = await tempDir(t);
  const mp = await freePort();
  const nodes = [await spawnRedis(t, base(mp, dir), mp)];
  const rp = await freePort();
  nodes.push(await spawnRedis(t, [...base(rp, dir), '--replicaof', '127.0.0.1', String(mp)], rp));
  const replica = await client(t, rp);
  await until('the replica in sync', 10_000, async () => /master_link_status:up/.test(await replica.info('replication')));
  const sp = await freePort();
  const conf = join(dir, 'sentinel.conf');
  await writeFile(conf, [`port ${sp}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${mp} 1`,
    `sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 10000`, ''].join('\n'));
  await spawnRedis(t, [conf, '--sentinel', '--loglevel', 'warning'], sp);
  const sentinel = await client(t, sp);
  const master = async () => ((await sentinel.call('SENTINEL', 'get-master-addr-by-name', name)) as string[]).join(':');
  await until('the sentinel knows the replica', 15_000, async () => {
    const replicas = (await sentinel.call('SENTINEL', 'replicas', name)) as string[][];
    return replicas.some((r) => { const f = r[r.indexOf('flags') + 1]; return f === 'slave' && r[r.indexOf('master-link-status') + 1] === 'ok'; });
  });
  return {
    url: `redis+sentinel://127.0.0.1:${sp}/${name}`, name, master,
    async failover() {
      const before = await master();
      await sentinel.call('SENTINEL', 'FAILOVER', name);
      let now = before;
      await until(`a new master for ${name}`, 20_000, async () => (now = await master()) !== before);
      const [host, port] = now.split(':');
      const promoted = await client(t, Number(port));
      await until(`${now} acting as master`, 10_000, async () => /role:master/.test(await promoted.info('replication')) && host === '127.0.0.1');
      return now;
    },
    async killReplica() {
      const port = Number((await master()).split(':')[1]);
      for (const n of nodes) if (n.port !== port) await n.kill();
    },
  };
}
