// Entra AADSTS error codes: meaning and the remedy an admin applies (from shared/ENTRA.md).
const APP = 'Entra admin center → Enterprise applications → (the Fleet app) →';

export interface AadstsEntry { meaning: string; remedy: string }

export const AADSTS: Record<string, AadstsEntry> = {
  '700016': { meaning: 'no application with that Identifier in the tenant (AuthnRequest Issuer ≠ Identifier)', remedy: `${APP} Single sign-on → Basic SAML Configuration → Identifier (Entity ID) = Fleet's entity_id exactly (e.g. fleet).` },
  '50011': { meaning: 'the reply URL (ACS URL) in the request is not registered for the app', remedy: `${APP} Single sign-on → Basic SAML Configuration → Reply URL = the exact ACS URL (scheme, host, port and path).` },
  '900971': { meaning: 'no reply address is registered', remedy: `${APP} Single sign-on → Basic SAML Configuration → add a Reply URL and mark it Default.` },
  '750054': { meaning: 'GET /saml2 without a SAMLRequest', remedy: `${APP} Single sign-on → Basic SAML Configuration → Sign on URL must be Fleet's login page, not Entra's.` },
  '75005': { meaning: 'not a valid SAML 2.0 message', remedy: 'The SP sent a broken AuthnRequest (encoding problem on the SP side).' },
  '7500529': { meaning: 'the request ID is not a valid SAML ID (starts with a digit)', remedy: 'SP-side: request IDs must not start with a digit (Fleet uses "id-…").' },
  '75003': { meaning: 'a binding other than HTTP-POST was requested', remedy: 'SP-side: ProtocolBinding must be HTTP-POST.' },
  '75011': { meaning: 'the requested authentication context does not match how the user signed in', remedy: 'SP-side: drop RequestedAuthnContext from the AuthnRequest.' },
  '75006': { meaning: 'the request contains an element Entra does not support', remedy: 'SP-side: remove the unsupported element (Subject, Scoping with IDPList, an unsupported NameIDPolicy format).' },
  '90011': { meaning: 'a request parameter is not supported', remedy: 'SP-side: remove the unsupported element from the AuthnRequest.' },
  '900236': { meaning: 'the request has an unsupported NameIDPolicy or element', remedy: 'SP-side: use a NameIDPolicy format Entra supports (emailAddress, persistent, unspecified, transient).' },
  '50058': { meaning: 'silent sign-in requested but the user has no session', remedy: 'Retry without IsPassive (the user must sign in interactively).' },
  '76021': { meaning: 'the app requires signed requests and Fleet cannot sign', remedy: `${APP} Single sign-on → SAML Certificates → Verification certificates → turn off "Require verification certificates".` },
  '50105': { meaning: 'the user is not assigned to the application', remedy: `${APP} Users and groups → Add user/group (nested groups do not count), or Properties → Assignment required? = No.` },
  '53003': { meaning: 'blocked by Conditional Access', remedy: 'Entra admin center → Monitoring → Sign-in logs → the failed sign-in → Conditional Access tab: adjust the policy or the device.' },
  '50020': { meaning: 'the user belongs to another tenant', remedy: 'Invite the user as a guest into this tenant, or sign in with an account of the right tenant.' },
  '50034': { meaning: 'the user account does not exist in this tenant', remedy: 'Sign in with an existing account of this tenant, or create / invite the user.' },
  '501241': { meaning: 'the NameID source attribute is empty for this user', remedy: `${APP} Single sign-on → Attributes & Claims → Unique User Identifier: choose a source attribute the user has (user.userprincipalname).` },
  '50003': { meaning: 'no signing certificate is configured', remedy: `${APP} Single sign-on → SAML Certificates → New Certificate → Make certificate active.` },
  '50146': { meaning: 'no valid signing certificate', remedy: `${APP} Single sign-on → SAML Certificates → New Certificate → Make certificate active.` },
  '7000112': { meaning: 'the application is disabled', remedy: `${APP} Properties → Enabled for users to sign in? = Yes.` },
};

/** All AADSTS codes in a message, in order of appearance. */
export function extractAadsts(message: string | null): string[] {
  if (!message) return [];
  return [...message.matchAll(/AADSTS(\d{4,8})/g)].map((m) => m[1]);
}

export interface ExplainedAadsts {
  code: string;
  /** null: a code samlscope's table does not hold */
  meaning: string | null;
  remedy: string | null;
}

/** Every AADSTS code in a pasted Entra error text (or just a code), each with its meaning and remedy when known. */
export function explainAadsts(text: string): ExplainedAadsts[] {
  const codes = [...new Set(extractAadsts(text.slice(0, 20_000)).concat(/^\s*(\d{5,8})\s*$/.exec(text)?.[1] ?? []))];
  return codes.map((code) => ({ code, meaning: AADSTS[code]?.meaning ?? null, remedy: AADSTS[code]?.remedy ?? null }));
}
