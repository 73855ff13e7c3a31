// The registry of samlscope commands, in the order --help lists them.
import type { CommandDef } from './options.js';

export const COMMANDS: CommandDef[] = [];
import { idpCommand } from './idp.js'; COMMANDS.push(idpCommand);
