// Replays every input the fuzzer ever failed on (fixtures/fuzz-regressions/): each judged exactly as its README line says.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedIdentities } from '../src/fuzz/campaign.js';
import { judge } from '../src/fuzz/oracle.js';
import { fuzzAnalyzeOptions, fuzzCorpus, REGRESSIONS_DIR } from '../scripts/fuzz.js';

interface Entry { file: string; expect: 'accept' | 'reject'; seedInput: string; line: string }

function readme(): Entry[] {
  const text = readFileSync(join(REGRESSIONS_DIR, 'README.md'), 'utf8');
  const out: Entry[] = [];
  for (const line of text.split('\n')) {
    const m = /^- (\S+\.xml) expect=(accept|reject) .*seedInput=(\S+)/.exec(line);
    if (m) out.push({ file: m[1], expect: m[2] as Entry['expect'], seedInput: m[3], line });
  }
  return out;
}

const opts = fuzzAnalyzeOptions();
const entries = readme();
const files = readdirSync(REGRESSIONS_DIR).filter((f) => f.endsWith('.xml')).sort();

t.test('every regression fixture has exactly one README line and every line its file', async (t) => {
  t.ok(files.length > 0, 'there are regression fixtures');
  t.same(entries.map((e) => e.file).sort(), files);
});

t.test('each regression input is judged as its README line says, within the bound, with the original identity', async (t) => {
  const ids = await seedIdentities(fuzzCorpus(), opts);
  for (const e of entries) {
    const original = ids.get(e.seedInput);
    t.ok(original, `${e.file}: its seed input ${e.seedInput} exists`);
    if (!original) continue;
    const j = await judge(readFileSync(join(REGRESSIONS_DIR, e.file)), original, { analyze: opts });
    t.equal(j.failure, null, `${e.file}: no oracle failure (${j.failure?.kind ?? ''})`);
    t.equal(j.verdict, e.expect, `${e.file}: ${e.expect} [${j.codes.slice(0, 3).join(', ')}]`);
  }
});
