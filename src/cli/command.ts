import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ShadowError } from '../errors.ts';

/** A command's behaviour; its name and one-line summary live in the command list (commands.ts). */
export interface Command {
  /** Full help text: usage line, then options. Printed by `--help`. */
  readonly help: string;
  run(argv: string[]): Promise<number>;
}

/** What the command list holds: enough for `--help`, the command itself loaded on use. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  // No default here: createContext applies it, and `demo` must tell "not given" from "given".
  config: { type: 'string', short: 'c' },
  'log-level': { type: 'string', default: 'info' },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

export const COMMON_HELP = `  -c, --config FILE   config file (default: shadow-compare.yaml in the current directory); relative
                      paths inside it resolve against the file's own directory
      --log-level L   trace|debug|info|warn|error|fatal|silent (default: info); logs go to stderr,
                      human-readable on a terminal, JSON lines otherwise
      --debug         print the stack trace of an error
  -h, --help          this help`;

/** Strict flag parsing: an unknown flag is an error naming the flag, not silently ignored. */
export type ParsedFlags<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & O; allowPositionals: boolean; strict: true }>>;

export function parseFlags<O extends Options>(argv: string[], options: O, allowPositionals = true): ParsedFlags<O> {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
  } catch (err) {
    throw new ShadowError('SHADOW_CONFIG', flagErrorMessage(err));
  }
}

// node:util's messages are long and suggest `--` tricks; these say which flag and what was expected.
function flagErrorMessage(err: unknown): string {
  const e = err as Error & { code?: string };
  const quoted = /'([^']+)'/.exec(e.message)?.[1] ?? '';
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${quoted} (see --help for the flags this command takes)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted.split(' ')[0];
      if (/ambiguous/.test(e.message)) return `${flag}: its value starts with "-"; write it as ${flag}=VALUE`;
      return `${flag}: ${/argument missing/.test(e.message) ? 'needs a value' : 'takes no value'}`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}": this command takes no positional arguments`;
    default:
      return e.message;
  }
}

/** A count or size flag: a whole number >= min, or a usage error naming the flag. */
export function intFlag(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new ShadowError('SHADOW_CONFIG', `--${name}: expected a whole number >= ${min}, got "${text}"`);
  }
  return n;
}

/** Exactly `names.length` positionals, or a usage error showing the usage line. */
export function positionalArgs<const N extends readonly string[]>(positionals: string[], names: N, usage: string): { [K in keyof N]: string } {
  if (positionals.length !== names.length) {
    const what = positionals.length < names.length ? `missing ${names.slice(positionals.length).join(' ')}` : `unexpected argument "${positionals[names.length]}"`;
    throw new ShadowError('SHADOW_CONFIG', `${what}; usage: ${usage}`);
  }
  return positionals as unknown as { [K in keyof N]: string };
}
