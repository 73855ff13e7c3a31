// Enveloped XML-DSig verification against metadata certificates only, with the structural rules Fleet and safety need.
import { createHash } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { usePiAwareCanonicalization } from './c14n.js';
import { finding, type Finding } from './findings.js';
import { NS, attr, childElements, descendants, firstChild, hasSplitText, textOf } from './xml.js';
import type { MetadataCert } from './types.js';

export const C14N = {
  exc: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  inclusive: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
} as const;

/** Canonicalization and transforms that may appear (no WithComments: it re-opens comment injection). */
const ALLOWED_TRANSFORMS = new Set<string>([C14N.exc, C14N.inclusive, C14N.enveloped]);
const ALLOWED_C14N = new Set<string>([C14N.exc, C14N.inclusive]);

/** Signature algorithms Fleet accepts and xml-crypto can verify, with their short names. */
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'rsa-sha1',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'rsa-sha512',
};
const DIGEST_ALGORITHMS: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};

export interface SignatureCheck {
  /** true only when the structure is sound, the digest matches and a metadata cert verified the SignatureValue */
  valid: boolean;
  findings: Finding[];
  algorithm: string | null;
  digestAlgorithm: string | null;
  cert: MetadataCert | null;
  /** canonical XML of the signed element (signature removed): the only bytes later checks may trust */
  signedXml: string | null;
}

function fail(findings: Finding[], algorithm: string | null = null, digestAlgorithm: string | null = null): SignatureCheck {
  return { valid: false, findings, algorithm, digestAlgorithm, cert: null, signedXml: null };
}

/**
 * Verifies the Signature that is a direct child of `element` (a Response or an Assertion) within the document `xml`.
 * Only `certs` (from metadata) are trusted; an embedded KeyInfo cert must be byte-equal to one of them.
 */
export function verifyEnvelopedSignature(xml: string, element: Element, signature: Element, certs: readonly MetadataCert[], label: string): SignatureCheck {
  const where = { element: label };
  // --- structure (before any cryptography)
  const signedInfos = descendants(signature, NS.dsig, 'SignedInfo');
  const directSignedInfo = childElements(signature, NS.dsig, 'SignedInfo');
  const sigValues = childElements(signature, NS.dsig, 'SignatureValue');
  if (signedInfos.length !== 1 || directSignedInfo.length !== 1 || sigValues.length !== 1) {
    return fail([finding('SAML_SIG_MALFORMED', `${label} Signature has ${signedInfos.length} SignedInfo and ${sigValues.length} SignatureValue elements; exactly one of each is allowed.`, { ...where, signedInfo: signedInfos.length, signatureValue: sigValues.length })]);
  }
  if (childElements(signature, NS.dsig, 'Object').length > 0) {
    return fail([finding('SAML_SIG_MALFORMED', `${label} Signature carries an Object element.`, where)]);
  }
  const si = directSignedInfo[0];
  const c14n = attr(firstChild(si, NS.dsig, 'CanonicalizationMethod'), 'Algorithm');
  const sigAlgUri = attr(firstChild(si, NS.dsig, 'SignatureMethod'), 'Algorithm');
  const algorithm = sigAlgUri ? SIGNATURE_ALGORITHMS[sigAlgUri] ?? sigAlgUri : null;
  if (!c14n || !ALLOWED_C14N.has(c14n)) {
    return fail([finding('SAML_SIG_TRANSFORM_FORBIDDEN', `${label} SignedInfo canonicalization "${c14n ?? '(none)'}" is not allowed.`, { ...where, algorithm: c14n })], algorithm);
  }
  if (!sigAlgUri || !SIGNATURE_ALGORITHMS[sigAlgUri]) {
    return fail([finding('SAML_SIG_ALGORITHM_FORBIDDEN', `${label} SignatureMethod "${sigAlgUri ?? '(none)'}" is not allowed.`, { ...where, algorithm: sigAlgUri })], algorithm);
  }
  const refs = childElements(si, NS.dsig, 'Reference');
  const id = attr(element, 'ID');
  if (refs.length !== 1) {
    return fail([finding('SAML_SIG_REFERENCE_INVALID', `${label} SignedInfo has ${refs.length} References; exactly one is allowed.`, { ...where, references: refs.length })], algorithm);
  }
  const uri = attr(refs[0], 'URI');
  if (!id || uri !== '#' + id) {
    return fail([finding('SAML_SIG_REFERENCE_INVALID', `${label} Signature references "${uri ?? '(none)'}" but the ${label} ID is "${id ?? '(none)'}".`, { ...where, reference: uri, id })], algorithm);
  }
  const transforms = descendants(refs[0], NS.dsig, 'Transform').map((t) => attr(t, 'Algorithm') ?? '');
  const badTransform = transforms.find((t) => !ALLOWED_TRANSFORMS.has(t));
  if (badTransform !== undefined || transforms.length > 2 || !transforms.includes(C14N.enveloped)) {
    return fail([finding('SAML_SIG_TRANSFORM_FORBIDDEN', badTransform !== undefined ? `${label} Reference uses transform "${badTransform.slice(0, 120)}".` : `${label} Reference transforms are [${transforms.join(', ')}]; expected enveloped-signature plus one canonicalization.`, { ...where, transforms })], algorithm);
  }
  const digestUri = attr(firstChild(refs[0], NS.dsig, 'DigestMethod'), 'Algorithm');
  const digestAlgorithm = digestUri ? DIGEST_ALGORITHMS[digestUri] ?? digestUri : null;
  if (!digestUri || !DIGEST_ALGORITHMS[digestUri]) {
    return fail([finding('SAML_SIG_ALGORITHM_FORBIDDEN', `${label} DigestMethod "${digestUri ?? '(none)'}" is not allowed.`, { ...where, algorithm: digestUri })], algorithm, digestAlgorithm);
  }
  const digestValues = childElements(refs[0], NS.dsig, 'DigestValue');
  if (digestValues.length !== 1 || hasSplitText(digestValues[0]) || childElements(digestValues[0]).length > 0 || hasSplitText(sigValues[0]) || childElements(sigValues[0]).length > 0) {
    return fail([finding('SAML_SIG_MALFORMED', `${label} DigestValue or SignatureValue is duplicated or contains comments or markup.`, where)], algorithm, digestAlgorithm);
  }

  // --- which certificate: KeyInfo must name a metadata cert byte for byte; without KeyInfo, exactly one trusted cert
  const keyInfoCerts = descendants(signature, NS.dsig, 'X509Certificate').map((e) => (textOf(e) ?? '').replace(/\s+/g, ''));
  let candidates: MetadataCert[];
  if (keyInfoCerts.length > 0) {
    const foreign = keyInfoCerts.filter((b) => !certs.some((c) => c.base64 === b));
    if (foreign.length > 0) {
      return fail([finding('SAML_SIG_UNTRUSTED_KEY', `${label} Signature's KeyInfo holds a certificate that is not in the IdP metadata.`, { ...where, keyInfoCertSha256: foreignSha256(foreign[0]) })], algorithm, digestAlgorithm);
    }
    candidates = certs.filter((c) => keyInfoCerts.includes(c.base64));
  } else if (certs.length === 1) {
    candidates = [...certs];
  } else {
    return fail([finding('SAML_SIG_UNTRUSTED_KEY', `${label} Signature has no KeyInfo certificate and the metadata holds ${certs.length} certificates; Fleet then cannot pick one.`, { ...where, metadataCerts: certs.length })], algorithm, digestAlgorithm);
  }

  // --- cryptography: digest first (key-independent), then the SignatureValue with each candidate
  let digestOk = true;
  for (const cert of candidates) {
    const sx = new SignedXml({ publicCert: cert.pem, getCertFromKeyInfo: () => null });
    usePiAwareCanonicalization(sx as unknown as { CanonicalizationAlgorithms: Record<string, unknown> });
    try {
      sx.loadSignature(signature);
      const ok = sx.checkSignature(xml);
      if (!ok) { digestOk = false; break; }
      const signed = sx.getSignedReferences();
      if (signed.length !== 1) return fail([finding('SAML_SIG_REFERENCE_INVALID', `${label} Signature produced ${signed.length} signed references.`, where)], algorithm, digestAlgorithm);
      return { valid: true, findings: [], algorithm, digestAlgorithm, cert, signedXml: signed[0] };
    } catch (e) {
      const msg = String((e as Error).message);
      if (/signature value .* is incorrect/.test(msg)) continue;
      if (/multiple elements with the/.test(msg)) return fail([finding('SAML_XML_DUPLICATE_ID', `${label}: ${msg.slice(0, 160)}`, where)], algorithm, digestAlgorithm);
      return fail([finding('SAML_SIG_MALFORMED', `${label} Signature could not be processed: ${msg.slice(0, 160)}`, where)], algorithm, digestAlgorithm);
    }
  }
  if (!digestOk) {
    return fail([finding('SAML_SIG_DIGEST_MISMATCH', `The digest of the signed ${label} does not match its content.`, where)], algorithm, digestAlgorithm);
  }
  return fail([finding('SAML_SIG_INVALID', `${label} SignatureValue does not verify with ${candidates.length === 1 ? 'the' : 'any'} metadata certificate${candidates.length === 1 ? ' ' + candidates[0].thumbprintSha1 : ''}.`, { ...where, triedThumbprints: candidates.map((c) => c.thumbprintSha1) })], algorithm, digestAlgorithm);
}

