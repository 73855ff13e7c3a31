// The checks analyze() runs on the trusted view, one per catalogue area, in the order their findings are reported.
import { attrChecks } from './attr.js';
import { audienceChecks } from './audience.js';
import type { Check } from './context.js';
import { destChecks } from './dest.js';
import { irtChecks } from './irt.js';
import { issuerChecks } from './issuer.js';
import { nameIdChecks } from './nameid.js';
import { sigChecks } from './sig.js';
import { statusChecks } from './status.js';
import { timeChecks } from './time.js';
import { xmlChecks } from './xml.js';

export type { Check, CheckContext, TrustedView } from './context.js';

export const CHECKS: ReadonlyArray<readonly [area: string, check: Check]> = [
  ['XML', xmlChecks],
  ['STATUS', statusChecks],
  ['SIG', sigChecks],
  ['ISSUER', issuerChecks],
  ['DEST', destChecks],
  ['IRT', irtChecks],
  ['NAMEID', nameIdChecks],
  ['AUDIENCE', audienceChecks],
  ['TIME', timeChecks],
  ['ATTR', attrChecks],
];
