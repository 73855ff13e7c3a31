// The registry of samlscope commands, in the order --help lists them (DESIGN.md's order).
import type { CommandDef } from './options.js';
import { demoCommand } from './demo.js';
import { proxyCommand } from './proxy.js';
import { edgeConfigCommand } from './edge-config.js';
import { idpCommand } from './idp.js';
import { checkCommand } from './check.js';
import { decodeCommand } from './decode.js';
import { loginCommand } from './login.js';
import { fleetSimCommand } from './fleet-sim.js';
import { preflightCommand } from './preflight.js';
import { explainCommand } from './explain.js';

export const COMMANDS: CommandDef[] = [demoCommand, proxyCommand, edgeConfigCommand, idpCommand, checkCommand, preflightCommand, decodeCommand, explainCommand, loginCommand, fleetSimCommand];
