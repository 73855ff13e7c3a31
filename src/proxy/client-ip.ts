// The client's address for Fleet: X-Forwarded-For / X-Real-IP set by the proxy, a client's own only trusted from --trusted-proxies.
import { BlockList, isIP } from 'node:net';

export interface TrustedProxies {
  contains(ip: string): boolean;
  readonly empty: boolean;
}

function plainIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1] : ip;
}

/** Parses CIDRs (or single addresses); returns the problems instead of throwing. */
export function parseTrustedProxies(cidrs: readonly string[]): { trusted: TrustedProxies; problems: string[] } {
  const list = new BlockList();
  const problems: string[] = [];
  let count = 0;
  for (const raw of cidrs) {
    const s = raw.trim();
    if (!s) continue;
    const [addr, bitsRaw, ...rest] = s.split('/');
    const family = isIP(addr);
    const max = family === 4 ? 32 : 128;
    const bits = bitsRaw === undefined ? max : Number(bitsRaw);
    if (family === 0 || rest.length > 0 || !Number.isInteger(bits) || bits < 0 || bits > max || (bitsRaw !== undefined && !/^\d+$/.test(bitsRaw))) {
      problems.push(`not an IP address or CIDR: "${s}"`);
      continue;
    }
    list.addSubnet(addr, bits, family === 4 ? 'ipv4' : 'ipv6');
    count++;
  }
  const trusted: TrustedProxies = {
    empty: count === 0,
    contains(ip: string): boolean {
      if (count === 0) return false;
      const p = plainIp(ip);
      const f = isIP(p);
      if (f === 0) return false;
      return list.check(p, f === 4 ? 'ipv4' : 'ipv6');
    },
  };
  return { trusted, problems };
}

export interface ForwardedFor {
  /** the value to send as X-Forwarded-For */
  xff: string;
  /** the client's address as Fleet should see it (X-Real-IP) */
  clientIp: string;
  /** whether the direct peer is a trusted proxy (its True-Client-IP may then pass) */
  peerTrusted: boolean;
}

/**
 * From the socket's peer and the request's own X-Forwarded-For: the peer is always appended; an incoming chain is kept
 * only when the peer is trusted, and the client is the right-most address that is not a trusted proxy.
 */
export function forwardedFor(peer: string | undefined, incomingXff: string | string[] | undefined, trusted: TrustedProxies): ForwardedFor {
  const p = plainIp(peer ?? '');
  if (trusted.empty || !trusted.contains(p)) return { xff: p, clientIp: p, peerTrusted: false };
  const chain = (Array.isArray(incomingXff) ? incomingXff.join(',') : incomingXff ?? '')
    .split(',').map((s) => s.trim()).filter(Boolean);
  const full = [...chain, p];
  let clientIp = full[0];
  for (let i = full.length - 1; i >= 0; i--) {
    const a = plainIp(full[i]);
    if (!trusted.contains(a)) { clientIp = a; break; }
  }
  return { xff: full.join(', '), clientIp, peerTrusted: true };
}
