// Valid SSO callbacks for the benchmarks, made as the mock IdP makes a sign-in (fixtures/idp/fleet.json's Fleet app and alice,
// signed by the TEST-ONLY key in certs/), and the IdP metadata that trusts them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findUser, parseConfig } from '../src/idp/config.js';
import { buildFaultedResponse } from '../src/idp/faults.js';
import { loadTestKeys } from '../src/idp/keys.js';
import { buildEntraMetadata } from '../src/idp/response.js';
import { responseSpecFor } from '../src/idp/signin.js';

const parsed = parseConfig(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'idp', 'fleet.json'), 'utf8'));
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
const config = parsed.config;
const app = config.apps[0];
const alice = findUser(config, 'alice@contoso.example');
if (!alice) throw new Error('fixtures/idp/fleet.json: no alice@contoso.example');
const user = alice;
const keys = loadTestKeys();

/** The mock tenant's federation metadata with the signing cert, as Entra serves it (signed, BOM, one line). */
export function benchIdpMetadata(): string {
  return buildEntraMetadata({ tenantId: config.tenantId, baseUrl: 'https://login.microsoftonline.example', certsPem: [keys.signing.certPem], signingKey: keys.signing });
}

/**
 * One IdP-initiated sign-in of alice for the ACS URL, issued now, base64 as the form carries it. Every call is a new
 * assertion (fresh IDs and IssueInstant), so replay detection never short-circuits a callback.
 */
export function validSamlResponse(acsUrl: string): string {
  const spec = responseSpecFor({ tenantId: config.tenantId, app, user, identifier: app.identifiers[0], acsUrl, now: new Date(), key: keys.signing });
  return Buffer.from(buildFaultedResponse(spec, null, keys).xml, 'utf8').toString('base64');
}

/** The urlencoded form body of a callback. */
export function callbackForm(samlResponse: string): string {
  return 'SAMLResponse=' + encodeURIComponent(samlResponse);
}

/** n distinct valid SAMLResponses, and how long signing them took (RSA-SHA256 + exclusive c14n: milliseconds each). */
export function validSamlResponses(n: number, acsUrl: string): { responses: string[]; ms: number } {
  const t0 = performance.now();
  const responses = Array.from({ length: n }, () => validSamlResponse(acsUrl));
  return { responses, ms: performance.now() - t0 };
}
