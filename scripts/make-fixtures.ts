// Writes fixtures/metadata/test-idp.xml and fixtures/responses/{valid,invalid}/* from scripts/fixture-cases.ts (deterministic).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { INVALID_CASES, VALID_CASES, fixtureMetadata } from './fixture-cases.js';

const root = join(import.meta.dirname, '..', 'fixtures');
const write = (rel: string, text: string) => { const p = join(root, rel); mkdirSync(dirname(p), { recursive: true }); writeFileSync(p, text); };
write('metadata/test-idp.xml', fixtureMetadata());
for (const c of [...VALID_CASES, ...INVALID_CASES]) write('responses/' + c.file, c.build());
console.log(`wrote fixtures/metadata/test-idp.xml and ${VALID_CASES.length + INVALID_CASES.length} response fixtures`);
