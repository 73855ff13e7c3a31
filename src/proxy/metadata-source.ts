// The IdP metadata the proxy judges with: given, read from a file, or fetched from a URL (timeout, cache, refresh, last good copy).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IdpMetadata } from '../saml/types.js';
import { fetchText } from '../net/fetch-text.js';

export type MetadataInput = IdpMetadata | { xml: string } | { file: string } | { url: string };

/** A metadata document as it was read, kept so the admin UI can offer the one a verdict used for download. */
export interface MetadataDocument {
  /** sha256 (hex) of the document text */
  sha256: string;
  xml: string;
  /** when this document came into use */
  inUseSince: string;
}

/** How many distinct documents a URL source keeps (newest last). */
const KEPT_DOCUMENTS = 10;

function documentOf(xml: string, inUseSince: string): MetadataDocument {
  return { sha256: createHash('sha256').update(xml, 'utf8').digest('hex'), xml, inUseSince };
}

/** The document in use at `time` (ISO-8601): the newest that came into use at or before it, else the oldest kept. */
export function documentInUseAt(docs: readonly MetadataDocument[], time: string): MetadataDocument | null {
  const t = Date.parse(time);
  const before = docs.filter((d) => Date.parse(d.inUseSince) <= t);
  return before[before.length - 1] ?? docs[0] ?? null;
}

export interface MetadataStatus {
  source: 'inline' | 'file' | 'url';
  location: string | null;
  entityId: string;
  loadedAt: string;
  lastFetchAt: string | null;
  /** the last refresh failed: the previous good copy stays in use */
  lastError: string | null;
  refreshes: number;
}

export interface MetadataSourceOptions {
  /** parses the document (the engine's parseMetadata); throws when unusable */
  parse: (xml: string) => IdpMetadata;
  fetchTimeoutMs?: number;
  refreshIntervalMs?: number;
  /** fewest milliseconds between two refreshes asked for by a signature failure */
  minForcedIntervalMs?: number;
  onRefreshError?: (err: Error) => void;
  onRefreshed?: (md: IdpMetadata) => void;
}

export interface MetadataSource {
  current(): IdpMetadata;
  status(): MetadataStatus;
  /** the documents read (newest last; none when the metadata was given already parsed) */
  documents(): readonly MetadataDocument[];
  /** after a signature failure (cert rollover): refetches now unless done very recently; resolves true when the metadata changed */
  refreshAfterSignatureFailure(): Promise<boolean>;
  close(): void;
}

function isMetadata(x: MetadataInput): x is IdpMetadata {
  return typeof (x as IdpMetadata).entityId === 'string' && Array.isArray((x as IdpMetadata).certs);
}

function fingerprint(md: IdpMetadata): string {
  return md.entityId + '|' + md.certs.map((c) => c.sha256).join(',') + '|' + (md.redirectSsoUrl ?? '');
}

/** Loads the metadata once (throws with a clear message when the first load fails) and keeps it fresh for URLs. */
export async function openMetadataSource(input: MetadataInput, o: MetadataSourceOptions): Promise<MetadataSource> {
  const now = () => new Date().toISOString();
  if (isMetadata(input)) {
    const loadedAt = now();
    return {
      current: () => input,
      status: () => ({ source: 'inline', location: null, entityId: input.entityId, loadedAt, lastFetchAt: null, lastError: null, refreshes: 0 }),
      documents: () => [],
      refreshAfterSignatureFailure: async () => false,
      close: () => undefined,
    };
  }
  if ('xml' in input) {
    let md: IdpMetadata;
    try {
      md = o.parse(input.xml);
    } catch (e) {
      throw new Error(`--metadata: the given document is not usable IdP metadata: ${(e as Error).message}`);
    }
    const loadedAt = now();
    const docs = [documentOf(input.xml, loadedAt)];
    return {
      current: () => md,
      status: () => ({ source: 'inline', location: null, entityId: md.entityId, loadedAt, lastFetchAt: null, lastError: null, refreshes: 0 }),
      documents: () => docs,
      refreshAfterSignatureFailure: async () => false,
      close: () => undefined,
    };
  }
  if ('file' in input) {
    let xml: string;
    try {
      xml = await readFile(input.file, 'utf8');
    } catch (e) {
      throw new Error(`--metadata: cannot read "${input.file}": ${(e as Error).message}`);
    }
    let md: IdpMetadata;
    try {
      md = o.parse(xml);
    } catch (e) {
      throw new Error(`--metadata: "${input.file}" is not usable IdP metadata: ${(e as Error).message}`);
    }
    const loadedAt = now();
    const docs = [documentOf(xml, loadedAt)];
    return {
      current: () => md,
      status: () => ({ source: 'file', location: input.file, entityId: md.entityId, loadedAt, lastFetchAt: null, lastError: null, refreshes: 0 }),
      documents: () => docs,
      refreshAfterSignatureFailure: async () => false,
      close: () => undefined,
    };
  }
  const url = input.url;
  const timeoutMs = o.fetchTimeoutMs ?? 5_000;
  const docs: MetadataDocument[] = [];
  /** Keeps a newly fetched document (a refetch of the same bytes keeps the first time it came into use). */
  const remember = (xml: string) => {
    const d = documentOf(xml, now());
    if (docs[docs.length - 1]?.sha256 === d.sha256) return;
    docs.push(d);
    if (docs.length > KEPT_DOCUMENTS) docs.shift();
  };
  const load = async (): Promise<IdpMetadata> => {
    const xml = await fetchText(url, { timeoutMs });
    const parsed = o.parse(xml);
    remember(xml);
    return parsed;
  };
  let md: IdpMetadata;
  try {
    md = await load();
  } catch (e) {
    throw new Error(`--metadata: cannot load ${url}: ${(e as Error).message}`);
  }
  let loadedAt = now();
  let lastFetchAt: string | null = loadedAt;
  let lastError: string | null = null;
  let refreshes = 0;
  let lastForced = 0;
  let inflight: Promise<boolean> | null = null;
  const refresh = (): Promise<boolean> => {
    if (inflight) return inflight;
    inflight = (async () => {
      lastFetchAt = now();
      try {
        const next = await load();
        const changed = fingerprint(next) !== fingerprint(md);
        md = next;
        loadedAt = now();
        lastError = null;
        refreshes++;
        o.onRefreshed?.(md);
        return changed;
      } catch (e) {
        lastError = (e as Error).message;
        o.onRefreshError?.(e as Error);
        return false;
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  };
  const timer = setInterval(() => { void refresh(); }, o.refreshIntervalMs ?? 3_600_000);
  timer.unref();
  return {
    current: () => md,
    status: () => ({ source: 'url', location: url, entityId: md.entityId, loadedAt, lastFetchAt, lastError, refreshes }),
    documents: () => docs,
    refreshAfterSignatureFailure: async () => {
      const t = Date.now();
      if (t - lastForced < (o.minForcedIntervalMs ?? 60_000)) return false;
      lastForced = t;
      return refresh();
    },
    close: () => clearInterval(timer),
  };
}
