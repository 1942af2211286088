/**
 * Re-renders a run's report.md from its report.json (after a change to the renderer):
 *   npx tsx bench/render.ts bench/results/<stamp>-<profile> [--latest]
 * `--latest` also writes bench/results/latest.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './lib/instance.ts';
import { renderMarkdown, type Report } from './lib/report.ts';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: npx tsx bench/render.ts bench/results/<run> [--latest]\n');
  process.exit(2);
}
const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
const md = renderMarkdown(report, dir);
writeFileSync(join(dir, 'report.md'), md);
if (process.argv.includes('--latest')) writeFileSync(join(REPO, 'bench', 'results', 'latest.md'), md);
process.stdout.write(`${join(dir, 'report.md')}\n`);
