// RedisStore: the proxy's state (AuthnRequests, replay cache, attempts) shared by several instances through Redis, every call bounded in time.
import { createHash } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Attempt, RecordedAuthnRequest } from './attempt.js';
import { parseRedisUrl, type RedisTarget } from './redis-url.js';
import { boundedAttemptJson, DEFAULT_ATTEMPT_MAX_BYTES, MemoryStore, StoreUnavailableError, type ExpectedLogin, type ProxyStore, type StoreHealth } from './store.js';

export interface RedisStoreOptions {
  /**
   * redis://[user:password@]host:port[/db] or rediss://; redis+cluster://host:port,host:port (Redis Cluster);
   * redis+sentinel://host:port[,host:port]/mastername[/db] (Sentinel); `?wait=N` (see RedisTarget.waitReplicas)
   */
  url: string;
  /** every key starts with it (default "samlscope:"): several deployments can share one Redis */
  prefix?: string;
  /** attempts kept in the shared history (default 500) */
  attempts?: number;
  /** how long an attempt (with its decoded SAML) is kept (default 24 h) */
  attemptTtlMs?: number;
  /** per attempt, as JSON; above it the XML is dropped (default 256 KiB) */
  attemptBytes?: number;
  /** the longest any Redis call may take (default 1000 ms) */
  commandTimeoutMs?: number;
  /** connecting, and how long openRedisStore waits for the first connection (default 2000 ms) */
  connectTimeoutMs?: number;
  /** ok ↔ degraded transitions (for logs) */
  onStateChange?: (health: StoreHealth) => void;
  clock?: () => number;
}

export const REDIS_DEFAULTS = {
  prefix: 'samlscope:',
  attempts: 500,
  attemptTtlMs: 24 * 3_600_000,
  commandTimeoutMs: 1000,
  connectTimeoutMs: 2000,
} as const;

/** GET and DEL as one step: a recorded AuthnRequest is used once, by whichever instance sees the callback first. */
const TAKE = `local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v`;

/** Store an attempt, put its id first in the history, drop (and delete) what falls off the end. */
const ADD_ATTEMPT = `redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('LPUSH', KEYS[1], ARGV[1])
local old = redis.call('LRANGE', KEYS[1], tonumber(ARGV[4]), -1)
for _, id in ipairs(old) do redis.call('DEL', ARGV[5] .. id) end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[4]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return #old`;

/** Claim one expected login whose deadline passed: whoever removes it from the index owns it (one instance only). */
const CLAIM = `if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return false end
local v = redis.call('GET', KEYS[2])
redis.call('DEL', KEYS[2])
return v`;

/** Replace an attempt's JSON in place, keeping its expiry and its place in the history. */
const UPDATE_ATTEMPT = `return redis.call('SET', KEYS[1], ARGV[1], 'XX', 'KEEPTTL')`;

type Scripted = (Redis | Cluster) & {
  samlscopeClaim(index: string, key: string, id: string): Promise<string | null>;
  samlscopeUpdateAttempt(key: string, json: string): Promise<string | null>;
  samlscopeTake(key: string): Promise<string | null>;
  samlscopeAddAttempt(list: string, key: string, id: string, json: string, ttlMs: number, max: number, attemptPrefix: string): Promise<number>;
};

function hashKey(s: string): string {
  return createHash('sha256').update(s).digest('base64url');
}

function message(err: unknown): string {
  const e = err as { message?: string; code?: string };
  return (e?.code ? `${e.code}: ` : '') + (e?.message ?? String(err));
}

