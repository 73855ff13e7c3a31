// GET a small text document (IdP metadata) with a timeout and a size bound, read as it arrives: one helper for every caller.

export interface FetchTextOptions {
  timeoutMs?: number;
  /** the body is refused past this many bytes (default 8 MiB) */
  maxBytes?: number;
  accept?: string;
}

export const METADATA_ACCEPT = 'application/samlmetadata+xml, application/xml, text/xml, */*';

/** Fetches `url` (redirects followed); throws an Error naming the URL on a timeout, a non-200 answer or an oversize body. */
export async function fetchText(url: string, o: FetchTextOptions = {}): Promise<string> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const maxBytes = o.maxBytes ?? 8 * 1024 * 1024;
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow', headers: { accept: o.accept ?? METADATA_ACCEPT } });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`GET ${url} answered HTTP ${res.status}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) { await reader.cancel(); throw new Error(`GET ${url}: more than ${maxBytes} bytes`); }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}
