// The registry of samlscope commands, in the order --help lists them.
import type { CommandDef } from './options.js';

export const COMMANDS: CommandDef[] = [];
import { checkCommand } from './check.js'; COMMANDS.push(checkCommand);
import { decodeCommand } from './decode.js'; COMMANDS.push(decodeCommand);
import { idpCommand } from './idp.js'; COMMANDS.push(idpCommand);
import { fleetSimCommand } from './fleet-sim.js'; COMMANDS.push(fleetSimCommand);
import { loginCommand } from './login.js'; COMMANDS.push(loginCommand);
import { proxyCommand } from './proxy.js'; COMMANDS.push(proxyCommand);
import { demoCommand } from './demo.js'; COMMANDS.push(demoCommand);
