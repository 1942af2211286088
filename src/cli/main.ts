import { isShadowError, errorMessage } from '../errors.ts';
import type { CommandEntry } from './command.ts';
import { commands } from './commands.ts';

function usage(list: readonly CommandEntry[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `shadow-compare: compare a candidate model with production on mirrored traffic

Usage: shadow-compare <command> [options]   (shadow-compare <command> --help for details)

Commands:
${lines.join('\n')}
`;
}

/** Returns the process exit code. 2 = usage or configuration error (the gate owns 0/1/3). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage(commands));
    return name ? 0 : 2;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`unknown command "${name}"\n\n${usage(commands)}`);
    return 2;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${command.help}\n`);
      return 0;
    }
    return await command.run(rest);
  } catch (err) {
    const code = isShadowError(err) ? err.code : 'SHADOW_INTERNAL';
    process.stderr.write(`error ${code}: ${errorMessage(err)}\n`);
    if (!isShadowError(err) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}
