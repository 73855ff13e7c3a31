// Shared types of the pure analysis core: parsed metadata, analysis options and the report every caller reads.
import type { Finding } from './findings.js';
import { XML_LIMITS } from '../fleet/rules.js';

export interface MetadataCert {
  /** base64 DER, whitespace removed, exactly as in the metadata */
  base64: string;
  pem: string;
  subject: string;
  issuer: string;
  /** SHA-1 thumbprint, upper-case hex without separators: what Entra's SAML Certificates pane shows */
  thumbprintSha1: string;
  sha256: string;
  notBefore: string;
  notAfter: string;
  use: 'signing' | 'unspecified';
}

export interface SsoService {
  binding: string;
  location: string;
}

export interface IdpMetadata {
  entityId: string;
  certs: MetadataCert[];
  ssoServices: SsoService[];
  sloServices: SsoService[];
  /** the first HTTP-Redirect SingleSignOnService: where Fleet sends its AuthnRequest */
  redirectSsoUrl: string | null;
  /** problems found while reading (unparseable certs ...); the caller decides whether they matter */
  problems: Finding[];
  /** true when the document started with a UTF-8 BOM (Entra's do) */
  hadBom: boolean;
  /** true when the EntityDescriptor carries an enveloped Signature (not verified: Fleet does not either) */
  signed: boolean;
}

export interface XmlLimits {
  /** largest decoded XML in bytes (Fleet: 1 MiB body limit) */
  maxBytes: number;
  /** deepest element nesting (Fleet: 100) */
  maxDepth: number;
  /** most elements (Fleet: 5000) */
  maxElements: number;
}

/** Fleet's XML depth and element limits (src/fleet/rules.ts); 1 MiB of XML for files given to `check` (the proxy reads at most Fleet's 256 KiB body) */
export const DEFAULT_LIMITS: XmlLimits = { maxBytes: 1024 * 1024, ...XML_LIMITS };

export interface AnalyzeOptions {
  /** 'sniff' (default): a file's content, recognised as XML, base64, form body or HAR; 'fleet-bytes': the SAMLResponse bytes Fleet decoded */
  input?: 'sniff' | 'fleet-bytes';
  metadata: IdpMetadata;
  /** Fleet's sso_settings.entity_id */
  entityId: string;
  /** the ACS URL Fleet computes: server_url + url_prefix + /api/v1/fleet/sso/callback */
  acsUrl: string;
  /** further audiences Fleet accepts: server_url, server_url + prefix + ACS path (entityId and acsUrl are always accepted) */
  extraAudiences?: string[];
  /** the clock, read once by the caller */
  now: Date;
  /** the AuthnRequest ID this response should answer; absent when unknown */
  requestId?: string;
  /** Fleet's enable_sso_idp_login */
  allowIdpInitiated?: boolean;
  /** seconds of clock skew for Conditions and SubjectConfirmationData (Fleet: 180) */
  clockSkewSeconds?: number;
  /** seconds an IssueInstant may be old (Fleet: 90) */
  maxIssueInstantAgeSeconds?: number;
  limits?: Partial<XmlLimits>;
}

export type SignedPart = 'response' | 'assertion' | 'both' | 'none';

export interface SignatureSummary {
  signed: SignedPart;
  algorithm: string | null;
  certSha256: string | null;
  /** SHA-1 thumbprint (Entra's UI) of the metadata cert that verified */
  certThumbprint: string | null;
  certNotAfter: string | null;
}

export interface Subject {
  nameId: string;
  format: string | null;
}

export interface ResponseSummary {
  id: string | null;
  issuer: string | null;
  destination: string | null;
  inResponseTo: string | null;
  issueInstant: string | null;
  statusCode: string | null;
  subStatusCode: string | null;
  statusMessage: string | null;
}

export interface AssertionSummary {
  id: string | null;
  issuer: string | null;
  issueInstant: string | null;
  notBefore: string | null;
  notOnOrAfter: string | null;
  audiences: string[];
  recipient: string | null;
  confirmationInResponseTo: string | null;
  confirmationNotOnOrAfter: string | null;
  sessionIndex: string | null;
  authnInstant: string | null;
  attributes: Record<string, string[]>;
}

/**
 * What Fleet itself will do (crewjam/saml's reading, quirks included), apart from samlscope's stricter verdict:
 * `verdict === 'accept'` implies `fleet.verdict === 'accept'`, never the other way round.
 */
export interface FleetPrediction {
  verdict: 'accept' | 'reject';
  /** the NameID value Fleet signs in with (Go reads the last NameID, exactly as written); null when Fleet refuses */
  nameId: string | null;
  /** the Assertion Issuer as Fleet compares it (exact, untrimmed) */
  issuer: string | null;
  /** the Audience of each AudienceRestriction as Fleet reads it (the last one of each) */
  audiences: string[];
}

export interface AnalysisReport {
  /** samlscope's verdict: Fleet's rules plus samlscope's safety policy (comments, PIs, DTDs, duplicates, wrapping) */
  verdict: 'accept' | 'reject';
  /** the prediction of Fleet's own behaviour on this input */
  fleet: FleetPrediction;
  findings: Finding[];
  subject: Subject | null;
  signature: SignatureSummary | null;
  response: ResponseSummary | null;
  /** read from the signed element only; null when nothing trustworthy could be read */
  assertion: AssertionSummary | null;
  /** the decoded XML (for display by trusted callers; never logged by default) */
  xml: string | null;
  /** how the input was recognised */
  inputKind: InputKind | null;
  /** RelayState when the input carried one (form body, HAR) */
  relayState: string | null;
  /** the clock used, ISO-8601 */
  checkedAt: string;
}

export type InputKind = 'xml' | 'base64' | 'form' | 'har';
