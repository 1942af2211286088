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
  config: { type: 'string', short: 'c', default: 'shadow-compare.yaml' },
  'log-level': { type: 'string', default: 'info' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

export const COMMON_HELP = `  -c, --config FILE   config file (default: shadow-compare.yaml)
      --log-level L   pino level: trace|debug|info|warn|error (default: info)
  -h, --help          this help`;

/** Strict flag parsing: an unknown flag is an error naming the flag, not silently ignored. */
export function parseFlags<O extends Options>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
  } catch (err) {
    throw new ShadowError('SHADOW_CONFIG', (err as Error).message);
  }
}
