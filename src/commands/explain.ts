// `samlscope explain "AADSTS50105: ..."`: what an Entra error page's code means and where to fix it (exit 0 known, 1 unknown code, 2 no code).
import { explainAadsts } from '../saml/aadsts.js';
import { readInput } from './load.js';
import { OptionReader, type CommandDef } from './options.js';

export const explainCommand: CommandDef = {
  name: 'explain',
  summary: 'the meaning and remedy of an Entra AADSTS error (paste the code or the whole error text; - reads standard input)',
  usage: 'samlscope explain [--json] "AADSTS50105: ..." | -',
  positionals: true,
  options: {
    json: { type: 'boolean', description: 'print one JSON object' },
  },
  async run(args, io) {
    const o = new OptionReader(args);
    if (args.positionals.length === 0) o.problems.push('give the Entra error text or an AADSTS code (or - for standard input)');
    o.check();
    const text = args.positionals.length === 1 && args.positionals[0] === '-'
      ? (await readInput(undefined, io.readStdin)).toString('utf8')
      : args.positionals.join(' ');
    const codes = explainAadsts(text);
    if (o.bool('json')) io.stdout(JSON.stringify({ codes }) + '\n');
    else if (codes.length === 0) io.stdout('No AADSTS code found in the text. Entra\'s error page shows one as "AADSTSnnnnn: ...".\n');
    else for (const c of codes) io.stdout(`AADSTS${c.code}: ${c.meaning ?? 'not in samlscope\'s table: search the code in Microsoft\'s AADSTS error reference'}\n${c.remedy ? `  fix: ${c.remedy}\n` : ''}`);
    if (codes.length === 0) return 2;
    return codes.every((c) => c.meaning !== null) ? 0 : 1;
  },
};
