// Compiles src/ to dist/ (JavaScript with declarations) for `import 'shadow-compare/client'` from plain
// Node, and copies the gate's SQL files, which the compiled code reads at run time. Run by `npm pack`
// (prepack). The CLI itself runs from src/ through tsx and needs no build.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
cpSync(join(ROOT, 'src', 'gate', 'sql'), join(ROOT, 'dist', 'gate', 'sql'), { recursive: true });
