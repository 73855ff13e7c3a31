// Command-line options for every samlscope command: flags, SAMLSCOPE_<OPTION> environment fallbacks, all problems at once.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NEWEST_KNOWN_FLEET, parseFleetVersion } from '../fleet/versions.js';

export type OptionType = 'string' | 'boolean';

export interface OptionSpec {
  type: OptionType;
  description: string;
  /** value placeholder for --help, e.g. FILE */
  value?: string;
  default?: string | boolean;
  multiple?: boolean;
}

export interface CommandIo {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** reads all of standard input */
  readStdin: () => Promise<Buffer>;
  /** resolves when the process is asked to stop (SIGINT/SIGTERM) */
  stopSignal: Promise<void>;
}

export interface CommandDef {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** whether positional arguments are accepted */
  positionals?: boolean;
  /** returns the exit code (long-running commands resolve when stopped) */
  run: (args: ParsedArgs, io: CommandIo) => Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export class UsageError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'UsageError';
  }
}

export function envName(option: string): string {
  return 'SAMLSCOPE_' + option.toUpperCase().replace(/-/g, '_');
}

/** Parses argv for one command; options missing from argv are read from SAMLSCOPE_<OPTION>. Throws UsageError with every problem. */
export function parseCommandArgs(def: CommandDef, argv: string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const problems: string[] = [];
  const spec: Record<string, { type: OptionType; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const [name, o] of Object.entries(def.options)) spec[name] = { type: o.type, multiple: o.multiple === true };
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: spec, allowPositionals: true, strict: false });
  } catch (e) {
    throw new UsageError([(e as Error).message]);
  }
  const values: ParsedArgs['values'] = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    if (name === 'help') { values.help = Boolean(raw); continue; }
    const o = def.options[name];
    if (!o) { problems.push(`--${name}: unknown option for "samlscope ${def.name}"`); continue; }
    if (o.type === 'string' && (raw === true || (Array.isArray(raw) && raw.some((r) => r === true)))) {
      problems.push(`--${name}: needs a value (${o.value ?? 'VALUE'})`);
      continue;
    }
    if (o.type === 'boolean' && typeof raw !== 'boolean') {
      problems.push(`--${name}: takes no value`);
      continue;
    }
    values[name] = raw as string | boolean | string[];
  }
  for (const [name, o] of Object.entries(def.options)) {
    if (values[name] !== undefined) continue;
    const fromEnv = env[envName(name)];
    if (fromEnv !== undefined && fromEnv !== '') {
      if (o.type === 'boolean') {
        if (/^(1|true|yes|on)$/i.test(fromEnv)) values[name] = true;
        else if (/^(0|false|no|off)$/i.test(fromEnv)) values[name] = false;
        else problems.push(`${envName(name)}: expected true or false, got "${fromEnv}"`);
      } else {
        values[name] = o.multiple ? fromEnv.split(',').map((s) => s.trim()).filter(Boolean) : fromEnv;
      }
    } else if (o.default !== undefined) {
      values[name] = o.default;
    }
  }
  if (!def.positionals && parsed.positionals.length > 0) problems.push(`unexpected argument "${parsed.positionals[0]}"`);
  if (problems.length > 0) throw new UsageError(problems);
  return { values, positionals: parsed.positionals };
}

export function helpText(def: CommandDef): string {
  const lines = [`samlscope ${def.name}: ${def.summary}`, '', `usage: ${def.usage}`, '', 'options:'];
  for (const [name, o] of Object.entries(def.options)) {
    const flag = `--${name}${o.type === 'string' ? ' ' + (o.value ?? 'VALUE') : ''}`;
    const dflt = o.default !== undefined && o.default !== false ? ` (default ${String(o.default)})` : '';
    lines.push(`  ${flag.padEnd(34)} ${o.description}${dflt}  [${envName(name)}]`);
  }
  lines.push(`  ${'--help'.padEnd(34)} this text`);
  return lines.join('\n') + '\n';
}

