// The --entra-* options: all problems at once, SAMLSCOPE_* fallbacks, tenant and app ID from an app federation metadata URL.
import t from 'tap';
import { preflightCommand } from '../src/commands/preflight.js';
import { OptionReader, parseCommandArgs } from '../src/commands/options.js';
import { idsFromMetadataUrl, readEntraOptions } from '../src/commands/entra-options.js';

const T = '8e7a4f2c-0b1d-4c3e-9f5a-6d2b1c0e9a77';
const A = '3f5b8a52-2f7d-4d8e-9c1b-6a0e4b7c9d00';
const read = (argv: string[], env: Record<string, string> = {}, md?: string) => {
  const o = new OptionReader(parseCommandArgs(preflightCommand, argv, env));
  return { opts: readEntraOptions(o, md), problems: o.problems };
};

t.test('off unless asked for', async (t) => {
  t.same(read([]), { opts: undefined, problems: [] });
});

t.test('every problem at once', async (t) => {
  const r = read(['--entra-tenant', T, '--graph-url', 'http://graph.local']);
  t.equal(r.problems.length, 3, r.problems.join('\n'));
  t.match(r.problems.join('\n'), /--entra-client-id: required[\s\S]*exactly one[\s\S]*--graph-url: Microsoft's libraries need https/);
});

t.test('SAMLSCOPE_* fallbacks, the secret from the environment', async (t) => {
  const r = read(['--entra-tenant', T, '--entra-client-id', A], { SAMLSCOPE_ENTRA_CLIENT_SECRET: 's3cret' });
  t.same(r.problems, []);
  t.equal(r.opts!.clientSecret, 's3cret');
  t.equal(r.opts!.authorityHost, 'https://login.microsoftonline.com');
  t.equal(r.opts!.graphUrl, 'https://graph.microsoft.com');
});

t.test('tenant and app ID from an app federation metadata URL', async (t) => {
  const url = `https://login.microsoftonline.com/${T}/federationmetadata/2007-06/federationmetadata.xml?appid=${A}`;
  t.same(idsFromMetadataUrl(url), { tenantId: T, appId: A });
  t.same(idsFromMetadataUrl('/tmp/md.xml'), {});
  const r = read(['--entra-client-id', A], { SAMLSCOPE_ENTRA_CLIENT_SECRET: 's' }, url);
  t.same(r.problems, []);
  t.equal(r.opts!.tenantId, T);
  t.equal(r.opts!.appId, A);
});
