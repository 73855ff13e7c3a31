// Fixed demo ports that fall back to a free one when taken: start a server and retry on port 0 (or probe a port).
import net from 'node:net';

/** The ports a newcomer can bookmark; any that is taken falls back to a free one. */
export const DEFAULT_DEMO_PORTS = { landing: 8440, idp: 8441, fleet: 8442, proxy: 8443, admin: 8449 } as const;

export type DemoPorts = { -readonly [K in keyof typeof DEFAULT_DEMO_PORTS]: number };

function isInUse(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'EADDRINUSE' || code === 'EACCES';
}

/** Binds `port` (or any free one when it is 0 or taken) and releases it: the port a server can be started on right after. */
export async function probePort(host: string, port: number): Promise<number> {
  const tryBind = (p: number) => new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host, port: p, exclusive: true }, () => {
      const bound = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(bound));
    });
  });
  if (port === 0) return tryBind(0);
  try {
    return await tryBind(port);
  } catch (e) {
    if (isInUse(e)) return tryBind(0);
    throw e;
  }
}

/** Runs start(port); when that port is taken, runs start(0). */
export async function withPortFallback<T>(port: number, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(port);
  } catch (e) {
    if (port !== 0 && isInUse(e)) return start(0);
    throw e;
  }
}

export { isInUse as isPortInUseError };