/** Typed accessors that collect problems instead of throwing one at a time. */
export class OptionReader {
  readonly problems: string[] = [];
  constructor(private readonly args: ParsedArgs) {}
  str(name: string): string | undefined {
    const v = this.args.values[name];
    return typeof v === 'string' ? v : Array.isArray(v) ? v[v.length - 1] : undefined;
  }
  list(name: string): string[] {
    const v = this.args.values[name];
    if (Array.isArray(v)) return v.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
  }
  bool(name: string): boolean {
    return this.args.values[name] === true;
  }
  required(name: string, hint = ''): string {
    const v = this.str(name);
    if (v === undefined || v === '') { this.problems.push(`--${name}: required${hint ? ' (' + hint + ')' : ''}`); return ''; }
    return v;
  }
  int(name: string, min: number, max: number): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) { this.problems.push(`--${name}: expected a whole number from ${min} to ${max}, got "${v}"`); return undefined; }
    return n;
  }
  url(name: string, required = false): URL | undefined {
    const v = required ? this.required(name) : this.str(name);
    if (!v) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
      return u;
    } catch {
      this.problems.push(`--${name}: not an http(s) URL: "${v}"`);
      return undefined;
    }
  }
  date(name: string): Date | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(v)) { this.problems.push(`--${name}: expected an ISO-8601 time like 2026-01-31T12:00:00Z, got "${v}"`); return undefined; }
    return d;
  }
  /** --fleet-version: a Fleet release (src/fleet/versions.ts decides which rules it means); default the newest known */
  fleetVersion(name = 'fleet-version'): string {
    const v = this.str(name);
    if (v === undefined) return NEWEST_KNOWN_FLEET;
    if (!parseFleetVersion(v)) { this.problems.push(`--${name}: expected a Fleet release like ${NEWEST_KNOWN_FLEET}, got "${v}"`); return NEWEST_KNOWN_FLEET; }
    return v;
  }
  /** host:port for --listen style options; port 0 allowed */
  listen(name: string): { host: string; port: number } | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(v);
    if (!m || Number(m[2]) > 65535) { this.problems.push(`--${name}: expected HOST:PORT, got "${v}"`); return undefined; }
    return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  }
  /** the contents of the file named by --NAME (utf8 text, or bytes); a file that cannot be read is a problem */
  file(name: string): Buffer | undefined;
  file(name: string, encoding: 'utf8'): string | undefined;
  file(name: string, encoding?: 'utf8'): Buffer | string | undefined {
    const path = this.str(name);
    if (!path) return undefined;
    try {
      return encoding ? readFileSync(path, encoding) : readFileSync(path);
    } catch (e) {
      this.problems.push(`--${name}: cannot read "${path}": ${(e as Error).message}`);
      return undefined;
    }
  }
  /** a certificate and its key (--tls-cert / --tls-key style): both or neither */
  keyPair(certName: string, keyName: string): { cert: Buffer; key: Buffer } | undefined {
    if (Boolean(this.str(certName)) !== Boolean(this.str(keyName))) this.problems.push(`--${certName} and --${keyName} go together`);
    const cert = this.file(certName);
    const key = this.file(keyName);
    return cert && key ? { cert, key } : undefined;
  }
  /** how to trust a TLS peer: an extra CA (PEM file) or no verification at all, never both */
  trust(caName: string, insecureName: string): { ca: string | undefined; insecure: boolean } {
    const insecure = this.bool(insecureName);
    if (this.str(caName) && insecure) this.problems.push(`--${caName} and --${insecureName}: choose one`);
    return { ca: this.file(caName, 'utf8'), insecure };
  }
  check(): void {
    if (this.problems.length > 0) throw new UsageError(this.problems);
  }
}

/** The --fleet-version option as every command that predicts Fleet declares it. */
export const FLEET_VERSION_OPTION: OptionSpec = {
  type: 'string', value: 'X.Y.Z', description: `the Fleet release to predict (rules that changed between releases: src/fleet/versions.ts)`, default: NEWEST_KNOWN_FLEET,
};
