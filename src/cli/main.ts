import { isShadowError, errorMessage } from '../errors.ts';
import type { CommandEntry } from './command.ts';
import { commands } from './commands.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';

function usage(list: readonly CommandEntry[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `shadow-compare: compare a candidate model with production on mirrored traffic

Usage: shadow-compare <command> [options]   (shadow-compare <command> --help for details)

Commands:
${lines.join('\n')}

Exit codes: 0 ok (gate: PROMOTE), 1 failure, 2 usage or input error, 3 HOLD, 4 REJECT, 5 NOT READY
(docs/cli.md).
`;
}

/** Returns the process exit code (table in exit-codes.ts and docs/cli.md). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    // Asked for: stdout, exit 0. Not asked for (no command): stderr, usage error.
    (name ? process.stdout : process.stderr).write(usage(commands));
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`error SHADOW_CONFIG: unknown command "${name}"; shadow-compare --help lists the commands\n`);
    return EXIT.USAGE;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${command.help}\n`);
      return EXIT.OK;
    }
    return await command.run(rest);
  } catch (err) {
    process.stderr.write(formatError(err, rest.includes('--debug')));
    return exitCodeFor(err);
  }
}

/**
 * One line: `error CODE: message`. Stack traces (with their causes) only with --debug: an error
 * the user can fix by retyping must not look like a crash.
 */
export function formatError(err: unknown, debug: boolean): string {
  const code = isShadowError(err) ? err.code : 'SHADOW_INTERNAL';
  const hint = !isShadowError(err) && !debug ? ' (rerun with --debug for the stack trace)' : '';
  const line = `error ${code}: ${errorMessage(err).replace(/\s*\n\s*/g, ' ')}${hint}\n`;
  if (!debug) return line;
  const stacks: string[] = [];
  for (let e: unknown = err; e instanceof Error && stacks.length < 5; e = e.cause) stacks.push(`${stacks.length ? 'caused by: ' : ''}${e.stack ?? e.message}`);
  return `${line}${stacks.join('\n')}\n`;
}
