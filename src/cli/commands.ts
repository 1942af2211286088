import type { Command } from './command.ts';
import { demoCommand } from './demo.ts';
import { migrateCommand } from './migrate.ts';
import { replayCommand } from './replay.ts';
import { runCommand } from './run.ts';

/** Every CLI command, in the order `--help` lists them. */
export const commands: readonly Command[] = [demoCommand, runCommand, replayCommand, migrateCommand];
