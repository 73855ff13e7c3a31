// For display only: the NameID as the XML states it, read without trusting the signature (labelled untrusted by callers).
import { DEFAULT_LIMITS } from './types.js';
import { NS, descendants, parseXmlSafely, textOf } from './xml.js';

/** The first Subject NameID's text anywhere in the document, or null; never use it to decide anything. */
export function untrustedNameId(xml: string | null): string | null {
  if (!xml) return null;
  const parsed = parseXmlSafely(xml, DEFAULT_LIMITS);
  if (!parsed.ok) return null;
  const subjectNameId = descendants(parsed.doc, NS.assertion, 'Subject').flatMap((s) => descendants(s, NS.assertion, 'NameID'))[0];
  const value = textOf(subjectNameId ?? null)?.trim();
  return value ? value.slice(0, 500) : null;
}
