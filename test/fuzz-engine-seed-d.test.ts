// Fuzzing the engine: one quarter of the suite's 20,000-mutant budget (5,000 mutants, seed 90210); four files so each stays short and tap runs them in parallel.
import t from 'tap';
import { fuzzBudget } from './fuzz-budget.js';

t.test('fuzz budget: 5,000 mutants of valid responses, seed 90210', async (t) => {
  await fuzzBudget(t, 90210, 5_000);
});
