// House contracts: the findings catalogue (stable codes, README table in step) and the pure analysis core's import boundary.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { CATALOGUE, FINDING_CODES } from '../src/saml/index.js';

t.test('finding codes are SAML_<AREA>_<PROBLEM> with a known area, a severity, a title and a remedy', async (tt) => {
  const areas = ['DECODE', 'XML', 'META', 'SIG', 'STATUS', 'ISSUER', 'AUDIENCE', 'DEST', 'TIME', 'IRT', 'NAMEID', 'ATTR', 'REPLAY', 'FLEET', 'IDP', 'ENTRA'];
  for (const code of FINDING_CODES) {
    const m = /^SAML_([A-Z]+)_[A-Z0-9_]+$/.exec(code);
    tt.ok(m && areas.includes(m[1]), `${code} has a known area`);
    const e = CATALOGUE[code];
    tt.ok(['error', 'warning', 'info'].includes(e.severity), `${code} severity`);
    tt.ok(e.title.length > 5 && e.remedy.length > 20, `${code} title and remedy`);
  }
});

t.test('README lists exactly the catalogue, with the same severities', async (tt) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const rows = [...readme.matchAll(/^\| `(SAML_[A-Z0-9_]+)` \| (error|warning|info) \|/gm)].map((m) => [m[1], m[2]]);
  tt.same(rows.map((r) => r[0]).sort(), [...FINDING_CODES].sort(), 'same codes');
  for (const [code, sev] of rows) tt.equal(sev, CATALOGUE[code as keyof typeof CATALOGUE].severity, `${code} severity in README`);
});

t.test('src/saml and src/fleet are pure: no HTTP, file system, process environment or wall clock', async (tt) => {
  for (const [folder, min] of [['../src/saml/', 8], ['../src/fleet/', 5]] as const) {
  const dir = new URL(folder, import.meta.url);
  const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
  tt.ok(files.length >= min, `${folder}: ${files.length} files`);
  for (const f of files) {
    const src = readFileSync(new URL(f, dir), 'utf8');
    tt.notMatch(src, /from ['"](node:)?(fs|fs\/promises|http|https|net|child_process|undici)['"]/, `${f}: no I/O imports`);
    tt.notMatch(src, /process\.env|process\.argv|Date\.now\(\)|new Date\(\)/, `${f}: no environment or wall clock`);
  }
  }
});
