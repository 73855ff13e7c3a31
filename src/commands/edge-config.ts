// `samlscope edge-config`: prints the routing for nginx, Caddy or HAProxy that sends Fleet's SSO routes to `samlscope proxy --edge`.
import { DEFAULT_HAPROXY_BIND, FRONTS, parseEdgeInput, renderEdgeConfig } from '../edge/index.js';
import { OptionReader, UsageError, type CommandDef } from './options.js';

export const edgeConfigCommand: CommandDef = {
  name: 'edge-config',
  summary: 'print the routing for your nginx, Caddy or HAProxy: SSO routes to samlscope --edge, everything else to Fleet',
  usage: 'samlscope edge-config --for nginx|caddy|haproxy --fleet URL --samlscope URL [--url-prefix P] [--fleet-ca FILE] [--samlscope-ca FILE] [--front-address CIDRs] [--public-url URL] [--bind LINE]',
  options: {
    for: { type: 'string', value: FRONTS.join('|'), description: 'the front proxy to write the routing for (required)' },
    fleet: { type: 'string', value: 'URL', description: 'Fleet as the front reaches it, e.g. https://127.0.0.1:8443 (required)' },
    samlscope: { type: 'string', value: 'URL', description: '`samlscope proxy --edge` as the front reaches it, e.g. http://127.0.0.1:8081 (required)' },
    'url-prefix': { type: 'string', value: 'PATH', description: 'Fleet\'s server.url_prefix' },
    'fleet-ca': { type: 'string', value: 'FILE', description: 'CA file (path as the front reads it) for an https --fleet; default the system store' },
    'samlscope-ca': { type: 'string', value: 'FILE', description: 'CA file for an https --samlscope; default the system store' },
    'front-address': { type: 'string', multiple: true, value: 'CIDRs', description: 'where the front connects from, for the trusted-proxies advice (default loopback when all three share a host)' },
    'public-url': { type: 'string', value: 'URL', description: 'Fleet\'s server_url, for the samlscope command line in the comments' },
    bind: { type: 'string', value: 'LINE', description: `HAProxy only: the frontend's bind line (default "${DEFAULT_HAPROXY_BIND}")` },
  },
  async run(args, io) {
    const o = new OptionReader(args);
    const { input, problems } = parseEdgeInput({
      front: o.str('for'), fleet: o.str('fleet'), samlscope: o.str('samlscope'), fleetCa: o.str('fleet-ca'), samlscopeCa: o.str('samlscope-ca'),
      urlPrefix: o.str('url-prefix'), bind: o.str('bind'), frontAddresses: o.list('front-address'), publicUrl: o.str('public-url'),
    });
    o.problems.push(...problems);
    o.check();
    if (!input) throw new UsageError(['edge-config: no input']);
    io.stdout(renderEdgeConfig(input));
    return 0;
  },
};
