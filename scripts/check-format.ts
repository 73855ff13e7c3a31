// The layout every hand-written file already keeps (LF, a final newline, no trailing blanks, no tabs), checked without rewriting anything.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
/** hand-written text; fixtures/ and certs/ are generated and checked byte for byte by their own tests */
const DIRS = ['src', 'test', 'bench', 'scripts', 'bin', 'docs', '.ci'];
const TOP = ['README.md', 'SECURITY.md', 'package.json', 'biome.json', 'tsconfig.json', 'tsconfig.build.json', '.taprc', '.gitignore'];
const TEXT = /\.(ts|mts|mjs|js|json|md|sh|lua|py|ya?ml)$|^\.ci\/[^.]+$/;

function files(): string[] {
  const out = TOP.map((f) => join(ROOT, f));
  for (const d of DIRS) {
    for (const e of readdirSync(join(ROOT, d), { recursive: true, withFileTypes: true })) {
      const p = join(e.parentPath, e.name);
      if (e.isFile() && TEXT.test(relative(ROOT, p))) out.push(p);
    }
  }
  return out;
}

const problems: string[] = [];
for (const f of files()) {
  const text = readFileSync(f, 'utf8');
  const name = relative(ROOT, f);
  if (text.length > 0 && !text.endsWith('\n')) problems.push(`${name}: no newline at the end`);
  text.split('\n').forEach((line, i) => {
    if (line.endsWith('\r')) problems.push(`${name}:${i + 1}: CRLF line ending`);
    else if (/[ \t]$/.test(line)) problems.push(`${name}:${i + 1}: trailing whitespace`);
    if (line.includes('\t')) problems.push(`${name}:${i + 1}: tab (indent with spaces)`);
  });
}
if (problems.length > 0) {
  process.stderr.write(`format: ${problems.length} problem(s)\n${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`format: ${files().length} files keep LF, a final newline, no trailing whitespace, no tabs\n`);
