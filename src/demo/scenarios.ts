// The demo's cast as data: who is who in Fleet and Entra, and what each scenario is expected to show.
import type { FaultName } from '../idp/faults.js';
import type { FindingCode } from '../saml/findings.js';
import type { FleetSimUser } from '../fleet-sim/server.js';

/**
 * Fleet's entity ID in the demo: `fleet`, as in Fleet's own setup guide. Entra returns it unchanged as the Audience
 * (ENTRA.md); the fixture app already has this Identifier.
 */
export const DEMO_ENTITY_ID = 'fleet';

export interface DemoUser {
  email: string;
  /** has a Fleet account with SSO enabled */
  fleetUser: boolean;
  /** assigned to the Fleet app in (mock) Entra */
  entraAssigned: boolean;
  /** what happens when this user logs in */
  expect: 'success' | 'AADSTS50105' | 'account_invalid';
  story: string;
}

export const DEMO_USERS: readonly DemoUser[] = [
  { email: 'alice@contoso.example', fleetUser: true, entraAssigned: true, expect: 'success', story: 'assigned in Entra, SSO-enabled Fleet user: logs in' },
  { email: 'bob@contoso.example', fleetUser: true, entraAssigned: false, expect: 'AADSTS50105', story: 'a Fleet user, but not assigned to the app in Entra: Entra refuses him (AADSTS50105) and never posts to Fleet' },
  { email: 'carol@contoso.example', fleetUser: false, entraAssigned: true, expect: 'account_invalid', story: 'assigned in Entra, valid SAML, but no Fleet user (Fleet Free has no JIT): Fleet answers account_invalid' },
];

/** Fleet's users in the demo (fleet-sim). */
export function demoFleetUsers(): FleetSimUser[] {
  return DEMO_USERS.filter((u) => u.fleetUser).map((u) => ({ email: u.email, ssoEnabled: true }));
}

export interface DemoScenario {
  /** stable id used in the landing page's /start?scenario= */
  id: string;
  label: string;
  user: string;
  fault?: FaultName;
  /** the login outcome: success, Fleet's status=..., or an AADSTS page */
  expect: 'success' | 'error' | 'account_invalid' | 'AADSTS50105';
  /** the finding the proxy's diagnosis shows, when the callback reaches it */
  code?: FindingCode;
  story: string;
}

export const DEMO_SCENARIOS: readonly DemoScenario[] = [
  { id: 'alice', label: 'Log in as alice', user: 'alice@contoso.example', expect: 'success', story: DEMO_USERS[0].story },
  { id: 'bob', label: 'Log in as bob', user: 'bob@contoso.example', expect: 'AADSTS50105', story: DEMO_USERS[1].story },
  { id: 'carol', label: 'Log in as carol', user: 'carol@contoso.example', expect: 'account_invalid', code: 'SAML_FLEET_ACCOUNT_INVALID', story: DEMO_USERS[2].story },
  { id: 'wrong-audience', label: 'Fault: wrong audience', user: 'alice@contoso.example', fault: 'wrong-audience', expect: 'error', code: 'SAML_AUDIENCE_MISMATCH', story: "Entra's Identifier differs from Fleet's entity ID" },
  { id: 'spn-audience', label: 'Fault: spn: audience', user: 'alice@contoso.example', fault: 'spn-audience', expect: 'error', code: 'SAML_AUDIENCE_SPN_PREFIX', story: 'Audience spn:fleet instead of fleet: Entra adds spn: when Fleet\'s entity ID is the app ID GUID, and some older tenants add it to any Identifier that is not a URI' },
  { id: 'expired', label: 'Fault: expired', user: 'alice@contoso.example', fault: 'expired', expect: 'error', code: 'SAML_TIME_EXPIRED', story: 'a response held back or replayed two hours later' },
  { id: 'unknown-key', label: 'Fault: unknown key', user: 'alice@contoso.example', fault: 'unknown-key', expect: 'error', code: 'SAML_SIG_UNTRUSTED_KEY', story: 'signed by a certificate that is not in the metadata Fleet holds' },
];

export function findScenario(id: string): DemoScenario | undefined {
  return DEMO_SCENARIOS.find((s) => s.id === id);
}
