// Enforce or forward: the pure decision on one judged SSO callback (no sockets, no state), tested as a table.
import type { EdgeCode } from './edge-errors.js';

export interface CallbackJudgement {
  mode: 'observe' | 'enforce';
  /** samlscope's verdict over everything it knows (engine, Fleet's request reading, replay, session) */
  verdict: 'accept' | 'reject';
  /** Fleet answers 413 before SAML (body over MaxSSOCallbackSize) */
  bodyOverCap: boolean;
  /** the analysis pool did not answer (busy, timed out, crashed) */
  analysisUnavailable: boolean;
  /** the engine produced a report, or Fleet's reading of the request refused it first (nothing left to analyse) */
  judged: boolean;
  /** the shared state (Redis) did not answer: replays cannot be ruled out */
  stateDown: boolean;
  /** the codes of the error findings, for the block page */
  errorCodes: string[];
}

export type CallbackDecision =
  | { action: 'forward' }
  | { action: 'block'; edge: EdgeCode; findings: string[]; close?: boolean };

/**
 * Observe forwards everything. Enforce blocks what it rejects (Fleet never sees a value samlscope did not judge as
 * accepted), and while the shared state is away it blocks every callback, since a replay cannot be ruled out.
 */
export function decideCallback(j: CallbackJudgement): CallbackDecision {
  if (j.mode !== 'enforce') return { action: 'forward' };
  if (j.verdict === 'reject') {
    if (j.bodyOverCap) return { action: 'block', edge: 'EDGE_BODY_TOO_LARGE', findings: ['SAML_FLEET_BODY_TOO_LARGE'], close: true };
    if (j.analysisUnavailable) return { action: 'block', edge: 'EDGE_ANALYSIS_UNAVAILABLE', findings: ['SAML_FLEET_ANALYSIS_UNAVAILABLE'] };
    if (!j.judged) return { action: 'block', edge: 'EDGE_INTERNAL', findings: [] };
    return { action: 'block', edge: 'EDGE_SSO_REJECTED', findings: j.errorCodes };
  }
  if (j.stateDown) return { action: 'block', edge: 'EDGE_STATE_UNAVAILABLE', findings: ['SAML_REPLAY_STATE_UNAVAILABLE'] };
  return { action: 'forward' };
}
