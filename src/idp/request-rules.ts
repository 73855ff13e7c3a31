// Entra's rules for an incoming AuthnRequest, as data: which AADSTS page or error response it earns, or which app and ACS it gets.
import type { ParsedAuthnRequest } from './authn-request.js';
import { defaultReplyUrl, findAppByIdentifier, type AppConfig, type IdpConfig } from './config.js';
import { NAMEID_FORMAT, type SubStatus, type TopStatus } from './response.js';

export interface PageError {
  kind: 'page';
  aadsts: number;
  text: string;
  httpStatus: number;
}

export interface ResponseError {
  kind: 'error-response';
  app: AppConfig;
  acsUrl: string;
  inResponseTo: string;
  status: TopStatus;
  subStatus: SubStatus;
  aadsts: number;
  text: string;
}

export interface Accepted {
  kind: 'ok';
  app: AppConfig;
  acsUrl: string;
  inResponseTo: string;
  /** the NameIDPolicy Format asked for, when any */
  requestedNameIdFormat: string | null;
}

export type RuleOutcome = PageError | ResponseError | Accepted;

const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const ALLOWED_NAMEID = new Set<string>([NAMEID_FORMAT.persistent, NAMEID_FORMAT.emailAddress, NAMEID_FORMAT.unspecified, NAMEID_FORMAT.transient]);

export const PAGE_TEXT: Record<number, string> = {
  750054: 'SAMLRequest or SAMLResponse must be present as query string parameters in HTTP request for SAML Redirect binding.',
  75005: 'The request is not a valid Saml2 protocol message.',
  7500529: 'The value is not a valid SAML ID. The ID must not begin with a number.',
  75003: 'The request contains an unsupported binding. Only HTTP-POST is supported for the response.',
  75011: 'Authentication method by which the user authenticated with the service doesn\'t match requested authentication method.',
  50105: 'Your administrator has configured the application to block users unless they are specifically granted (\'assigned\') access to the application.',
  50034: 'The user account does not exist in this directory.',
  90002: 'Tenant not found. Check to make sure you have the correct tenant ID.',
};

/** Applies Entra's request rules in Entra's order. */
export function checkAuthnRequest(req: ParsedAuthnRequest, config: IdpConfig): RuleOutcome {
  const page = (aadsts: number, text: string, httpStatus = 400): PageError => ({ kind: 'page', aadsts, text, httpStatus });
  if (req.kind !== 'AuthnRequest' || req.version !== '2.0' || !req.id || !req.issueInstant) return page(75005, PAGE_TEXT[75005]);
  if (/^[0-9]/.test(req.id)) return page(7500529, `The value '${req.id}' is not a valid SAML ID. The ID must not begin with a number.`);
  if (!req.issuer) return page(75005, PAGE_TEXT[75005]);
  const app = findAppByIdentifier(config, req.issuer);
  if (!app) {
    return page(700016, `Application with identifier '${req.issuer}' was not found in the directory '${config.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  }
  if (req.protocolBinding && req.protocolBinding !== HTTP_POST) return page(75003, PAGE_TEXT[75003]);
  let acsUrl = defaultReplyUrl(app);
  if (req.acsUrl !== null) {
    if (!app.replyUrls.some((r) => r.url === req.acsUrl)) {
      return page(50011, `The redirect URI '${req.acsUrl}' specified in the request does not match the redirect URIs configured for the application '${app.appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`);
    }
    acsUrl = req.acsUrl;
  }
  if (req.authnContextComparison !== null && req.authnContextComparison !== 'exact') return page(75011, PAGE_TEXT[75011]);
  const respond = (status: TopStatus, subStatus: SubStatus, aadsts: number, text: string): ResponseError =>
    ({ kind: 'error-response', app, acsUrl, inResponseTo: req.id!, status, subStatus, aadsts, text });
  const pre = 'An error occurred while processing a SAML2 Authentication request.';
  if (req.hasSubject) return respond('Requester', 'RequestUnsupported', 75006, `${pre} AADSTS900236: The SAML authentication request property 'Subject' is not supported and must not be set.`);
  if (req.unsupportedScoping) return respond('Requester', 'RequestUnsupported', 75006, `${pre} AADSTS90011: Request param 'Scoping' is not supported.`);
  if (req.nameIdPolicyFormat !== null && !ALLOWED_NAMEID.has(req.nameIdPolicyFormat)) {
    return respond('Requester', 'InvalidNameIDPolicy', 75006, `${pre} AADSTS900236: The SAML authentication request property 'NameIDPolicy Format' value '${req.nameIdPolicyFormat}' is not supported.`);
  }
  // The mock keeps no browser session: a silent request always ends like Entra's silent request without one.
  if (req.isPassive) return respond('Responder', 'NoPassive', 50058, 'A silent sign-in request was sent but no user is signed in.');
  return { kind: 'ok', app, acsUrl, inResponseTo: req.id, requestedNameIdFormat: req.nameIdPolicyFormat };
}
