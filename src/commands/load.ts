// CLI-side I/O shared by commands: reading bounded input, loading metadata from a file or a URL with a timeout.
import { open, readFile } from 'node:fs/promises';
import { fetchText } from '../net/fetch-text.js';
import { parseMetadata, MetadataError, type IdpMetadata } from '../saml/index.js';
import { MAX_HAR_BYTES } from '../saml/decode.js';

/** Reads a file, or standard input for '-' / undefined, at most `limit + 1` bytes (the engine reports oversize). */
export async function readInput(path: string | undefined, readStdin: () => Promise<Buffer>, limit = MAX_HAR_BYTES): Promise<Buffer> {
  if (path === undefined || path === '-') {
    const all = await readStdin();
    return all.length > limit + 1 ? all.subarray(0, limit + 1) : all;
  }
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min((await fh.stat()).size, limit + 1));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export interface LoadedMetadata {
  metadata: IdpMetadata;
  xml: string;
  source: string;
}

/** Metadata from a file path or an http(s) URL. Throws an Error whose message names the source. */
export async function loadMetadata(source: string, timeoutMs = 10_000): Promise<LoadedMetadata> {
  let xml: string;
  try {
    xml = /^https?:\/\//i.test(source) ? await fetchText(source, { timeoutMs }) : await readFile(source, 'utf8');
  } catch (e) {
    throw new Error(`cannot read metadata from ${source}: ${(e as Error).message}`);
  }
  try {
    return { metadata: parseMetadata(xml), xml, source };
  } catch (e) {
    throw new Error(`metadata from ${source} is not usable: ${(e as MetadataError).message}`);
  }
}
