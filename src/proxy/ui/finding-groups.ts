// For display: one finding per code (the engine may report a code once per place, e.g. Response and Assertion IssueInstant).
import type { Finding } from '../../saml/findings.js';

/** A finding as listed: the first occurrence's fields, every occurrence's message, each place's evidence. */
export interface ListedFinding extends Finding {
  /** the evidence of each occurrence, in order; one entry when the code occurred once */
  places: Array<Record<string, unknown> | undefined>;
}

/** Groups findings by code, keeping the order of first appearance; messages are joined, evidence kept per place. */
export function oneFindingPerCode(findings: readonly Finding[]): ListedFinding[] {
  const byCode = new Map<string, Finding[]>();
  for (const f of findings) byCode.set(f.code, [...(byCode.get(f.code) ?? []), f]);
  return [...byCode.values()].map((group) => ({
    ...group[0],
    message: [...new Set(group.map((f) => f.message))].join(' '),
    places: group.map((f) => f.evidence as Record<string, unknown> | undefined),
  }));
}
