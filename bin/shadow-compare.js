#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run through tsx, so the repo needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
// Exit explicitly: a command has finished its own cleanup by now, and a library handle left open
// (a socket, a timer) must not keep a failed command alive.
process.exit(await main(process.argv.slice(2)));