/**
 * Keys (all under the prefix): `authn:<sha256(session)>` (JSON, PX = Fleet's session validity, taken once),
 * `replay:<sha256(assertion ID)>` (SET NX PX until NotOnOrAfter + skew), `attempt:<id>` (JSON, PX 24 h), the
 * list `attempts` (ids, newest first, trimmed to the limit), and logins awaiting their callback: the sorted set
 * `list:pending` (sha256 of the AuthnRequest ID, scored by its deadline) with `pending:<sha256>` (JSON). Session cookies and assertion IDs are stored hashed.
 *
 * On Redis Cluster the prefix is a hash tag (`{samlscope:}authn:...`): one deployment's keys share one slot, so the
 * Lua scripts, MULTI blocks and MGETs stay atomic and legal (the state is small: one master holds it, its replicas copy it).
 * With waitReplicas > 0 (Sentinel's default), every state write is followed by WAIT: a write no replica acknowledged
 * within half the command timeout fails with StoreUnavailableError, so a failover cannot lose an acknowledged write.
 *
 * When Redis does not answer, calls fail within commandTimeoutMs with StoreUnavailableError (no offline queue);
 * attempts are then kept in a small local memory history, so the instance's admin listener still shows them.
 */
export class RedisStore implements ProxyStore {
  readonly prefix: string;
  private readonly client: Scripted;
  private readonly local: MemoryStore;
  private readonly attemptsMax: number;
  private readonly attemptTtlMs: number;
  private readonly attemptBytes: number;
  private readonly timeoutMs: number;
  private readonly clock: () => number;
  private readonly keyPrefix: string;
  private readonly waitReplicas: number;
  readonly target: RedisTarget['kind'];
  private state: StoreHealth = { backend: 'redis', status: 'degraded', reason: 'not connected yet' };
  private closed = false;

  constructor(private readonly o: RedisStoreOptions) {
    this.prefix = o.prefix ?? REDIS_DEFAULTS.prefix;
    this.attemptsMax = o.attempts ?? REDIS_DEFAULTS.attempts;
    this.attemptTtlMs = o.attemptTtlMs ?? REDIS_DEFAULTS.attemptTtlMs;
    this.attemptBytes = o.attemptBytes ?? DEFAULT_ATTEMPT_MAX_BYTES;
    this.timeoutMs = o.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs;
    this.clock = o.clock ?? Date.now;
    this.local = new MemoryStore({ attempts: Math.min(this.attemptsMax, 200), attemptBytes: this.attemptBytes }, this.clock);
    const parsed = parseRedisUrl(o.url);
    if (!parsed.target) throw new Error(`redis url: ${parsed.problems.join('; ')}`);
    const target = parsed.target;
    this.target = target.kind;
    this.waitReplicas = target.waitReplicas;
    this.keyPrefix = target.kind === 'cluster' ? `{${this.prefix}}` : this.prefix;
    const node: RedisOptions = {
      commandTimeout: this.timeoutMs,
      connectTimeout: o.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs,
      // a dead Redis fails a call at once instead of queueing it: requests never wait for a reconnect
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // a call whose connection dropped (a failover) fails, not re-sent: a second SET NX would call a first sighting a replay
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times) => Math.min(100 * times, 2000),
      lazyConnect: false,
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    };
    // a master demoted by a failover answers READONLY: drop the connection, the next call finds the new master
    const reconnectOnError = (err: Error) => err.message.startsWith('READONLY');
    const { enableOfflineQueue: _q, retryStrategy: _r, ...nodeOptions } = node;
    const client = target.kind === 'standalone' ? new Redis(target.url, node)
      : target.kind === 'sentinel' ? new Redis({
        ...node, sentinels: target.sentinels, name: target.name, db: target.db, reconnectOnError, failoverDetector: true,
        sentinelCommandTimeout: this.timeoutMs, sentinelRetryStrategy: (times) => Math.min(100 * times, 2000),
        // rediss+sentinel: TLS to the sentinels and to the master alike
        ...(target.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      })
      : new Cluster(target.nodes, {
        redisOptions: nodeOptions,
        enableOfflineQueue: false,
        maxRedirections: 16,
        clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
        slotsRefreshTimeout: this.timeoutMs,
      });
    client.defineCommand('samlscopeTake', { numberOfKeys: 1, lua: TAKE });
    client.defineCommand('samlscopeAddAttempt', { numberOfKeys: 2, lua: ADD_ATTEMPT });
    client.defineCommand('samlscopeClaim', { numberOfKeys: 2, lua: CLAIM });
    client.defineCommand('samlscopeUpdateAttempt', { numberOfKeys: 1, lua: UPDATE_ATTEMPT });
    client.on('ready', () => this.setState('ok', null));
    client.on('error', (err: unknown) => this.setState('degraded', message(err)));
    client.on('close', () => { if (!this.closed) this.setState('degraded', this.state.status === 'degraded' && this.state.reason ? this.state.reason : 'connection to Redis closed'); });
    this.client = client as Scripted;
  }

