// The proxy's Graph hook: a sign-in matcher over the Fleet app's sign-in log, the app found once (by app ID or Fleet's entity ID), off the login path.
import type { Logger } from 'pino';
import { GraphClient, type GraphClientOptions } from '../entra/graph-client.js';
import { applicationByIdentifier, signInsSince } from '../entra/reads.js';
import { startSignInMatcher, type SignInMatcher } from '../entra/signin-matcher.js';
import type { Attempt } from './attempt.js';
import type { ProxyStore } from './store.js';

export interface ProxyEntraOptions {
  graph: GraphClientOptions;
  /** the Fleet enterprise app's Application ID (default: the application whose Identifiers include Fleet's entity ID) */
  appId?: string;
  /** waits before each sign-in log poll (default src/entra/signin-matcher.ts) */
  pollDelaysMs?: number[];
  /** called after an attempt got Entra's view (tests) */
  onMatched?: (a: Attempt) => void;
  onGaveUp?: (a: Attempt, reason: string) => void;
}

export interface ProxyEntra {
  enqueue(a: Attempt): void;
  close(): Promise<void>;
}

export function startProxyEntra(o: ProxyEntraOptions, ctx: { store: ProxyStore; now: () => Date; entityId: string; log?: Logger; onMatched?: (a: Attempt) => void }): ProxyEntra {
  const graph = new GraphClient(o.graph);
  let appId: Promise<string> | null = o.appId ? Promise.resolve(o.appId) : null;
  const resolveAppId = (): Promise<string> => {
    appId ??= applicationByIdentifier(graph, ctx.entityId).then((app) => {
      if (!app) throw new Error(`no Entra application has Fleet's entity ID "${ctx.entityId}" as an Identifier (give --entra-app-id)`);
      return app.appId;
    });
    return appId.catch((e: unknown) => { appId = null; throw e; });
  };
  const matcher: SignInMatcher = startSignInMatcher({
    source: { signIns: async (since) => signInsSince(graph, await resolveAppId(), since) },
    store: ctx.store, now: ctx.now, pollDelaysMs: o.pollDelaysMs,
    log: ctx.log ? { info: (x, m) => ctx.log!.info(x, m), warn: (x, m) => ctx.log!.warn(x, m) } : undefined,
    onMatched: (a) => { ctx.onMatched?.(a); o.onMatched?.(a); },
    onGaveUp: o.onGaveUp,
  });
  ctx.log?.info({ event: 'entra.configured', tenantId: o.graph.tenantId, graphUrl: graph.graphUrl, appId: o.appId ?? null }, 'Entra sign-in logs will explain logins that never came back');
  return {
    enqueue: (a) => matcher.enqueue(a),
    close: async () => { matcher.close(); await graph.close(); },
  };
}
