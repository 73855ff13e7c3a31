// `npm run fuzz -- --cases N --seed S`: a long mutation-fuzzing run of the engine; failures become regression fixtures.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeFailure, runFuzz, type FuzzFailure, type SeedInput } from '../src/fuzz/campaign.js';
import { parseMetadata, type AnalyzeOptions } from '../src/saml/index.js';
import { FIXTURE_PARAMS, validResponse } from './fixture-cases.js';

const root = join(import.meta.dirname, '..');
export const REGRESSIONS_DIR = join(root, 'fixtures', 'fuzz-regressions');

/** The engine options every fuzz case is judged with: the fixture metadata and FIXTURE_PARAMS. */
export function fuzzAnalyzeOptions(): AnalyzeOptions {
  return { metadata: parseMetadata(readFileSync(join(root, 'fixtures', 'metadata', 'test-idp.xml'), 'utf8')), ...FIXTURE_PARAMS };
}

/** Valid responses to mutate: the valid XML fixtures plus built variants (signed both ways with SHA-1, another user). */
export function fuzzCorpus(): SeedInput[] {
  const dir = join(root, 'fixtures', 'responses', 'valid');
  const files = ['response.assertion-signed.xml', 'response.response-signed.xml', 'response.both-signed.xml', 'response.assertion-signed.sha1.xml'];
  return [
    ...files.map((f) => ({ name: f, xml: readFileSync(join(dir, f), 'utf8') })),
    { name: 'built:both-signed.sha1', xml: validResponse({ signing: 'both', algorithm: 'sha1' }) },
    { name: 'built:response-signed.bob', xml: validResponse({ signing: 'response', nameId: 'bob@contoso.example', ids: { response: '_2b2c3d4e-0000-4000-8000-000000000001', assertion: '_2b2c3d4e-0000-4000-8000-000000000002' } }) },
  ];
}

/** What a fixed engine should say about a failure's input: an identity change or a hang on a mutant is a reject. */
function expectedVerdict(f: FuzzFailure): 'accept' | 'reject' {
  return f.failure.kind === 'throw' && f.verdict === 'accept' ? 'accept' : 'reject';
}

/** Saves the input as fixtures/fuzz-regressions/<hash>.xml and adds its README line (once). */
export function writeRegression(f: FuzzFailure, dir = REGRESSIONS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = `${f.hash}.xml`;
  writeFileSync(join(dir, file), f.input);
  const readme = join(dir, 'README.md');
  const existing = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
  if (!existing.includes(`- ${file} `)) {
    appendFileSync(readme, `- ${file} expect=${expectedVerdict(f)} seed=${f.seed} case=${f.index} seedInput=${f.seedName} mutations=${f.mutations.join('+')} found=${f.failure.kind}\n`);
  }
  return file;
}

function parseArgs(argv: string[]): { cases: number; seed: number; start: number } {
  const get = (name: string, def: number) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return def;
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} needs a non-negative integer`);
    return v;
  };
  return { cases: get('cases', 100_000), seed: get('seed', Date.now() % 0x7fffffff), start: get('start', 0) };
}

async function main(): Promise<void> {
  const { cases, seed, start } = parseArgs(process.argv.slice(2));
  console.log(`fuzz: seed=${seed} cases=${cases} start=${start} (repeat with --seed ${seed})`);
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const stats = await runFuzz({
    seeds: fuzzCorpus(), seed, cases, start, analyze: fuzzAnalyzeOptions(),
    onFailure: (f) => { writeRegression(f); console.log(describeFailure(f)); },
  });
  const secs = (performance.now() - t0) / 1000;
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1048576;
  console.log(`fuzz: ${stats.cases} cases in ${secs.toFixed(1)} s; accepted ${stats.accepted}, rejected ${stats.rejected}, errors ${stats.errors}; slowest ${stats.maxMs.toFixed(1)} ms CPU (case ${stats.maxMsCase}); heap +${heapMb.toFixed(1)} MiB`);
  console.log(`fuzz: accepted mutants by mutation: ${JSON.stringify(stats.acceptedBy)}`);
  console.log(`fuzz: ${stats.failures.length} failure(s)${stats.failures.length ? ' written to fixtures/fuzz-regressions/' : ''}`);
  process.exitCode = stats.failures.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
