// The fuzzing budget of the test suite (4 × up to 5,000 mutants, each file bounded to 60 s of wall time), shared by the four fuzz-engine test files (one seed each).
import type { Test } from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describeFailure, runFuzz } from '../src/fuzz/campaign.js';
import { fuzzAnalyzeOptions, fuzzCorpus } from '../scripts/fuzz.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after a full collection, in MiB. */
function liveHeapMb(): number {
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

/** Wall time one fuzz file may spend on mutants: a quiet 2-core machine runs all 5,000 well within it; a loaded one runs fewer (printed). */
export const FUZZ_WALL_BUDGET_MS = 60_000;
/** Fewer cases than this within the budget means the engine got slow: a failure, not a smaller sample. */
export const FUZZ_MIN_CASES = 1_000;

/** Runs up to `cases` mutants of seed `seed` through the oracle: no throw, no hang, no accept with another identity, bounded heap. */
export async function fuzzBudget(t: Test, seed: number, cases: number): Promise<void> {
  const heap0 = liveHeapMb();
  const t0 = performance.now();
  const stats = await runFuzz({ seeds: fuzzCorpus(), seed, cases, analyze: fuzzAnalyzeOptions(), timeLimitMs: 500, wallBudgetMs: FUZZ_WALL_BUDGET_MS });
  const secs = (performance.now() - t0) / 1000;
  const heapGrowthMb = liveHeapMb() - heap0;
  t.comment(`seed ${seed}: ${stats.cases} cases in ${secs.toFixed(1)} s (${(stats.totalMs / stats.cases).toFixed(2)} ms CPU/case); accepted ${stats.accepted}, rejected ${stats.rejected}; slowest ${stats.maxMs.toFixed(1)} ms CPU (case ${stats.maxMsCase}); live heap +${heapGrowthMb.toFixed(1)} MiB after GC`);
  t.comment(`accepted mutants by mutation: ${JSON.stringify(stats.acceptedBy)}`);
  for (const f of stats.failures) t.comment(describeFailure(f));
  if (stats.cases < cases) t.comment(`wall budget of ${FUZZ_WALL_BUDGET_MS / 1000} s reached after ${stats.cases} of ${cases} cases (a loaded machine); npm run fuzz runs them all`);
  t.ok(stats.cases >= Math.min(cases, FUZZ_MIN_CASES), `at least ${Math.min(cases, FUZZ_MIN_CASES)} cases ran (${stats.cases})`);
  t.equal(stats.errors, 0, 'the engine never threw');
  t.same(stats.failures.map((f) => `seed=${f.seed} case=${f.index} ${f.failure.kind}`), [], `no failures (reproduce: npm run fuzz -- --seed ${seed} --cases ${stats.cases})`);
  t.ok(stats.rejected > stats.cases / 2, 'most mutants are rejected (the mutations bite)');
  t.ok(stats.accepted > 0, 'some mutants keep the identity and are accepted (the oracle was exercised)');
  t.ok(heapGrowthMb < 64, `heap stays bounded (+${heapGrowthMb.toFixed(1)} MiB)`);
}