  /** resolves once connected or after timeoutMs (a Redis that is down does not stop the proxy from starting) */
  async waitReady(timeoutMs: number): Promise<StoreHealth> {
    if (this.client.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(timer); this.client.off('ready', done); resolve(); };
        const timer = setTimeout(done, timeoutMs);
        this.client.once('ready', done);
      });
    }
    return { ...this.state };
  }

  private key(kind: string, id: string): string {
    return `${this.keyPrefix}${kind}:${id}`;
  }

  private setState(status: StoreHealth['status'], reason: string | null): void {
    const changed = this.state.status !== status;
    this.state = { backend: 'redis', status, reason };
    if (changed) this.o.onStateChange?.({ ...this.state });
  }

  /** one Redis call, bounded by the command timeout even if the client's own timer does not fire */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready') {
      throw new StoreUnavailableError(`redis ${what}: ${this.state.reason ?? 'not connected'}`);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const v = await Promise.race([
        fn(),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs + 100} ms`)), this.timeoutMs + 100); }),
      ]);
      if (this.state.status !== 'ok') this.setState('ok', null);
      return v;
    } catch (err) {
      this.setState('degraded', message(err));
      throw new StoreUnavailableError(`redis ${what}: ${message(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** a state write, then (waitReplicas > 0) WAIT on the same connection: it counts once that many replicas have it */
  private async durable<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const v = await this.call(what, fn);
    if (this.waitReplicas > 0) {
      const acked = await this.call(`${what} wait`, () => (this.client as Redis).wait(this.waitReplicas, Math.max(1, Math.floor(this.timeoutMs / 2))));
      if (acked < this.waitReplicas) {
        const reason = `redis ${what}: ${acked} of ${this.waitReplicas} replica(s) acknowledged the write`;
        this.setState('degraded', reason);
        throw new StoreUnavailableError(reason);
      }
    }
    return v;
  }

  async recordAuthnRequest(sessionId: string, req: RecordedAuthnRequest, ttlMs: number): Promise<void> {
    await this.durable('record', () => this.client.set(this.key('authn', hashKey(sessionId)), JSON.stringify(req), 'PX', Math.max(1, Math.round(ttlMs))));
  }

  async takeAuthnRequest(sessionId: string): Promise<RecordedAuthnRequest | null> {
    const v = await this.durable('take', () => this.client.samlscopeTake(this.key('authn', hashKey(sessionId))));
    return v === null ? null : JSON.parse(v) as RecordedAuthnRequest;
  }

  async seenAssertion(assertionId: string, expiresAt: Date): Promise<boolean> {
    const px = Math.max(1, Math.round(expiresAt.getTime() - this.clock()));
    const r = await this.durable('replay', () => this.client.set(this.key('replay', hashKey(assertionId)), '1', 'PX', px, 'NX'));
    return r === null;
  }

  async expectCallback(rec: RecordedAuthnRequest, deadline: Date): Promise<void> {
    const id = rec.request.id;
    if (!id) return;
    const keep = Math.max(1, deadline.getTime() - this.clock() + 3_600_000);
    await this.durable('expect', () => this.client.multi()
      .set(this.key('pending', hashKey(id)), JSON.stringify(rec), 'PX', keep)
      .zadd(this.key('list', 'pending'), deadline.getTime(), hashKey(id))
      .pexpire(this.key('list', 'pending'), keep)
      .exec());
  }

  async callbackArrived(requestId: string): Promise<void> {
    const h = hashKey(requestId);
    await this.durable('arrived', () => this.client.multi().zrem(this.key('list', 'pending'), h).del(this.key('pending', h)).exec());
  }

  async listExpected(limit = 100): Promise<ExpectedLogin[]> {
    const index = this.key('list', 'pending');
    return this.call('expected', async () => {
      const entries = await this.client.zrevrange(index, 0, Math.max(0, limit - 1), 'WITHSCORES');
      const ids: string[] = [];
      const deadlines: number[] = [];
      for (let i = 0; i < entries.length; i += 2) { ids.push(entries[i]); deadlines.push(Number(entries[i + 1])); }
      if (ids.length === 0) return [];
      const docs = await this.client.mget(...ids.map((h) => this.key('pending', h)));
      return docs.flatMap((d, i) => (d === null ? [] : [{ rec: JSON.parse(d) as RecordedAuthnRequest, deadline: new Date(deadlines[i]).toISOString() }]));
    });
  }

  async claimUnanswered(now: Date, limit = 100): Promise<RecordedAuthnRequest[]> {
    const index = this.key('list', 'pending');
    const due = await this.call('due', () => this.client.zrangebyscore(index, '-inf', now.getTime(), 'LIMIT', 0, limit));
    const out: RecordedAuthnRequest[] = [];
    for (const h of due) {
      const v = await this.durable('claim', () => this.client.samlscopeClaim(index, this.key('pending', h), h));
      if (v) out.push(JSON.parse(v) as RecordedAuthnRequest);
    }
    return out;
  }

  async updateAttempt(a: Attempt): Promise<boolean> {
    if (await this.local.updateAttempt(a)) return true;
    const r = await this.call('update', () => this.client.samlscopeUpdateAttempt(this.key('attempt', a.id), boundedAttemptJson(a, this.attemptBytes)));
    return r !== null;
  }

  /** never throws: with Redis down the attempt goes to the local history */
  async addAttempt(a: Attempt): Promise<void> {
    const json = boundedAttemptJson(a, this.attemptBytes);
    try {
      await this.call('attempt', () => this.client.samlscopeAddAttempt(
        this.key('list', 'attempts'), this.key('attempt', a.id), a.id, json, this.attemptTtlMs, this.attemptsMax, this.key('attempt', '')));
    } catch {
      await this.local.addAttempt(JSON.parse(json) as Attempt);
    }
  }

  /** newest first: the shared history, plus what this instance kept locally while Redis was away */
  async listAttempts(limit = this.attemptsMax): Promise<Attempt[]> {
    const n = Math.max(0, Math.min(limit, this.attemptsMax));
    const local = await this.local.listAttempts(n);
    let shared: Attempt[];
    try {
      shared = await this.call('list', async () => {
        const ids = await this.client.lrange(this.key('list', 'attempts'), 0, n - 1);
        if (ids.length === 0) return [];
        const docs = await this.client.mget(...ids.map((id) => this.key('attempt', id)));
        return docs.filter((d): d is string => d !== null).map((d) => JSON.parse(d) as Attempt);
      });
    } catch {
      return local;
    }
    if (local.length === 0) return shared;
    return [...shared, ...local].sort((x, y) => (x.time < y.time ? 1 : x.time > y.time ? -1 : 0)).slice(0, n);
  }

  async getAttempt(id: string): Promise<Attempt | null> {
    const mine = await this.local.getAttempt(id);
    if (mine) return mine;
    try {
      const v = await this.call('get', () => this.client.get(this.key('attempt', id)));
      return v === null ? null : JSON.parse(v) as Attempt;
    } catch {
      return null;
    }
  }

  /** asks Redis (PING, bounded); degraded with the reason when it does not answer */
  async health(): Promise<StoreHealth> {
    try {
      await this.call('ping', () => this.client.ping());
    } catch {
      // the state carries the reason
    }
    return { ...this.state };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.local.close();
    if (this.client.status === 'ready') {
      await Promise.race([this.client.quit().catch(() => undefined), new Promise((r) => setTimeout(r, this.timeoutMs))]);
    }
    this.client.disconnect();
  }
}

/** A RedisStore that has tried to connect for up to connectTimeoutMs; it starts degraded (and keeps retrying) when Redis is down. */
export async function openRedisStore(o: RedisStoreOptions): Promise<RedisStore> {
  const store = new RedisStore(o);
  await store.waitReady(o.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs);
  return store;
}
