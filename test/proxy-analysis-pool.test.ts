// The SAML analysis worker pool: same reports as in-process, stuck and crashed workers replaced, a full queue answered with its codes through a real proxy.
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BroadcastChannel } from 'node:worker_threads';
import { pollUntil } from './wait.js';
import { lowerThreadPriority } from '../src/proxy/analysis-worker.js';
import { ANALYSIS_POOL_DEFAULTS, AnalysisUnavailableError, createAnalysisPool, defaultWorkerUrl, withoutLoaders, type AnalysisPool } from '../src/proxy/analysis-pool.js';
import { checkProxyOptions } from '../src/proxy/server.js';
import { analyzeResponse, parseMetadata, type AnalyzeOptions } from '../src/saml/index.js';
import { FIXTURE_PARAMS } from '../scripts/fixture-cases.js';
import { send } from './proxy-helpers.js';
import { setup } from './sso-stack.js';

const fx = (p: string) => new URL('../fixtures/' + p, import.meta.url);
const md = parseMetadata(readFileSync(fx('metadata/test-idp.xml'), 'utf8'));
const opts: AnalyzeOptions = { metadata: md, ...FIXTURE_PARAMS };
const CALLBACK = '/api/v1/fleet/sso/callback';
const FORM = 'application/x-www-form-urlencoded';

// A stand-in worker speaking the pool's messages: "hang" spins forever, "crash" exits, anything else gets a canned reject report.
// Given a channel name, it also says on that BroadcastChannel which job it took, before doing it: the thing a test waits for
// instead of sleeping (the pool has dispatched the job, so its timeout runs, by the time the message is sent).
const dir = mkdtempSync(join(tmpdir(), 'samlscope-pool-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
function writeStubWorker(file: string, channel?: string): URL {
  const url = pathToFileURL(join(dir, file));
  writeFileSync(url, `
import { BroadcastChannel, parentPort } from 'node:worker_threads';
const told = ${channel ? `new BroadcastChannel(${JSON.stringify(channel)})` : 'null'};
parentPort.on('message', (job) => {
  const text = typeof job.input === 'string' ? job.input : Buffer.from(job.input).toString('latin1');
  told?.postMessage(text);
  if (text.includes('hang')) for (;;) {}
  if (text.includes('crash')) process.exit(7);
  parentPort.postMessage({ kind: 'done', id: job.id, report: { verdict: 'reject', findings: [], subject: null, signature: null,
    response: null, assertion: null, xml: null, inputKind: null, relayState: null, checkedAt: job.opts.now.toISOString() } });
});
parentPort.postMessage({ kind: 'ready' });
`);
  return url;
}
const stubWorker = writeStubWorker('stub-worker.mjs');

/** A stub worker telling on its own channel; taken(word) resolves once it has taken a job whose input contains word. */
function tellingStubWorker(t: Test, name: string): { url: URL; taken(word: string): Promise<void> } {
  const channel = new BroadcastChannel(`samlscope-pool-test-${name}-${process.pid}`);
  t.teardown(() => channel.close());
  const seen: string[] = [];
  const waiting: { word: string; resolve: () => void }[] = [];
  channel.onmessage = (e) => {
    seen.push(String((e as { data: unknown }).data));
    for (const w of waiting.filter((x) => seen.some((s) => s.includes(x.word)))) { waiting.splice(waiting.indexOf(w), 1); w.resolve(); }
  };
  return {
    url: writeStubWorker(`stub-worker-${name}.mjs`, channel.name),
    taken: (word) => (seen.some((s) => s.includes(word)) ? Promise.resolve() : new Promise((resolve) => waiting.push({ word, resolve }))),
  };
}
const brokenWorker = pathToFileURL(join(dir, 'broken-worker.mjs'));
writeFileSync(brokenWorker, 'throw new Error("cannot load");\n');

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof AnalysisUnavailableError ? e.reason : 'other error: ' + (e as Error).message;
  }
}

t.test('a worker gives the same report as in-process analysis for every valid and invalid fixture', async (t) => {
  const pool = createAnalysisPool({ workers: 1 });
  t.teardown(() => pool.close());
  t.match(defaultWorkerUrl().pathname, /analysis-worker-boot\.mjs$/, 'from source the worker starts through the tsx bootstrap');
  let n = 0;
  for (const kind of ['valid', 'invalid']) {
    for (const f of readdirSync(fx(`responses/${kind}`))) {
      const bytes = readFileSync(fx(`responses/${kind}/${f}`));
      const [inWorker, inProcess] = await Promise.all([pool.analyze(bytes, opts), analyzeResponse(bytes, opts)]);
      t.same(inWorker, inProcess, `${kind}/${f}`);
      n++;
    }
  }
  t.ok(n > 40, `${n} fixtures compared`);
  const xml = readFileSync(fx('responses/valid/' + readdirSync(fx('responses/valid'))[0]), 'utf8');
  const asString = await pool.analyze(xml, { ...opts, requestId: undefined, allowIdpInitiated: true });
  t.same(asString, await analyzeResponse(xml, { ...opts, requestId: undefined, allowIdpInitiated: true }), 'a string input, other options');
  const bytes = Buffer.from(xml);
  await pool.analyze(bytes, opts);
  t.equal(bytes.toString(), xml, 'the caller\'s buffer is untouched (a copy is transferred)');
  t.match(pool.stats(), { workers: 1, ready: 1, busy: 0, queued: 0, replaced: 0 });
});

