// Parses --redis-url in its three forms (standalone, Cluster, Sentinel) into what the Redis client needs, reporting every problem.

export interface RedisNode {
  host: string;
  port: number;
}

interface Common {
  username?: string;
  password?: string;
  tls: boolean;
  /** replicas that must acknowledge a state write (WAIT) before it counts; 0: none asked */
  waitReplicas: number;
}

export type RedisTarget =
  | ({ kind: 'standalone'; url: string } & Common)
  | ({ kind: 'cluster'; nodes: RedisNode[] } & Common)
  | ({ kind: 'sentinel'; sentinels: RedisNode[]; name: string; db: number } & Common);

export const REDIS_URL_FORMS = 'redis://host:port[/db], rediss://..., redis+cluster://host:port[,host:port...], redis+sentinel://host:port[,host:port...]/mastername[/db]';

function parseNodes(list: string, defaultPort: number, problems: string[]): RedisNode[] {
  const nodes: RedisNode[] = [];
  for (const part of list.split(',')) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/,]+)(?::(\d{1,5}))?$/.exec(part);
    const port = m ? Number(m[2] ?? defaultPort) : Number.NaN;
    if (!m || port < 1 || port > 65535) { problems.push(`"${part}" is not host:port`); continue; }
    nodes.push({ host: m[1].replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

/** The target, or the problems found (all of them). `?wait=N` sets waitReplicas (default 1 for Sentinel, else 0). */
export function parseRedisUrl(raw: string): { target: RedisTarget; problems: [] } | { target: null; problems: string[] } {
  const problems: string[] = [];
  const m = /^(rediss?)(\+cluster|\+sentinel)?:\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(raw);
  if (!m) return { target: null, problems: [`expected one of ${REDIS_URL_FORMS}`] };
  const [, scheme, variant, userinfo, hosts, path = '', query = ''] = m;
  const tls = scheme === 'rediss';
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo) {
    const i = userinfo.indexOf(':');
    const user = decodeURIComponent(i < 0 ? userinfo : userinfo.slice(0, i));
    password = i < 0 ? undefined : decodeURIComponent(userinfo.slice(i + 1));
    username = user === '' ? undefined : user;
    if (i < 0) { password = username; username = undefined; } // redis://secret@host: a password, as redis-cli reads it
  }
  const params = new URLSearchParams(query);
  const waitRaw = params.get('wait');
  const waitReplicas = waitRaw === null ? (variant === '+sentinel' ? 1 : 0) : Number(waitRaw);
  if (!Number.isInteger(waitReplicas) || waitReplicas < 0 || waitReplicas > 16) problems.push(`?wait=${waitRaw}: a number of replicas, 0 to 16`);
  const common: Common = { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}), tls, waitReplicas };
  if (!variant) {
    if (!hosts || hosts.includes(',')) problems.push('redis:// names one host:port (several: redis+cluster:// or redis+sentinel://)');
    if (path && !/^\/\d{0,2}$/.test(path)) problems.push(`"${path}": the path is a database number`);
    const url = waitRaw === null ? raw : raw.replace(/[?&]wait=[^&#]*/, '').replace(/\?$/, '').replace(/\?&/, '?');
    return problems.length ? { target: null, problems } : { target: { kind: 'standalone', url, ...common }, problems: [] };
  }
  if (hosts === '') problems.push('no host:port');
  const nodes = hosts === '' ? [] : parseNodes(hosts, variant === '+cluster' ? 6379 : 26379, problems);
  if (variant === '+cluster') {
    if (path && path !== '/') problems.push('redis+cluster:// has no path (a cluster has database 0 only)');
    if (waitReplicas > 0) problems.push('?wait is for redis:// and redis+sentinel:// (a cluster client has no one connection to WAIT on)');
    return problems.length ? { target: null, problems } : { target: { kind: 'cluster', nodes, ...common }, problems: [] };
  }
  const seg = path.split('/').filter(Boolean);
  if (seg.length < 1 || seg.length > 2) problems.push('redis+sentinel:// needs the master name as its path: redis+sentinel://host:port/mymaster[/db]');
  if (seg.length === 2 && !/^\d{1,2}$/.test(seg[1])) problems.push(`"${seg[1]}": the database is a number`);
  if (problems.length) return { target: null, problems };
  return { target: { kind: 'sentinel', sentinels: nodes, name: decodeURIComponent(seg[0]), db: seg.length === 2 ? Number(seg[1]) : 0, ...common }, problems: [] };
}
