// Prints README's table of finding codes from the catalogue (node --import tsx scripts/findings-table.ts).
import { CATALOGUE, FINDING_CODES } from '../src/saml/findings.js';

console.log('| code | severity | what it means |');
console.log('|---|---|---|');
for (const c of FINDING_CODES) console.log(`| \`${c}\` | ${CATALOGUE[c].severity} | ${CATALOGUE[c].title.replace(/\|/g, '\\|')} |`);