t.test('workers: 0 analyses in-process', async (t) => {
  const pool = createAnalysisPool({ workers: 0 });
  const bytes = readFileSync(fx('responses/invalid/SAML_SIG_INVALID.xml'));
  t.same(await pool.analyze(bytes, opts), await analyzeResponse(bytes, opts));
  t.same(pool.stats(), { workers: 0, ready: 0, priorities: [], busy: 0, queued: 0, replaced: 0 });
  await pool.close();
  t.throws(() => createAnalysisPool({ workers: -1 }));
  t.match(checkProxyOptions({ upstream: 'http://127.0.0.1:1', metadata: md, analysisWorkers: 1.5 }), [/^analysisWorkers:/]);
});

t.test('workers run at a lower CPU priority (nice 10, their own threads only); nice 0 leaves them', async (t) => {
  const bytes = readFileSync(fx('responses/invalid/SAML_SIG_INVALID.xml'));
  /** the nice value of one thread of this process, as the kernel reports it (field 19 of /proc/PID/task/TID/stat) */
  const kernelNice = (tid: number) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[16]);
  const pool = createAnalysisPool({ workers: 2 });
  t.teardown(() => pool.close());
  await pool.analyze(bytes, opts);
  await pollUntil('both workers ready', () => pool.stats().ready >= 2, { timeoutMs: 5_000, everyMs: 25 });
  const prios = pool.stats().priorities;
  t.equal(prios.length, 2, 'both workers report their priority');
  for (const p of prios) {
    t.equal(p.nice, ANALYSIS_POOL_DEFAULTS.nice);
    t.equal(kernelNice(p.tid), 10, `the kernel runs thread ${p.tid} at nice 10`);
  }
  t.equal(kernelNice(process.pid), 0, 'the main thread (pass-through traffic) keeps its priority');
  const plain = createAnalysisPool({ workers: 1, nice: 0 });
  t.teardown(() => plain.close());
  await plain.analyze(bytes, opts);
  t.same(plain.stats().priorities, [], 'nice 0: not lowered');
  t.equal(lowerThreadPriority(0), null);
});

t.test('a job that hangs is timed out, its worker terminated and replaced; the next job runs', async (t) => {
  const replaced: string[] = [];
  const pool = createAnalysisPool({ workers: 1, timeoutMs: 400, workerUrl: stubWorker, onReplace: (e) => replaced.push(e.reason) });
  t.teardown(() => pool.close());
  const t0 = Date.now();
  t.equal(await reason(pool.analyze('hang', opts)), 'timeout');
  t.ok(Date.now() - t0 < 3000, 'failed within the timeout, not wedged');
  t.same(replaced, ['timeout']);
  t.equal((await pool.analyze('fine', opts)).verdict, 'reject', 'the replacement answers');
  t.match(pool.stats(), { workers: 1, busy: 0, queued: 0, replaced: 1 });
});

t.test('a crashed worker is replaced and its job fails with reason crashed', async (t) => {
  const pool = createAnalysisPool({ workers: 1, workerUrl: stubWorker });
  t.teardown(() => pool.close());
  t.equal(await reason(pool.analyze(Buffer.from('crash'), opts)), 'crashed');
  t.equal((await pool.analyze(Buffer.from('fine'), opts)).verdict, 'reject', 'the replacement answers');
  t.equal(pool.stats().replaced, 1);
});

t.test('a full queue answers busy at once; waiting jobs run after the stuck one is replaced; close fails what waits', async (t) => {
  const pool: AnalysisPool = createAnalysisPool({ workers: 1, maxQueue: 1, timeoutMs: 600, workerUrl: stubWorker });
  await pollUntil('a worker ready', () => pool.stats().ready > 0, { everyMs: 20 });
  const stuck = reason(pool.analyze('hang', opts));
  const waiting = pool.analyze('fine', opts);
  t.match(pool.stats(), { busy: 1, queued: 1 });
  t.equal(await reason(pool.analyze('fine', opts)), 'busy', 'the third is refused without waiting');
  t.equal(await stuck, 'timeout');
  t.equal((await waiting).verdict, 'reject', 'the waiting job ran on the replacement');
  const stuckAgain = reason(pool.analyze('hang', opts));
  await pollUntil('the stuck job running', () => pool.stats().busy > 0, { everyMs: 20 });
  const queued = reason(pool.analyze('fine', opts));
  await pool.close();
  t.equal(await stuckAgain, 'closed');
  t.equal(await queued, 'closed');
  t.equal(await reason(pool.analyze('fine', opts)), 'closed');
});

