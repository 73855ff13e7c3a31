// Reading Fleet's answer to an SSO callback (token page, /login?status=..., MDM redirect) and explaining a disagreement with the prediction.
import { finding, type Finding } from '../saml/findings.js';
import type { ActualOutcome, FleetAnswer, PredictedOutcome } from './attempt.js';
import { asLoginStatus, loginStatusIn, scriptRedirectIn, mdmRedirectOutcome, tokenCookieSet, tokenInPage, type SsoFlow } from '../fleet/index.js';


function headerList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** What Fleet did, from its status code, Location, Set-Cookie and (the start of) its page. */
export function readFleetAnswer(flow: SsoFlow, status: number, headers: Record<string, string | string[] | undefined>, body: string): { answer: FleetAnswer; actual: ActualOutcome } {
  const location = headerList(headers.location)[0] ?? null;
  const cookies = headerList(headers['set-cookie']);
  const loginStatus = (location ? loginStatusIn(location) : null) ?? loginStatusIn(body);
  const redirect = location ?? scriptRedirectIn(body);
  const tokenIssued = tokenCookieSet(cookies) || tokenInPage(body) !== null;
  const answer: FleetAnswer = { status, location: redirect, loginStatus, tokenIssued };
  if (status >= 400 && status < 500) return { answer, actual: 'bad_request' };
  if (status >= 500) return { answer, actual: 'upstream_failed' };
  if (loginStatus) return { answer, actual: asLoginStatus(loginStatus) };
  const mdm = flow === 'mdm' && redirect ? mdmRedirectOutcome(redirect) : null;
  if (mdm) return { answer, actual: mdm };
  if (tokenIssued) return { answer, actual: 'success' };
  return { answer, actual: 'unknown' };
}

export interface DisagreementEvidence {
  nameId: string | null;
  entityId: string;
  acsUrl: string;
  sessionKnown: boolean;
  idpInitiated: boolean;
  allowIdpInitiated: boolean;
}

/** FLEET findings when Fleet's answer is not what samlscope predicted (or explains itself, like account_invalid). */
export function explainOutcome(predicted: PredictedOutcome, actual: ActualOutcome, ev: DisagreementEvidence): Finding[] {
  const out: Finding[] = [];
  const who = ev.nameId ?? '(no NameID)';
  switch (actual) {
    case 'account_invalid':
      out.push(finding('SAML_FLEET_ACCOUNT_INVALID', `Fleet answered status=account_invalid: it has no user with the email "${who}".`, { nameId: ev.nameId }));
      break;
    case 'account_disabled':
      out.push(finding('SAML_FLEET_ACCOUNT_DISABLED', `Fleet answered status=account_disabled: the user "${who}" exists but is not SSO-enabled.`, { nameId: ev.nameId }));
      break;
    case 'org_disabled':
      out.push(finding('SAML_FLEET_ORG_DISABLED', 'Fleet answered status=org_disabled: single sign-on is switched off in Fleet.'));
      break;
    case 'error':
      if (predicted === 'success') {
        out.push(finding('SAML_FLEET_ERROR_UNEXPLAINED', 'Fleet answered status=error for a response samlscope accepted.', {
          samlscopeEntityId: ev.entityId,
          samlscopeAcsUrl: ev.acsUrl,
          ssoSessionRecorded: ev.sessionKnown,
          idpInitiated: ev.idpInitiated,
          samlscopeAllowsIdpInitiated: ev.allowIdpInitiated,
        }));
      }
      break;
    default:
      break;
  }
  const fleetAccepted = actual === 'success' || actual === 'account_invalid' || actual === 'account_disabled';
  if ((predicted === 'error' || predicted === 'bad_request') && fleetAccepted) {
    out.push(finding('SAML_FLEET_OUTCOME_UNEXPECTED', `Fleet accepted the SAML response (answer: ${actual}) although samlscope rejected it.`, { actual }));
  }
  return out;
}
