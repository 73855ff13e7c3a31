// xml-crypto's canonicalizers with processing instructions rendered as XML-C14N says (xml-crypto emits only their data, as text).
import { C14nCanonicalization, ExclusiveCanonicalization } from 'xml-crypto';

const PROCESSING_INSTRUCTION = 7;

/** A processing instruction in canonical form: `<?target data?>`, the space only when there is data. */
function renderPi(node: { target?: string; data?: string }): string {
  return `<?${node.target ?? ''}${node.data ? ' ' + node.data : ''}?>`;
}

/** Exclusive XML-C14N (without comments) that canonicalises processing instructions as goxmldsig and xmlsec1 do. */
export class PiAwareExclusiveCanonicalization extends ExclusiveCanonicalization {
  override processInner(node: { nodeType?: number; target?: string; data?: string }, ...rest: [unknown, unknown, unknown, string[]]): string {
    if (node.nodeType === PROCESSING_INSTRUCTION) return renderPi(node);
    return super.processInner(node, ...rest);
  }
}

/** Inclusive XML-C14N 1.0 (without comments), processing instructions as the specification renders them. */
export class PiAwareC14nCanonicalization extends C14nCanonicalization {
  override processInner(node: { nodeType?: number; target?: string; data?: string }, ...rest: [unknown, unknown, unknown, unknown, unknown?]): string {
    if (node.nodeType === PROCESSING_INSTRUCTION) return renderPi(node);
    return super.processInner(node, ...(rest as [unknown, unknown, unknown, unknown]));
  }
}

/** Registers the PI-aware canonicalizers on a SignedXml instance (for references and SignedInfo alike). */
export function usePiAwareCanonicalization(sx: { CanonicalizationAlgorithms: Record<string, unknown> }): void {
  sx.CanonicalizationAlgorithms['http://www.w3.org/2001/10/xml-exc-c14n#'] = PiAwareExclusiveCanonicalization;
  sx.CanonicalizationAlgorithms['http://www.w3.org/TR/2001/REC-xml-c14n-20010315'] = PiAwareC14nCanonicalization;
}