t.test('a worker that cannot start fails the waiting jobs instead of leaving them waiting', async (t) => {
  const pool = createAnalysisPool({ workers: 1, workerUrl: brokenWorker });
  t.teardown(() => pool.close());
  t.equal(await reason(pool.analyze('fine', opts)), 'crashed');
});

t.test('loader flags stay out of a source worker', async (t) => {
  t.same(withoutLoaders(['--import=x', '--enable-source-maps', '--loader', 'y', '-r', 'z', '--max-old-space-size=100']), ['--enable-source-maps', '--max-old-space-size=100']);
});

t.test('a process started with flags a thread refuses (--max-old-space-size, --max-semi-space-size) still gets its analysis workers', async (t) => {
  const script = join(dir, 'flags.mts');
  writeFileSync(script, `
import { readFileSync } from 'node:fs';
import { createAnalysisPool } from ${JSON.stringify(new URL('../src/proxy/analysis-pool.ts', import.meta.url).href)};
import { analyzeResponse, parseMetadata } from ${JSON.stringify(new URL('../src/saml/index.ts', import.meta.url).href)};
const md = parseMetadata(readFileSync(${JSON.stringify(fx('metadata/test-idp.xml').pathname)}, 'utf8'));
const pool = createAnalysisPool({ workers: 1 });
const r = await pool.analyze(Buffer.from('<x/>'), { metadata: md, now: new Date() });
process.stdout.write(JSON.stringify({ verdict: r.verdict, same: JSON.stringify(r) === JSON.stringify(await analyzeResponse(Buffer.from('<x/>'), { metadata: md, now: new Date(r.checkedAt) })), ready: pool.stats().ready }));
await pool.close();
`);
  const { execFileSync } = await import('node:child_process');
  const { childEnv } = await import('./child-env.js');
  const out = execFileSync(process.execPath, ['--max-old-space-size=300', '--max-semi-space-size=16', '--import', 'tsx', script], { env: childEnv(), encoding: 'utf8' });
  t.match(JSON.parse(out.trim().split('\n').pop() as string), { verdict: 'reject', same: true, ready: 1 }, 'the worker started and analysed');
});

for (const mode of ['enforce', 'observe'] as const) {
  t.test(`${mode}: through the proxy, a full queue and a stuck analysis give SAML_FLEET_ANALYSIS_UNAVAILABLE${mode === 'enforce' ? ' and EDGE_ANALYSIS_UNAVAILABLE' : ', forwarded'}`, async (t) => {
    const worker = tellingStubWorker(t, mode);
    const { proxy, callbacks } = await setup(t, mode, { analysisWorkers: 1, analysisPool: { maxQueue: 1, timeoutMs: 2500, workerUrl: worker.url } });
    const post = (body: string) => send(proxy.url, { method: 'POST', path: CALLBACK, body: Buffer.from(body), headers: { 'content-type': FORM, accept: 'application/json' } });
    const first = post('SAMLResponse=' + Buffer.from('hang').toString('base64'));
    await worker.taken('hang');
    // the only worker is stuck: of two more callbacks, the one that reaches the pool first waits in the queue (size 1), the other is refused
    const [r1, ra, rb] = await Promise.all([first, post('SAMLResponse=' + Buffer.from('fine').toString('base64')), post('SAMLResponse=' + Buffer.from('fine').toString('base64'))]);
    const [busy, analysed] = ra.status === 503 ? [ra, rb] : [rb, ra];
    const attempts = await proxy.store.listAttempts(10);
    const unavailable = (a: (typeof attempts)[number]) => a.findings.find((f) => f.code === 'SAML_FLEET_ANALYSIS_UNAVAILABLE')?.evidence?.reason ?? 'analysed';
    t.same(attempts.map(unavailable).sort(), ['analysed', 'busy', 'timeout'], 'one refused as busy, one timed out, one analysed');
    if (mode === 'enforce') {
      for (const [r, what] of [[busy, 'busy'], [r1, 'timeout']] as const) {
        t.equal(r.status, 503, `${what}: 503`);
        t.same(JSON.parse(r.body.toString()).error, { code: 'EDGE_ANALYSIS_UNAVAILABLE', status: 503, title: JSON.parse(r.body.toString()).error.title, requestId: JSON.parse(r.body.toString()).error.requestId, findings: ['SAML_FLEET_ANALYSIS_UNAVAILABLE'] }, `${what}: the EDGE code and the finding`);
      }
      t.equal(analysed.status, 403, 'the analysed one is judged (the stub rejects it)');
      t.equal(JSON.parse(analysed.body.toString()).error.code, 'EDGE_SSO_REJECTED');
      t.equal(callbacks(), 0, 'Fleet saw none');
      t.ok(attempts.every((a) => a.action === 'blocked'));
    } else {
      t.equal(callbacks(), 3, 'all three forwarded to Fleet');
      t.ok([r1, ra, rb].every((r) => r.status !== 503), 'Fleet answered each');
      t.ok(attempts.every((a) => a.action === 'forwarded'));
    }
  });
}
