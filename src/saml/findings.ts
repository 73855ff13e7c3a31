// The findings catalogue: every stable code samlscope reports, with severity, title and default remedy.
// Codes are never renamed or reused. README's table is tested against this file (test/findings-catalogue.test.ts).

export type Severity = 'error' | 'warning' | 'info';

interface CatalogueEntry {
  readonly severity: Severity;
  readonly title: string;
  readonly remedy: string;
}

const ENTRA_SSO = 'Entra admin center → Enterprise applications → (the Fleet app) → Single sign-on';

export const CATALOGUE = {
  // --- DECODE: getting the SAML message out of what was posted or pasted
  SAML_DECODE_EMPTY: {
    severity: 'error',
    title: 'No SAML message in the input',
    remedy: 'Pass the SAMLResponse value, the urlencoded form body, the raw XML or a HAR file that contains the POST to /api/v1/fleet/sso/callback.',
  },
  SAML_DECODE_BASE64_INVALID: {
    severity: 'error',
    title: 'SAMLResponse is not valid base64',
    remedy: 'Fleet decodes SAMLResponse with standard base64 and answers HTTP 400 otherwise. Copy the value unmodified (URL-decode it once if it came from a form body); something between Entra and Fleet is altering the POST body.',
  },
  SAML_DECODE_DEFLATED_IN_POST: {
    severity: 'error',
    title: 'SAMLResponse is DEFLATE-compressed in a POST',
    remedy: 'The HTTP-POST binding carries plain base64 XML; DEFLATE belongs to the Redirect binding. The sender is not Entra or is misconfigured.',
  },
  SAML_DECODE_TOO_LARGE: {
    severity: 'error',
    title: 'SAML message larger than the allowed size',
    remedy: 'Fleet refuses SSO callback bodies over 256 KiB (HTTP 413, before any SAML check). Entra responses are a few KiB: remove group claims that emit hundreds of values (Attributes & Claims → groups claim → "Groups assigned to the application") or look for a tampered body.',
  },
  SAML_DECODE_NOT_XML: {
    severity: 'error',
    title: 'Decoded SAMLResponse is not XML',
    remedy: 'The field decodes to something other than an XML document. Check that the right field was captured and that nothing re-encodes the body.',
  },
  SAML_DECODE_HAR_NO_CALLBACK: {
    severity: 'error',
    title: 'HAR file has no SAML callback POST',
    remedy: 'Record the HAR with "Preserve log" on, from clicking SSO login until Fleet shows its answer; the POST to /api/v1/fleet/sso/callback must be in it.',
  },
  SAML_DECODE_FORM_DUPLICATE_FIELD: {
    severity: 'error',
    title: 'Form body has more than one SAMLResponse field',
    remedy: 'A legitimate IdP posts exactly one SAMLResponse. Two fields let different parsers read different messages: treat the request as hostile.',
  },
  SAML_DECODE_INFLATE_FAILED: {
    severity: 'error',
    title: 'SAMLRequest could not be inflated',
    remedy: 'The Redirect binding carries raw DEFLATE, base64 and URL-escaped. Fleet produces this itself; a broken value usually means the URL was truncated or edited.',
  },

  // --- XML: the document itself
  SAML_XML_MALFORMED: {
    severity: 'error',
    title: 'SAML message is not well-formed XML',
    remedy: 'The document was damaged in transit or hand-edited. Capture it again unmodified.',
  },
  SAML_XML_DTD_FORBIDDEN: {
    severity: 'error',
    title: 'Document type declaration or entity in a SAML message',
    remedy: 'SAML never uses DTDs or entities; Fleet refuses them. This is an XXE or entity-expansion attack or a broken sender.',
  },
  SAML_XML_PI_FORBIDDEN: {
    severity: 'error',
    title: 'Processing instruction in a SAML message',
    remedy: 'Only the XML declaration may appear. Other processing instructions (xml-stylesheet ...) have no place in SAML: treat the message as hostile.',
  },
  SAML_XML_TOO_DEEP: {
    severity: 'error',
    title: 'XML nesting deeper than allowed',
    remedy: 'Fleet refuses documents nested deeper than 100 elements. Entra responses are about 8 deep: treat the message as hostile.',
  },
  SAML_XML_TOO_MANY_ELEMENTS: {
    severity: 'error',
    title: 'XML has more elements than allowed',
    remedy: 'Fleet refuses documents with more than 5000 elements. Reduce group claims in Entra (Attributes & Claims → groups claim) or treat the message as hostile.',
  },
  SAML_XML_NOT_RESPONSE: {
    severity: 'error',
    title: 'Root element is not a SAML 2.0 Response',
    remedy: 'Fleet expects samlp:Response in the urn:oasis:names:tc:SAML:2.0:protocol namespace. Check that the IdP is configured for SAML 2.0 (not WS-Federation) and that the right field was captured.',
  },
  SAML_XML_DUPLICATE_ID: {
    severity: 'error',
    title: 'Two elements share one ID',
    remedy: 'Duplicate IDs let a signature cover one element while another is read (signature wrapping). Entra never sends them: treat the message as hostile.',
  },
  SAML_XML_NO_ASSERTION: {
    severity: 'error',
    title: 'Response has no assertion',
    remedy: 'A successful response carries one Assertion. Look at the status finding for why Entra sent none.',
  },
  SAML_XML_MULTIPLE_ASSERTIONS: {
    severity: 'error',
    title: 'Response has more than one assertion',
    remedy: 'Entra sends exactly one Assertion. Several let a validator verify one and read another (signature wrapping): treat the message as hostile.',
  },
  SAML_XML_NESTED_ASSERTION: {
    severity: 'error',
    title: 'Assertion hidden inside another element',
    remedy: 'An Assertion inside Advice, Extensions, SubjectConfirmationData or a Signature is a classic signature-wrapping vector. Entra never sends one: treat the message as hostile.',
  },
  SAML_XML_ENCRYPTED_ASSERTION: {
    severity: 'error',
    title: 'Assertion is encrypted; Fleet cannot decrypt it',
    remedy: `Fleet has no SP key and rejects every encrypted assertion. ${ENTRA_SSO} → Token encryption: deactivate the certificate.`,
  },
  SAML_XML_COMMENT_IN_SIGNED_CONTENT: {
    severity: 'error',
    title: 'Comment or split text inside a signed value',
    remedy: 'Exclusive canonicalization drops comments, so "admin@example.com<!---->.evil" verifies while naive parsers read a different user (CVE-2018-7340 class). Entra never sends comments: treat the message as hostile.',
  },

  SAML_XML_DUPLICATE_ELEMENT: {
    severity: 'error',
    title: 'An element that occurs once appears twice',
    remedy: 'Two NameIDs, Subjects, Issuers, Conditions or Audiences let one signed document name two users: samlscope reads the first, Fleet\'s Go unmarshalling reads the last (the fleet field of the report says which one Fleet would sign in). Entra never sends them: treat the message as hostile.',
  },

  // --- META: the IdP metadata samlscope and Fleet trust
  SAML_META_NO_SIGNING_CERT: {
    severity: 'error',
    title: 'IdP metadata has no signing certificate',
    remedy: `Use the "App Federation Metadata Url" from ${ENTRA_SSO} → SAML Certificates; it lists the app's signing certificate in an IDPSSODescriptor.`,
  },
  SAML_META_NO_REDIRECT_SSO: {
    severity: 'error',
    title: 'IdP metadata has no HTTP-Redirect SingleSignOnService',
    remedy: 'Fleet sends its AuthnRequest to the first HTTP-Redirect SingleSignOnService. Entra metadata always has one at https://login.microsoftonline.com/{tenant}/saml2: use the App Federation Metadata Url.',
  },
  SAML_META_CERT_UNPARSEABLE: {
    severity: 'warning',
    title: 'A metadata certificate cannot be parsed',
    remedy: 'Re-download the App Federation Metadata; a certificate pasted by hand may have lost characters.',
  },
  SAML_META_CERT_EXPIRING: {
    severity: 'warning',
    title: 'A metadata signing certificate expires soon',
    remedy: `${ENTRA_SSO} → SAML Certificates → New Certificate, make it active, then update Fleet's metadata (or use metadata_url so Fleet follows the rollover).`,
  },
  SAML_META_CERT_EXPIRED: {
    severity: 'warning',
    title: 'A metadata signing certificate has expired',
    remedy: `Entra keeps signing with an expired active certificate and Fleet rejects it. ${ENTRA_SSO} → SAML Certificates → New Certificate → Make certificate active, then update Fleet's metadata.`,
  },
  SAML_META_UNREACHABLE: {
    severity: 'error',
    title: 'IdP metadata could not be fetched',
    remedy: `Fleet fetches metadata_url each time a login starts (5 s timeout, no cache) and the login fails when it cannot. Use the "App Federation Metadata Url" from ${ENTRA_SSO} → SAML Certificates, make sure the Fleet server can reach it (DNS, firewall, outbound proxy), or paste the metadata XML into Fleet's Settings → Integrations → Single sign-on instead.`,
  },
  SAML_META_UNPARSEABLE: {
    severity: 'error',
    title: 'IdP metadata is not usable SAML 2.0 IdP metadata',
    remedy: `Fleet needs an EntityDescriptor with an IDPSSODescriptor. Download the "Federation Metadata XML" (or use the App Federation Metadata Url) from ${ENTRA_SSO} → SAML Certificates; not the WS-Federation or OpenID document, not an HTML sign-in page.`,
  },
  SAML_META_NO_VALID_CERT: {
    severity: 'error',
    title: 'No metadata signing certificate is valid now',
    remedy: `Fleet enforces the signing certificate's validity, so every login will fail. ${ENTRA_SSO} → SAML Certificates → New Certificate → Make certificate active, then update Fleet's metadata (metadata_url follows the rollover by itself).`,
  },
  SAML_META_CERT_VALID: {
    severity: 'info',
    title: 'A metadata signing certificate is valid',
    remedy: `Nothing to do now. Entra warns 60, 30 and 7 days before expiry: plan the rollover in ${ENTRA_SSO} → SAML Certificates (New Certificate, make it active, update Fleet's metadata).`,
  },

  // --- SIG: XML signatures and the keys behind them
  SAML_SIG_MISSING: {
    severity: 'error',
    title: 'Neither the Response nor the Assertion is signed',
    remedy: `Fleet needs the Response or every Assertion signed. ${ENTRA_SSO} → SAML Certificates → Edit → Signing Option: "Sign SAML assertion" (default) or "Sign SAML response and assertion". An unsigned success response may also be forged.`,
  },
  SAML_SIG_INVALID: {
    severity: 'error',
    title: 'Signature does not verify with any metadata certificate',
    remedy: `The response was signed by a key Fleet's metadata does not hold: usually the app's certificate rolled over or Fleet holds the tenant metadata instead of the app's. Compare the thumbprint in ${ENTRA_SSO} → SAML Certificates with the metadata certificates, and paste the current App Federation Metadata into Fleet (Settings → Integrations → Single sign-on).`,
  },
  SAML_SIG_DIGEST_MISMATCH: {
    severity: 'error',
    title: 'Signed content changed after signing',
    remedy: 'The digest of the signed element does not match: the document was modified (re-formatted, edited or tampered with) after Entra signed it. Capture the original bytes; if they arrived like this, treat the message as hostile.',
  },
  SAML_SIG_UNTRUSTED_KEY: {
    severity: 'error',
    title: 'Signature carries a certificate that is not in the metadata',
    remedy: `Fleet trusts only certificates from the IdP metadata; a KeyInfo certificate must be byte-equal to one of them. Either the app certificate rolled over (update Fleet's metadata from ${ENTRA_SSO} → SAML Certificates) or someone signed with their own key.`,
  },
  SAML_SIG_REFERENCE_INVALID: {
    severity: 'error',
    title: 'Signature does not cover the element it sits in',
    remedy: 'An enveloped signature must have exactly one Reference, URI="#<ID of its parent>". Anything else lets a signature over one element vouch for another (signature wrapping): treat the message as hostile.',
  },
  SAML_SIG_TRANSFORM_FORBIDDEN: {
    severity: 'error',
    title: 'Signature uses a transform other than enveloped-signature and exclusive c14n',
    remedy: 'Entra uses enveloped-signature + exc-c14n only. XSLT, XPath or other transforms are attack vectors: treat the message as hostile.',
  },
  SAML_SIG_ALGORITHM_FORBIDDEN: {
    severity: 'error',
    title: 'Signature or digest algorithm not allowed',
    remedy: `Fleet accepts RSA or ECDSA with SHA-1/256/384/512 and nothing else (HMAC would let the public key act as a shared secret). ${ENTRA_SSO} → SAML Certificates → Edit → Signing Algorithm: SHA-256.`,
  },
  SAML_SIG_MALFORMED: {
    severity: 'error',
    title: 'Signature element is malformed',
    remedy: 'A Signature needs exactly one SignedInfo, one SignatureValue and one DigestValue without comments. Extra or altered parts are a known attack shape (CVE-2025-29774, CVE-2025-29775): treat the message as hostile.',
  },
  SAML_SIG_MULTIPLE_SIGNATURES: {
    severity: 'error',
    title: 'An element carries more than one signature',
    remedy: 'Entra places one Signature after the Issuer of the signed element. Several signatures on one element are a wrapping shape: treat the message as hostile.',
  },
  SAML_SIG_CERT_EXPIRED: {
    severity: 'error',
    title: 'Signing certificate has expired',
    remedy: `Fleet enforces the certificate's validity; Entra keeps signing with an expired active certificate. ${ENTRA_SSO} → SAML Certificates → New Certificate → Make certificate active, then update Fleet's metadata.`,
  },
  SAML_SIG_CERT_NOT_YET_VALID: {
    severity: 'error',
    title: 'Signing certificate is not yet valid',
    remedy: 'The certificate starts in the future at the time checked: check the clock of the Fleet server (NTP), or wait until its NotBefore.',
  },
  SAML_SIG_CERT_EXPIRING: {
    severity: 'warning',
    title: 'Signing certificate expires within 30 days',
    remedy: `${ENTRA_SSO} → SAML Certificates → New Certificate, make it active before the old one expires, then update Fleet's metadata.`,
  },
  SAML_SIG_SHA1: {
    severity: 'warning',
    title: 'Signed with SHA-1',
    remedy: `SHA-1 is deprecated. ${ENTRA_SSO} → SAML Certificates → Edit → Signing Algorithm: SHA-256.`,
  },

  // --- STATUS
  SAML_STATUS_NOT_SUCCESS: {
    severity: 'error',
    title: 'IdP answered with an error status',
    remedy: 'Entra refused the sign-in; the StatusMessage names an AADSTS code. Look it up in the Entra sign-in logs with the Trace ID.',
  },
  SAML_STATUS_MISSING: {
    severity: 'error',
    title: 'Response has no Status',
    remedy: 'Every SAML Response has a Status. The sender is not a conforming IdP.',
  },

  // --- ISSUER
  SAML_ISSUER_RESPONSE_MISMATCH: {
    severity: 'error',
    title: 'Response Issuer differs from the metadata entityID',
    remedy: 'Fleet requires the Issuer to equal the metadata entityID (https://sts.windows.net/{tenant}/ with the trailing slash). Paste the metadata of the tenant that actually answers into Fleet.',
  },
  SAML_ISSUER_ASSERTION_MISMATCH: {
    severity: 'error',
    title: 'Assertion Issuer differs from the metadata entityID',
    remedy: 'Fleet requires the Assertion Issuer to equal the metadata entityID (https://sts.windows.net/{tenant}/ with the trailing slash). Paste the metadata of the tenant that actually answers into Fleet.',
  },
  SAML_ISSUER_ASSERTION_MISSING: {
    severity: 'error',
    title: 'Assertion has no Issuer',
    remedy: 'SAML requires an Assertion Issuer and Fleet rejects assertions without one. The sender is not Entra.',
  },

  // --- AUDIENCE
  SAML_AUDIENCE_MISMATCH: {
    severity: 'error',
    title: 'Audience is not Fleet\'s entity ID',
    remedy: `Entra puts the app's Identifier into Audience. ${ENTRA_SSO} → Basic SAML Configuration → Identifier (Entity ID) must equal Fleet's Settings → Integrations → Single sign-on → Entity ID exactly.`,
  },
  SAML_AUDIENCE_SPN_PREFIX: {
    severity: 'error',
    title: 'Audience carries Entra\'s spn: prefix',
    remedy: `Entra sends as Audience the Identifier the AuthnRequest's Issuer named, and adds "spn:" when that Issuer is the app's application (client) ID GUID rather than one of its Identifiers; some older tenants also add it to an Identifier that is not a URI ("fleet" → "spn:fleet"). Fleet compares the Audience exactly. Set Fleet's Settings → Integrations → Single sign-on → Entity ID to a value listed in ${ENTRA_SSO} → Basic SAML Configuration → Identifier (Entity ID), never the application ID; if the tenant still prefixes a plain word such as "fleet", use a URI on both sides (e.g. https://fleet.example.com/saml).`,
  },
  SAML_AUDIENCE_MISSING: {
    severity: 'error',
    title: 'No Conditions or AudienceRestriction',
    remedy: 'Fleet requires an AudienceRestriction (CVE-2022-23600). Entra always sends one: the sender is not Entra.',
  },
  SAML_AUDIENCE_RESTRICTION_UNSATISFIED: {
    severity: 'error',
    title: 'An AudienceRestriction does not name Fleet',
    remedy: 'SAML requires every AudienceRestriction to be satisfied. One of them names other audiences only: the token was issued for another application.',
  },

  // --- DEST: Destination and Recipient
  SAML_DEST_MISMATCH: {
    severity: 'error',
    title: 'Destination is not Fleet\'s ACS URL',
    remedy: `Entra sets Destination to the Reply URL it used. ${ENTRA_SSO} → Basic SAML Configuration → Reply URL must be exactly Fleet's server_url + /api/v1/fleet/sso/callback (scheme, host, port, path) and marked Default; Fleet computes the ACS URL from server_url, not from the Host header.`,
  },
  SAML_DEST_MISSING: {
    severity: 'error',
    title: 'Signed Response has no Destination',
    remedy: 'Fleet requires Destination on a signed Response. Entra always sets it: the sender is not Entra.',
  },
  SAML_DEST_RECIPIENT_MISMATCH: {
    severity: 'error',
    title: 'SubjectConfirmationData Recipient is not Fleet\'s ACS URL',
    remedy: `Entra sets Recipient to the Reply URL it used. ${ENTRA_SSO} → Basic SAML Configuration → Reply URL = Fleet's server_url + /api/v1/fleet/sso/callback, marked Default.`,
  },

  // --- TIME
  SAML_TIME_ISSUE_INSTANT_STALE: {
    severity: 'error',
    title: 'IssueInstant is more than 90 seconds old',
    remedy: 'Fleet accepts a response for 90 s after Entra issued it. The response was held back (a slow form post, a replay) or Fleet\'s clock runs ahead: check NTP on the Fleet server.',
  },
  SAML_TIME_NOT_YET_VALID: {
    severity: 'error',
    title: 'Assertion is not yet valid',
    remedy: 'Conditions NotBefore lies beyond the allowed skew: the Fleet server\'s clock is behind. Fix NTP on the Fleet host (Entra already back-dates NotBefore by 5 minutes).',
  },
  SAML_TIME_EXPIRED: {
    severity: 'error',
    title: 'Assertion has expired',
    remedy: 'Conditions NotOnOrAfter has passed (plus skew): a stale or replayed response, or the Fleet server\'s clock runs ahead. Log in again; check NTP. Entra\'s token lifetime is 60 minutes.',
  },
  SAML_TIME_CONFIRMATION_EXPIRED: {
    severity: 'error',
    title: 'SubjectConfirmationData NotOnOrAfter has passed',
    remedy: 'The bearer confirmation expired before Fleet saw the response: a stale or replayed response, or a clock problem on the Fleet host.',
  },
  SAML_TIME_INVALID: {
    severity: 'error',
    title: 'A time attribute is missing or not an xs:dateTime',
    remedy: 'IssueInstant, NotBefore and NotOnOrAfter must be ISO-8601 UTC times. The sender is not Entra.',
  },
  SAML_TIME_ISSUE_INSTANT_FUTURE: {
    severity: 'warning',
    title: 'IssueInstant lies in the future',
    remedy: 'Fleet does not reject future IssueInstants, but it means the clocks of Entra and Fleet differ: check NTP on the Fleet host.',
  },

  // --- IRT: correlation with the AuthnRequest
  SAML_IRT_MISMATCH: {
    severity: 'error',
    title: 'Response InResponseTo does not match the AuthnRequest',
    remedy: 'The response answers another login attempt: an old tab, a second login started meanwhile, or a replay. Start the login again from Fleet.',
  },
  SAML_IRT_CONFIRMATION_MISMATCH: {
    severity: 'error',
    title: 'SubjectConfirmationData InResponseTo does not match the AuthnRequest',
    remedy: 'The signed assertion answers another login attempt than the one Fleet started. Start the login again from Fleet.',
  },
  SAML_IRT_UNSOLICITED: {
    severity: 'error',
    title: 'IdP-initiated response while Fleet allows only SP-initiated login',
    remedy: `The login started in Entra (My Apps or the "Test" button), so there is no InResponseTo. Either enable Fleet's Settings → Integrations → Single sign-on → "Allow SSO login initiated by identity provider" (enable_sso_idp_login), or set ${ENTRA_SSO} → Basic SAML Configuration → Sign on URL to Fleet's login page so My Apps starts at Fleet.`,
  },
  SAML_IRT_IDP_INITIATED: {
    severity: 'info',
    title: 'IdP-initiated response (allowed)',
    remedy: 'Fleet accepts it because enable_sso_idp_login is on. Unsolicited responses cannot be tied to a login attempt and Fleet keeps no replay cache: run samlscope in enforce mode to block replays.',
  },
  SAML_IRT_NOT_MATCHED: {
    severity: 'info',
    title: 'InResponseTo present but not compared',
    remedy: 'Pass --request-id with the AuthnRequest ID to compare it (samlscope proxy does this from the recorded AuthnRequest).',
  },

  // --- NAMEID: the identity Fleet reads
  SAML_NAMEID_MISSING: {
    severity: 'error',
    title: 'Assertion has no NameID',
    remedy: `Fleet reads the user's email from NameID. ${ENTRA_SSO} → Attributes & Claims → Unique User Identifier (Name ID): source user.userprincipalname or user.mail, format Email address.`,
  },
  SAML_NAMEID_NOT_EMAIL: {
    severity: 'warning',
    title: 'NameID is not an email address',
    remedy: `Fleet looks users up by the NameID value as an email, so this login will end in account_invalid. ${ENTRA_SSO} → Attributes & Claims → Unique User Identifier (Name ID) → source attribute user.userprincipalname (or user.mail), name identifier format Email address.`,
  },
  SAML_NAMEID_PERSISTENT: {
    severity: 'warning',
    title: 'NameID is a persistent (pairwise) identifier',
    remedy: `Entra sent a 43-character pairwise value because the Name ID format is Persistent (or the request asked for persistent/unspecified). Fleet matches it to no user. ${ENTRA_SSO} → Attributes & Claims → Unique User Identifier → Name identifier format: Email address, source user.userprincipalname.`,
  },
  SAML_NAMEID_NO_BEARER_CONFIRMATION: {
    severity: 'error',
    title: 'Subject has no bearer SubjectConfirmation',
    remedy: 'Web browser SSO requires a bearer SubjectConfirmation (urn:oasis:names:tc:SAML:2.0:cm:bearer). Entra always sends one: the sender is not Entra.',
  },

  // --- ATTR: attributes Fleet reads
  SAML_ATTR_EMAIL_MISSING: {
    severity: 'info',
    title: 'No email address claim',
    remedy: `Fleet uses NameID, but JIT provisioning and display benefit from the claim. ${ENTRA_SSO} → Attributes & Claims → Add claim emailaddress = user.mail (empty source values are omitted by Entra: give the user a mail attribute).`,
  },
  SAML_ATTR_JIT_ROLE_CONFLICT: {
    severity: 'warning',
    title: 'Global and team JIT roles sent together',
    remedy: 'Fleet rejects a JIT login that carries FLEET_JIT_USER_ROLE_GLOBAL together with FLEET_JIT_USER_ROLE_TEAM_<id>. In Entra → Attributes & Claims, send only one kind.',
  },
  SAML_ATTR_JIT_ROLE_INVALID: {
    severity: 'warning',
    title: 'JIT role attribute has a value Fleet does not know',
    remedy: 'FLEET_JIT_USER_ROLE_* values must be admin, maintainer, observer, observer_plus or null. Fix the claim transformation in Entra → Attributes & Claims.',
  },

  // --- REPLAY
  SAML_REPLAY_DETECTED: {
    severity: 'error',
    title: 'Assertion was already used',
    remedy: 'This assertion ID was seen before while still valid: a captured response is being replayed (Fleet keeps no replay cache). If a user double-submitted, they simply log in again.',
  },
  SAML_REPLAY_STATE_UNAVAILABLE: {
    severity: 'warning',
    title: 'Replay cache and recorded AuthnRequests could not be reached',
    remedy: 'samlscope\'s shared state (Redis, --redis-url) did not answer, so this callback was judged without its AuthnRequest and without the replay check. Observe mode forwards it; enforce mode blocks SSO callbacks (EDGE_STATE_UNAVAILABLE) until Redis answers again. Check the Redis server and the network path to it; the admin listener\'s /healthz names the reason.',
  },

  // --- FLEET: Fleet-specific outcomes and disagreements
  SAML_FLEET_SECOND_OPINION_REJECTS: {
    severity: 'error',
    title: 'node-saml, configured as Fleet, rejects what the engine accepted',
    remedy: 'Two validators disagree; the stricter verdict wins. The evidence holds node-saml\'s reason. Please report the input (redacted) to samlscope.',
  },
  SAML_FLEET_QUIRK_EMPTY_CDATA: {
    severity: 'error',
    title: 'Fleet refuses an empty CDATA section',
    remedy: 'The XML round-trip validator Fleet runs first (mattermost/xml-roundtrip-validator) fails on <![CDATA[]]>, so the login ends in status=error although the XML is well-formed. Entra never sends one: whatever produced it must drop empty CDATA sections.',
  },
  SAML_FLEET_QUIRK_PREFIX_REBINDING: {
    severity: 'error',
    title: 'Fleet misreads a namespace prefix bound to two namespaces',
    remedy: 'crewjam/saml re-serialises each signed element with the last namespace seen for each prefix anywhere in the document, so an element whose prefix is bound differently elsewhere is read in the wrong namespace and the login fails. Entra never reuses a prefix: whatever produced the message must give each namespace its own prefix.',
  },
  SAML_FLEET_QUIRK_CONFIRMATION_WITHOUT_DATA: {
    severity: 'error',
    title: 'A SubjectConfirmation without SubjectConfirmationData crashes Fleet\'s SAML library',
    remedy: 'crewjam/saml dereferences SubjectConfirmationData of every SubjectConfirmation and panics when one has none, so the login fails. Entra always sends SubjectConfirmationData (Recipient, InResponseTo, NotOnOrAfter); another IdP must be configured to.',
  },
  SAML_FLEET_QUIRK_EMPTY_DEFAULT_NAMESPACE: {
    severity: 'error',
    title: 'Fleet\'s XML-DSig library refuses a signature over xmlns=""',
    remedy: 'goxmldsig keeps a redundant xmlns="" that XML canonicalization drops, so a signature that verifies by the standard (xmlsec1, samlscope) fails in Fleet and the login ends in status=error. Entra never undeclares the default namespace: whatever produced the message must not either.',
  },
  SAML_FLEET_AUTHN_ISSUER_MISMATCH: {
    severity: 'error',
    title: 'AuthnRequest Issuer differs from the configured entity ID',
    remedy: `Entra looks up the app by this Issuer (AADSTS700016 when unknown). Fleet's Settings → Integrations → Single sign-on → Entity ID and ${ENTRA_SSO} → Basic SAML Configuration → Identifier must be the same string.`,
  },
  SAML_FLEET_AUTHN_ACS_MISMATCH: {
    severity: 'error',
    title: 'AuthnRequest ACS URL differs from the expected one',
    remedy: `Fleet builds the ACS URL from server_url; it must be registered in ${ENTRA_SSO} → Basic SAML Configuration → Reply URL (AADSTS50011 otherwise). Fix Fleet's Settings → Organization settings → Fleet web address or samlscope's --public-url.`,
  },
  SAML_FLEET_AUTHN_DEST_MISMATCH: {
    severity: 'warning',
    title: 'AuthnRequest Destination is not the IdP\'s Redirect SSO URL',
    remedy: 'Fleet sends the request to the first HTTP-Redirect SingleSignOnService of the metadata it holds: Fleet and samlscope use different metadata. Paste the same App Federation Metadata in both.',
  },
  SAML_FLEET_SESSION_UNKNOWN: {
    severity: 'warning',
    title: 'Callback without a recorded AuthnRequest',
    remedy: 'No SSO session cookie, or its AuthnRequest was not seen (expired after Fleet\'s 15 min session validity, started on another proxy without shared Redis, or IdP-initiated). Fleet will answer status=error unless IdP-initiated login is enabled.',
  },
  SAML_FLEET_ACCOUNT_INVALID: {
    severity: 'error',
    title: 'SAML was valid but Fleet has no user with that email',
    remedy: 'Fleet matched the NameID to no user (Fleet Free has no JIT provisioning). Create the user in Fleet (Settings → Users → Add user) with "Enable single sign-on" checked, using exactly the NameID value as email; or enable JIT provisioning (Premium).',
  },
  SAML_FLEET_ACCOUNT_DISABLED: {
    severity: 'error',
    title: 'SAML was valid but the Fleet user is not SSO-enabled',
    remedy: 'Fleet found the user but single sign-on is off for them: Settings → Users → (the user) → Edit → "Enable single sign-on".',
  },
  SAML_FLEET_ORG_DISABLED: {
    severity: 'error',
    title: 'SSO is disabled for the organisation in Fleet',
    remedy: 'Fleet\'s Settings → Integrations → Single sign-on → "Enable single sign-on".',
  },
  SAML_FLEET_ERROR_UNEXPLAINED: {
    severity: 'error',
    title: 'Fleet rejected a response samlscope accepted',
    remedy: 'Usually the entity ID, server_url or metadata configured in Fleet differs from samlscope\'s, IdP-initiated login is disabled in Fleet, or the SSO session expired (15 min). Run `samlscope preflight` to compare the settings; Fleet\'s server log has the exact reason.',
  },
  SAML_FLEET_OUTCOME_UNEXPECTED: {
    severity: 'warning',
    title: 'Fleet accepted a response samlscope rejected',
    remedy: 'Fleet\'s checks are laxer than samlscope\'s here (see the other findings), or Fleet is configured differently. Review each finding: the unsafe ones are why enforce mode exists.',
  },
  SAML_FLEET_ENTITY_ID_MISSING: {
    severity: 'error',
    title: 'Fleet has no SSO entity ID',
    remedy: `Fleet sends entity_id as the AuthnRequest Issuer and Entra looks the app up by it (AADSTS700016 otherwise). Set Fleet's Settings → Integrations → Single sign-on → Entity ID (e.g. fleet, or a URI such as https://fleet.example.com/saml) and the same value in ${ENTRA_SSO} → Basic SAML Configuration → Identifier (Entity ID).`,
  },
  SAML_FLEET_ENTITY_ID_NOT_URI: {
    severity: 'warning',
    title: 'Fleet\'s entity ID is not a URI',
    remedy: `Nothing to change while logins work: Entra returns a plain Identifier such as "fleet" unchanged as the Audience and Fleet accepts it (Fleet's own guide uses "fleet"). Some older tenants answer an Identifier that is not a URI with Audience "spn:fleet" (SAML_AUDIENCE_SPN_PREFIX); if yours does, use a URI on both sides: ${ENTRA_SSO} → Basic SAML Configuration → Identifier (Entity ID) = e.g. https://fleet.example.com/saml, and the same value in Fleet's Settings → Integrations → Single sign-on → Entity ID.`,
  },
  SAML_FLEET_REPLY_URL: {
    severity: 'info',
    title: 'The Reply URL to register in Entra',
    remedy: `${ENTRA_SSO} → Basic SAML Configuration → Reply URL (Assertion Consumer Service URL) = exactly this URL (scheme, host, port, path), marked Default; and Identifier (Entity ID) = Fleet's entity ID exactly. Fleet computes it from sso_server_url (or server_url) + url_prefix + /api/v1/fleet/sso/callback, never from the Host header.`,
  },
  SAML_FLEET_SERVER_URL_MISSING: {
    severity: 'error',
    title: 'Fleet has no server URL',
    remedy: 'Fleet builds the ACS URL, the Destination and Recipient it expects from server_url. Set Settings → Organization settings → Fleet web address to the public URL browsers use (the samlscope proxy\'s when one stands in front).',
  },
  SAML_FLEET_METADATA_MISSING: {
    severity: 'error',
    title: 'Fleet has no IdP metadata',
    remedy: `Fleet needs the IdP metadata to send its AuthnRequest and to trust signatures. Settings → Integrations → Single sign-on → Metadata URL = the "App Federation Metadata Url" from ${ENTRA_SSO} → SAML Certificates (or paste the Federation Metadata XML into Metadata).`,
  },
  SAML_FLEET_METADATA_DIFFERS: {
    severity: 'warning',
    title: 'The metadata checked differs from the metadata Fleet holds',
    remedy: `Fleet signs users in with its own metadata, not with the one checked here: a stale copy trusts a rolled-over certificate (SAML_SIG_INVALID) or another tenant (issuer mismatch). Set Fleet's Settings → Integrations → Single sign-on → Metadata URL to the "App Federation Metadata Url" from ${ENTRA_SSO} → SAML Certificates, or paste the current XML.`,
  },
  SAML_FLEET_IDP_LOGIN_ENABLED: {
    severity: 'info',
    title: 'IdP-initiated login is allowed',
    remedy: 'Fleet accepts unsolicited responses (My Apps, Entra\'s "Test" button). They cannot be tied to a login attempt and Fleet keeps no replay cache: turn enable_sso_idp_login off unless you need it, or run samlscope proxy in enforce mode to block replays.',
  },
  SAML_FLEET_IDP_LOGIN_DISABLED: {
    severity: 'info',
    title: 'IdP-initiated login is off',
    remedy: `Logins started in Entra (My Apps tile, the "Test" button) end in status=error. Set ${ENTRA_SSO} → Basic SAML Configuration → Sign on URL to Fleet's login page so My Apps starts at Fleet, or enable Fleet's "Allow SSO login initiated by identity provider" (enable_sso_idp_login).`,
  },
  SAML_FLEET_JIT_INFO: {
    severity: 'info',
    title: 'Just-in-time user provisioning',
    remedy: 'JIT provisioning is a Fleet Premium feature. Without it every SSO user must exist in Fleet first (Settings → Users → Add user, "Enable single sign-on", email = the NameID value) or the login ends in status=account_invalid. With it, roles come from FLEET_JIT_USER_ROLE_* claims.',
  },
  SAML_FLEET_TRUSTED_PROXIES_HINT: {
    severity: 'info',
    title: 'Something stands in front of Fleet: check server.trusted_proxies',
    remedy: 'Fleet rate-limits the SSO callback per client IP and reads True-Client-IP / X-Real-IP / X-Forwarded-For only as server.trusted_proxies allows (Fleet ≥ 4.80.1). Set server.trusted_proxies (FLEET_SERVER_TRUSTED_PROXIES) to the address of the proxy in front (samlscope sets X-Forwarded-For itself), or every user shares the proxy\'s address.',
  },
  SAML_FLEET_LOGIN_OK: {
    severity: 'info',
    title: 'A headless login through Fleet and the mock IdP succeeded',
    remedy: 'Nothing to do: Fleet issued a session token. Repeat it in CI with `samlscope login`.',
  },
  SAML_FLEET_LOGIN_FAILED: {
    severity: 'error',
    title: 'A headless login through Fleet and the mock IdP failed',
    remedy: 'Fleet keeps the exact reason in its server log. Run samlscope proxy in front of Fleet and log in again to see the finding that explains it.',
  },
  SAML_FLEET_ANALYSIS_UNAVAILABLE: {
    severity: 'warning',
    title: 'samlscope did not analyse this callback',
    remedy: 'The proxy\'s analysis workers were all busy with a full queue, the analysis ran over its time limit, or a worker crashed (the evidence names which). Observe mode forwarded the callback unjudged; enforce mode blocked it (EDGE_ANALYSIS_UNAVAILABLE) and the user can sign in again. A flood of callbacks is an attack or a misbehaving client: check the client addresses in the log; for real load raise --analysis-workers.',
  },
  SAML_FLEET_FORM_REFUSED: {
    severity: 'error',
    title: 'Fleet refuses the callback request before reading SAML',
    remedy: 'Fleet parses the callback with Go\'s Request.ParseForm and answers HTTP 400 "failed to parse form" on any error: a Content-Type Go cannot parse, a ";" or a bad %-escape in the body or the query string. Entra posts a plain application/x-www-form-urlencoded form; something between the browser and Fleet is altering the request, or it was not sent by a browser.',
  },
  SAML_FLEET_BODY_TOO_LARGE: {
    severity: 'error',
    title: 'Callback body over Fleet\'s 256 KiB limit',
    remedy: 'Fleet answers HTTP 413 to SSO callback bodies over 256 KiB (MaxSSOCallbackSize) before any SAML check. Entra responses are a few KiB: remove group claims that emit hundreds of values (Attributes & Claims → groups claim → "Groups assigned to the application") or look for a tampered body.',
  },
  // --- IDP: what Entra did with Fleet's AuthnRequest, seen from a login that never came back
  SAML_IDP_NO_RESPONSE: {
    severity: 'error',
    title: 'Fleet started a login and no callback came back',
    remedy: `Entra stopped the login on its own error page (nothing reaches Fleet), or the user gave up. The evidence ranks the likely causes from what samlscope knows of the AuthnRequest. The error page's AADSTS code settles it: paste the Entra error text on this attempt's page (or run \`samlscope explain "AADSTS…"\`), or find the sign-in under Entra admin center → Monitoring & health → Sign-in logs.`,
  },
  SAML_IDP_AADSTS_REPORTED: {
    severity: 'error',
    title: 'Entra refused the sign-in (AADSTS code reported)',
    remedy: 'The remedy of the reported AADSTS code applies (the message names it).',
  },
  // --- ENTRA: Entra's half of the setup, read from Microsoft Graph (optional, read-only)
  SAML_ENTRA_GRAPH_UNAVAILABLE: {
    severity: 'warning',
    title: 'Microsoft Graph could not be read',
    remedy: 'samlscope could not read Entra\'s side (network, timeout, throttling beyond the retry bound, an unexpected answer). Fleet\'s side was still checked. Check --graph-url / --entra-authority-host and the network path to Graph, then run again.',
  },
  SAML_ENTRA_PERMISSION_MISSING: {
    severity: 'warning',
    title: 'samlscope\'s app registration lacks a Graph permission',
    remedy: 'Entra admin center → App registrations → (samlscope\'s reader app) → API permissions → Add a permission → Microsoft Graph → Application permissions: the one named in the message (Application.Read.All, Directory.Read.All or AuditLog.Read.All), then Grant admin consent. samlscope only reads (docs/entra-graph.md).',
  },
  SAML_ENTRA_LICENSE_REQUIRED: {
    severity: 'warning',
    title: 'Sign-in logs need an Entra ID P1 licence',
    remedy: 'Graph serves auditLogs/signIns only in tenants with Microsoft Entra ID P1 or P2. Without it samlscope cannot attach Entra\'s AADSTS code to a login that never came back; read the error page the user saw instead.',
  },
  SAML_ENTRA_APP_NOT_FOUND: {
    severity: 'error',
    title: 'The Fleet enterprise app was not found in Entra',
    remedy: 'No service principal with that application ID (or with Fleet\'s entity ID as an Identifier). Pass --entra-app-id with the Application ID shown on Enterprise applications → (the Fleet app) → Overview, or use the App Federation Metadata Url (it carries ?appid=).',
  },
  SAML_ENTRA_IDENTIFIER_MISMATCH: {
    severity: 'error',
    title: 'Fleet\'s entity ID is none of the app\'s Identifiers (AADSTS700016)',
    remedy: `${ENTRA_SSO} → Basic SAML Configuration → Identifier (Entity ID): add Fleet's entity_id exactly (the message names both sides).`,
  },
  SAML_ENTRA_REPLY_URL_MISSING: {
    severity: 'error',
    title: 'Fleet\'s ACS URL is none of the app\'s Reply URLs (AADSTS50011)',
    remedy: `${ENTRA_SSO} → Basic SAML Configuration → Reply URL (Assertion Consumer Service URL): add the exact ACS URL Fleet computes (scheme, host, port and path) and mark it Default.`,
  },
  SAML_ENTRA_REPLY_URL_NOT_DEFAULT: {
    severity: 'warning',
    title: 'Fleet\'s ACS URL is a Reply URL but maybe not the default',
    remedy: `Entra answers IdP-initiated logins (My Apps, Test) at the default Reply URL. ${ENTRA_SSO} → Basic SAML Configuration → tick Default next to Fleet's ACS URL. Graph v1.0 does not expose the default flag: samlscope reads the first listed URL as the default.`,
  },
  SAML_ENTRA_SSO_MODE_NOT_SAML: {
    severity: 'error',
    title: 'The enterprise app\'s single sign-on mode is not SAML',
    remedy: `${ENTRA_SSO} → Select a single sign-on method → SAML. Fleet speaks SAML only.`,
  },
  SAML_ENTRA_CERT_NOT_IN_METADATA: {
    severity: 'error',
    title: 'Entra\'s active signing certificate is not in Fleet\'s metadata',
    remedy: `Entra signs with the active certificate; Fleet trusts only the certificates in its metadata. Download the App Federation Metadata (?appid=) again and paste it into Fleet, or compare thumbprints under ${ENTRA_SSO} → SAML Certificates.`,
  },
  SAML_ENTRA_CERT_EXPIRED: {
    severity: 'error',
    title: 'Entra\'s active signing certificate has expired',
    remedy: `Entra keeps signing with an expired active certificate and Fleet rejects it. ${ENTRA_SSO} → SAML Certificates → New Certificate → Make certificate active, then update Fleet's metadata.`,
  },
  SAML_ENTRA_CERT_EXPIRING: {
    severity: 'warning',
    title: 'Entra\'s active signing certificate expires soon',
    remedy: `${ENTRA_SSO} → SAML Certificates → New Certificate, make it active at a planned time and update Fleet's metadata in the same change.`,
  },
  SAML_ENTRA_CERT_ROLLOVER_PENDING: {
    severity: 'info',
    title: 'A newer inactive signing certificate is waiting (rollover)',
    remedy: 'When it is made active Fleet must already trust it: Fleet\'s metadata lists only the certificates it had when it was copied. Update Fleet\'s metadata right after making the new certificate active.',
  },
  SAML_ENTRA_CERT_NO_NOTIFICATION_EMAIL: {
    severity: 'warning',
    title: 'Nobody is notified before the signing certificate expires',
    remedy: `${ENTRA_SSO} → SAML Certificates → Notification Email: add a monitored address (Entra mails 60, 30 and 7 days before expiry).`,
  },
  SAML_ENTRA_NAMEID_NOT_FLEET_EMAIL: {
    severity: 'warning',
    title: 'The NameID Entra sends is not the Fleet user\'s email',
    remedy: `Fleet matches the NameID value to a user's email. ${ENTRA_SSO} → Attributes & Claims → Unique User Identifier: user.mail (or make the UPN equal the mail), or create the Fleet user with the email Entra sends.`,
  },
  SAML_ENTRA_USER_NOT_FOUND: {
    severity: 'error',
    title: 'No such user in the Entra tenant (AADSTS50034)',
    remedy: 'Sign in with an account of this tenant, or create / invite the user (Entra admin center → Users).',
  },
  SAML_ENTRA_USER_DISABLED: {
    severity: 'error',
    title: 'The Entra user account is disabled (AADSTS50057)',
    remedy: 'Entra admin center → Users → (the user) → Properties → Account enabled = Yes.',
  },
  SAML_ENTRA_USER_NOT_ASSIGNED: {
    severity: 'error',
    title: 'The user is not assigned to the Fleet app (AADSTS50105)',
    remedy: 'Entra admin center → Enterprise applications → (the Fleet app) → Users and groups → Add user/group: the user or a group they are a direct member of (nested groups do not count), or Properties → Assignment required? = No.',
  },
  SAML_ENTRA_USER_CAN_SIGN_IN: {
    severity: 'info',
    title: 'Entra lets this user sign in to the Fleet app',
    remedy: 'Nothing to change on Entra\'s side; the NameID value in the message is what Fleet will look up.',
  },
  SAML_ENTRA_SIGNIN_SUCCEEDED: {
    severity: 'info',
    title: 'Entra\'s sign-in log shows this sign-in succeeded',
    remedy: 'Entra issued the token: what failed is on Fleet\'s side of the login (the other findings of this attempt say what), not in Entra\'s assignment, policy or account.',
  },
  SAML_ENTRA_SIGNIN_FAILED: {
    severity: 'error',
    title: 'Entra\'s sign-in log shows why the login failed',
    remedy: 'The remedy of the AADSTS code in the message applies (it is Entra\'s own record of this sign-in: user, failure reason, correlation id).',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type FindingCode = keyof typeof CATALOGUE;

export interface Finding {
  code: FindingCode;
  severity: Severity;
  title: string;
  message: string;
  remedy: string;
  evidence?: Record<string, unknown>;
}

/** Builds a finding from the catalogue; `message` says what was seen, `remedy` may be sharpened per case. */
export function finding(
  code: FindingCode,
  message: string,
  evidence?: Record<string, unknown>,
  remedy?: string,
): Finding {
  const entry: CatalogueEntry = CATALOGUE[code];
  const f: Finding = { code, severity: entry.severity, title: entry.title, message, remedy: remedy ?? entry.remedy };
  if (evidence && Object.keys(evidence).length > 0) f.evidence = evidence;
  return f;
}

export const FINDING_CODES = Object.keys(CATALOGUE) as FindingCode[];

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

/**
 * What became of a login: shown first in the attempts list, the detail page, the log line, metrics and JSON. The SAML
 * verdict is one part of it. A closed vocabulary: values are never renamed or reused.
 */
export const OUTCOMES = {
  signed_in: 'Fleet issued a session',
  fleet_rejected: 'Fleet refused the login: its answer (status=account_invalid, account_disabled, org_disabled, error, or a 4xx before SAML) says how',
  saml_rejected: 'samlscope predicts Fleet refuses the SAML message; Fleet\'s own answer is not known (unreachable or unreadable)',
  blocked: 'enforce mode kept the callback from Fleet',
  no_idp_response: 'Fleet started a login and no callback came back within --login-timeout',
  in_progress: 'the login started and its callback has not arrived yet',
} as const;

export type Outcome = keyof typeof OUTCOMES;
export const OUTCOME_VALUES = Object.keys(OUTCOMES) as Outcome[];
