// A fuzzing run: seeds × deterministic mutations, each judged by the oracle; reproducible from (seed, case index).
import { createHash } from 'node:crypto';
import type { AnalyzeOptions } from '../saml/index.js';
import { analyzeResponse } from '../saml/index.js';
import { BYTE_MUTATORS, ENCODING_MUTATORS, TEXT_MUTATORS } from './mutators.js';
import { judge, reportIdentity, type Failure, type Identity } from './oracle.js';
import { caseRng } from './prng.js';

export interface SeedInput {
  name: string;
  xml: string;
}

export interface FuzzCase {
  index: number;
  seedName: string;
  mutations: string[];
  input: string | Buffer;
}

export interface FuzzFailure {
  seed: number;
  index: number;
  seedName: string;
  mutations: string[];
  failure: Failure;
  verdict: 'accept' | 'reject' | 'error';
  input: Buffer;
  /** sha256 of the input, first 16 hex digits: the regression fixture's name */
  hash: string;
}

export interface FuzzStats {
  cases: number;
  accepted: number;
  rejected: number;
  errors: number;
  maxMs: number;
  maxMsCase: number;
  totalMs: number;
  /** accepted mutants per mutation name (mutations the engine tolerates, e.g. CDATA or attribute order) */
  acceptedBy: Record<string, number>;
  failures: FuzzFailure[];
}

/** Builds case `index` of a run: 1–3 text mutations, then an encoding, then now and then byte damage. Pure. */
export function buildCase(seeds: readonly SeedInput[], seed: number, index: number): FuzzCase {
  const rng = caseRng(seed, index);
  const s = seeds[rng.int(seeds.length)];
  const mutations: string[] = [];
  let xml = s.xml;
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) {
    const m = rng.pick(TEXT_MUTATORS);
    const out = m.apply(xml, rng);
    if (out !== null) { xml = out; mutations.push(m.name); }
  }
  let input: string | Buffer = xml;
  if (rng.chance(0.35)) {
    const e = rng.pick(ENCODING_MUTATORS);
    input = e.apply(xml, rng);
    mutations.push(e.name);
  }
  if (rng.chance(0.15) || mutations.length === 0) {
    const b = rng.pick(BYTE_MUTATORS);
    input = b.apply(Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8'), rng);
    mutations.push(b.name);
  }
  return { index, seedName: s.name, mutations, input };
}

export function inputHash(input: string | Buffer): string {
  return createHash('sha256').update(input).digest('hex').slice(0, 16);
}

export interface RunOptions {
  seeds: readonly SeedInput[];
  seed: number;
  cases: number;
  /** first case index (to continue or split a run) */
  start?: number;
  analyze: AnalyzeOptions;
  timeLimitMs?: number;
  /** stop starting new cases after this much wall time (the suite's bound on a loaded machine); stats.cases says how many ran */
  wallBudgetMs?: number;
  onFailure?: (f: FuzzFailure) => void;
}

/** The originals' identities; every seed must be accepted as it is, or the oracle means nothing. */
export async function seedIdentities(seeds: readonly SeedInput[], analyze: AnalyzeOptions): Promise<Map<string, Identity>> {
  const out = new Map<string, Identity>();
  for (const s of seeds) {
    const r = await analyzeResponse(s.xml, analyze);
    if (r.verdict !== 'accept') throw new Error(`fuzz seed ${s.name} is not accepted: ${r.findings.map((f) => f.code).join(', ')}`);
    out.set(s.name, reportIdentity(r));
  }
  return out;
}

export async function runFuzz(o: RunOptions): Promise<FuzzStats> {
  const ids = await seedIdentities(o.seeds, o.analyze);
  const stats: FuzzStats = { cases: 0, accepted: 0, rejected: 0, errors: 0, maxMs: 0, maxMsCase: -1, totalMs: 0, acceptedBy: {}, failures: [] };
  const start = o.start ?? 0;
  const began = performance.now();
  const inBudget = () => o.wallBudgetMs === undefined || performance.now() - began < o.wallBudgetMs;
  for (let index = start; index < start + o.cases && inBudget(); index++) {
    const c = buildCase(o.seeds, o.seed, index);
    const j = await judge(c.input, ids.get(c.seedName)!, { analyze: o.analyze, timeLimitMs: o.timeLimitMs });
    stats.cases++;
    stats.totalMs += j.ms;
    if (j.ms > stats.maxMs) { stats.maxMs = j.ms; stats.maxMsCase = index; }
    if (j.verdict === 'accept') {
      stats.accepted++;
      for (const m of new Set(c.mutations)) stats.acceptedBy[m] = (stats.acceptedBy[m] ?? 0) + 1;
    } else if (j.verdict === 'reject') stats.rejected++;
    else stats.errors++;
    if (j.failure) {
      const input = Buffer.isBuffer(c.input) ? c.input : Buffer.from(c.input, 'utf8');
      const f: FuzzFailure = { seed: o.seed, index, seedName: c.seedName, mutations: c.mutations, failure: j.failure, verdict: j.verdict, input, hash: inputHash(input) };
      stats.failures.push(f);
      o.onFailure?.(f);
    }
  }
  return stats;
}

/** One line per failure: what a test or the script prints (seed and case index reproduce it). */
export function describeFailure(f: FuzzFailure): string {
  return `fuzz failure seed=${f.seed} case=${f.index} seedInput=${f.seedName} mutations=${f.mutations.join('+')} verdict=${f.verdict} ${f.failure.kind}: ${f.failure.detail.split('\n')[0].slice(0, 300)} -> fixtures/fuzz-regressions/${f.hash}.xml`;
}
