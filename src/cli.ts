// samlscope's command line: the only place that reads argv, the environment and the process's streams.
import { parseCommandArgs, helpText, UsageError, type CommandDef, type CommandIo } from './commands/options.js';
import { COMMANDS } from './commands/index.js';

async function topHelp(): Promise<string> {
  const lines = ['samlscope: see into, test and trust Fleet\'s SAML SSO with Microsoft Entra ID', '', 'commands:'];
  for (const c of await Promise.all(COMMANDS.map((e) => e.load()))) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  lines.push('', 'samlscope <command> --help for its options; every option also reads SAMLSCOPE_<OPTION>.');
  return lines.join('\n') + '\n';
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await topHelp());
    return name ? 0 : 2;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`samlscope: unknown command "${name}"\n\n${await topHelp()}`);
    return 2;
  }
  const def: CommandDef = await entry.load();
  const stopSignal = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const io: CommandIo = {
    argv: rest,
    env: process.env,
    stdout: (s) => { process.stdout.write(s); },
    stderr: (s) => { process.stderr.write(s); },
    readStdin,
    stopSignal,
  };
  try {
    const args = parseCommandArgs(def, rest, process.env);
    if (args.values.help) { io.stdout(helpText(def)); return 0; }
    return await def.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`samlscope ${def.name}: ${e.problems.length} problem(s) with the options:\n${e.problems.map((p) => '  - ' + p).join('\n')}\n\n${helpText(def)}`);
      return 2;
    }
    io.stderr(`samlscope ${def.name}: ${(e as Error).message}\n`);
    return 2;
  }
}

const code = await main(process.argv.slice(2));
// Commands resolve when done (servers: when stopped); leave even if a library keeps a handle open.
process.exitCode = code;
setImmediate(() => process.exit(code));
