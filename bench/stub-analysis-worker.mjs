// For bench/proxy.ts only: an analysis worker that judges nothing (answers every job at once with an empty reject report),
// so the SSO-under-attack run can tell the cost of SAML analysis apart from the cost of carrying the callbacks.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (job) => {
  parentPort.postMessage({ kind: 'done', id: job.id, report: { verdict: 'reject', findings: [], subject: null, signature: null,
    response: null, assertion: null, xml: null, inputKind: null, relayState: null, checkedAt: job.opts.now.toISOString() } });
});
parentPort.postMessage({ kind: 'ready', priority: null });
