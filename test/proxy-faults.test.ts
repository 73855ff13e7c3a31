// Every mock-IdP fault through the proxy, in observe and in enforce: the attempt names the fault's code, and enforce blocks exactly the errors.
import t from 'tap';
import { CATALOGUE } from '../src/saml/index.js';
import { FAULT_NAMES, expectedCodeFor, type FaultName } from '../src/idp/faults.js';
import { login } from '../src/login/login.js';
import { setup } from './sso-stack.js';

/** Per login against the default metadata the expired cert is unknown to the SP (faults.ts says so). */
function expectedFor(name: FaultName): string | null {
  if (name === 'cert-expired') return 'SAML_SIG_UNTRUSTED_KEY';
  return expectedCodeFor({ name });
}
const faultArg = (name: FaultName) => (name === 'slow' ? 'slow:200' : name);

for (const mode of ['observe', 'enforce'] as const) {
  t.test(`${mode}: every fault`, async (t) => {
    const { proxy, sim, callbacks } = await setup(t, mode);
    t.ok(FAULT_NAMES.length >= 22, `${FAULT_NAMES.length} faults`);
    for (const name of FAULT_NAMES) {
      const before = callbacks();
      const r = await login({ fleetUrl: proxy.url, user: 'alice@contoso.example', fault: faultArg(name) });
      const [a] = await proxy.store.listAttempts(1);
      const code = expectedFor(name);
      const isError = code !== null && CATALOGUE[code as keyof typeof CATALOGUE].severity === 'error';
      if (code !== null) t.ok(a.findings.some((f) => f.code === code), `${name}: attempt reports ${code} (got ${a.findings.map((f) => f.code).join(',')})`);
      t.equal(a.verdict, isError ? 'reject' : 'accept', `${name}: verdict`);
      if (mode === 'enforce' && isError) {
        t.equal(a.action, 'blocked', `${name}: blocked`);
        t.equal(callbacks(), before, `${name}: Fleet never saw it`);
        t.match(r, { outcome: 'failed', reason: 'callback_blocked' }, `${name}: the browser got samlscope's 403, not a session`);
      } else {
        t.equal(a.action, 'forwarded', `${name}: forwarded`);
        t.equal(callbacks(), before + 1, `${name}: Fleet saw it`);
        t.not(a.fleet.actual, 'unknown', `${name}: Fleet's answer recorded`);
        if (!isError) t.equal(r.outcome, name === 'persistent-nameid' || name === 'missing-nameid' ? 'fleet_status' : 'success', `${name}: login outcome`);
      }
    }
    t.ok(sim.events.length > 0);
  });
}
