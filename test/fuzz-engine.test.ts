// Fuzzing the engine: the fuzzer's own checks (reproducible, can fail) and the first quarter of the budget (5,000 mutants, seed 20260115).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { buildCase, inputHash, seedIdentities } from '../src/fuzz/campaign.js';
import { documentIdentity, identityDiff, judge } from '../src/fuzz/oracle.js';
import { caseRng, xorshift32 } from '../src/fuzz/prng.js';
import { elementSpan, join, tokenize } from '../src/fuzz/xml-tokens.js';
import { fuzzAnalyzeOptions, fuzzCorpus } from '../scripts/fuzz.js';
import { fuzzBudget } from './fuzz-budget.js';

const opts = fuzzAnalyzeOptions();
const seeds = fuzzCorpus();

t.test('the PRNG and every case are reproducible from (seed, case index)', async (t) => {
  const a = xorshift32(42); const b = xorshift32(42);
  const xs = Array.from({ length: 5 }, () => a.next());
  t.same(Array.from({ length: 5 }, () => b.next()), xs);
  t.not(caseRng(1, 0).next(), caseRng(1, 1).next(), 'neighbouring cases diverge');
  for (const i of [0, 17, 9999]) {
    const c1 = buildCase(seeds, 7, i); const c2 = buildCase(seeds, 7, i);
    t.same(c1.mutations, c2.mutations);
    t.equal(inputHash(c1.input), inputHash(c2.input), `case ${i} is byte-identical`);
  }
});

t.test('the tokenizer is lossless and finds whole elements', async (t) => {
  for (const s of seeds) t.equal(join(tokenize(s.xml)), s.xml, s.name);
  const tokens = tokenize('<a><b x="1">t</b><c/></a>');
  t.same(elementSpan(tokens, 0), [0, 5]);
  t.same(elementSpan(tokens, 1), [1, 3]);
  t.same(elementSpan(tokens, 4), [4, 4]);
});

t.test('the oracle flags an accept with another identity and a thrown error (it can fail)', async (t) => {
  const ids = await seedIdentities(seeds, opts);
  const original = ids.get('response.assertion-signed.xml')!;
  const bob = ids.get('built:response-signed.bob')!;
  // bob's valid response judged as if it were a mutant of alice's: an accept with another identity
  const j = await judge(seeds.find((s) => s.name === 'built:response-signed.bob')!.xml, original, { analyze: opts });
  t.equal(j.verdict, 'accept');
  t.equal(j.failure?.kind, 'identity');
  t.match(j.failure?.detail ?? '', /nameId/);
  t.ok(identityDiff(original, bob).length > 0);
  // leaving out the optional unsigned Destination is allowed; changing it is not
  t.same(identityDiff(original, { ...original, destination: null }), []);
  t.equal(identityDiff(original, { ...original, destination: 'https://evil.example/' }).length, 1);
  // the document view reads what a plain SP would read
  t.equal(documentIdentity(seeds[0].xml)?.nameId, 'alice@contoso.example');
  // a throw is a failure, not a crash of the fuzzer
  const thrown = await judge(seeds[0].xml, original, { analyze: { ...opts, metadata: null as never } });
  t.equal(thrown.failure?.kind, 'throw');
  // an unchanged seed is accepted with no failure
  const ok = await judge(seeds[0].xml, original, { analyze: opts });
  t.same([ok.verdict, ok.failure], ['accept', null]);
});

t.test('fuzz budget: 5,000 mutants of valid responses, seed 20260115', async (t) => {
  await fuzzBudget(t, 20260115, 5_000);
});

t.test('the fuzz corpus starts from the valid fixtures', async (t) => {
  t.equal(seeds[0].xml, readFileSync('fixtures/responses/valid/response.assertion-signed.xml', 'utf8'));
  t.equal(seeds.length, 6);
});
