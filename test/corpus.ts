// Whether ../shared (the public corpus: real Entra documents, peer-library vectors) is beside this clone: the one decision every test that reads it uses.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** the corpus folder, a sibling of the repository (CI lays it there; .ci/run refuses to start without it) */
export const CORPUS_DIR = fileURLToPath(new URL('../../shared/', import.meta.url));

/** a path inside the corpus, e.g. corpusPath('samples/entra/') */
export const corpusPath = (p: string): string => CORPUS_DIR + p;

/**
 * tap's `skip` option for a test that reads the corpus: false when the folder is there, otherwise the reason, which
 * names the missing folder (a plain clone still passes; the skip is visible in tap's summary).
 */
export const corpusSkip: false | string = existsSync(CORPUS_DIR)
  ? false
  : `../shared (the public corpus) is not beside this clone: ${CORPUS_DIR} is missing`;