function foreignSha256(base64: string): string {
  return createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex');
}

/**
 * goxmldsig's acceptance, without samlscope's structural rules: the first KeyInfo certificate (or, without KeyInfo,
 * the only trusted one) must be trusted, then the digest and SignatureValue must verify. `xml` should hold the signed
 * element alone (goxmldsig verifies a detached copy, so IDs elsewhere in the document do not matter).
 */
export function verifyLikeGoxmldsig(xml: string, signature: Element, certs: readonly MetadataCert[], label: string): SignatureCheck {
  const where = { element: label };
  const keyInfo = childElements(signature, NS.dsig, 'KeyInfo')[0];
  const x509 = keyInfo ? childElements(childElements(keyInfo, NS.dsig, 'X509Data')[0] ?? keyInfo, NS.dsig, 'X509Certificate')[0] : undefined;
  let cert: MetadataCert | undefined;
  if (x509) cert = certs.find((c) => c.base64 === (textOf(x509) ?? '').replace(/\s+/g, ''));
  else if (certs.length === 1) cert = certs[0];
  if (!cert) return fail([finding('SAML_SIG_UNTRUSTED_KEY', `${label} Signature names no trusted certificate (as goxmldsig picks one).`, where)]);
  const sx = new SignedXml({ publicCert: cert.pem, getCertFromKeyInfo: () => null });
  usePiAwareCanonicalization(sx as unknown as { CanonicalizationAlgorithms: Record<string, unknown> });
  try {
    sx.loadSignature(signature);
    if (!sx.checkSignature(xml)) return fail([finding('SAML_SIG_DIGEST_MISMATCH', `The digest of the signed ${label} does not match its content.`, where)]);
    return { valid: true, findings: [], algorithm: null, digestAlgorithm: null, cert, signedXml: sx.getSignedReferences()[0] ?? null };
  } catch (e) {
    return fail([finding('SAML_SIG_INVALID', `${label} Signature does not verify: ${String((e as Error).message).slice(0, 160)}`, where)]);
  }
}
