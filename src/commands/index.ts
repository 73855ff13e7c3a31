// The registry of samlscope commands, in the order --help lists them (DESIGN.md's order); each is loaded only when run.
import type { CommandDef } from './options.js';

export interface CommandEntry {
  name: string;
  /** imports the command's module: `check` or `explain` never load the proxy, Graph or browser-facing code */
  load(): Promise<CommandDef>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'demo', load: async () => (await import('./demo.js')).demoCommand },
  { name: 'proxy', load: async () => (await import('./proxy.js')).proxyCommand },
  { name: 'edge-config', load: async () => (await import('./edge-config.js')).edgeConfigCommand },
  { name: 'idp', load: async () => (await import('./idp.js')).idpCommand },
  { name: 'check', load: async () => (await import('./check.js')).checkCommand },
  { name: 'preflight', load: async () => (await import('./preflight.js')).preflightCommand },
  { name: 'decode', load: async () => (await import('./decode.js')).decodeCommand },
  { name: 'explain', load: async () => (await import('./explain.js')).explainCommand },
  { name: 'login', load: async () => (await import('./login.js')).loginCommand },
  { name: 'fleet-sim', load: async () => (await import('./fleet-sim.js')).fleetSimCommand },
];
