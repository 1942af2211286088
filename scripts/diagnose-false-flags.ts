// The false-flag rate of `diagnose` on stable traffic (issue 15): the acceptance test's stable case
// (a reference week of generated traffic and the day after, same distribution, primary v9 vs candidate
// v10) replayed through the real pipeline into a fresh embedded store, over repeated seeds. A run is a
// false flag when any segment value is flagged; every test of a run is corrected together (Holm).
//   npx tsx scripts/diagnose-false-flags.ts [--seeds 20] [--reference 6000] [--window 4000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/ops/logger.ts';
import { openStore } from '../src/sinks/clickhouse/client.ts';
import { migrate } from '../src/sinks/clickhouse/migrate.ts';
import { testConfig } from '../test/support/config.ts';
import { replayAndDiagnose } from '../test/diagnose/scenario.ts';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '20' }, reference: { type: 'string', default: '6000' }, window: { type: 'string', default: '4000' } } });
const seeds = Number(values.seeds);
const logger = createLogger({ level: 'warn' });
const dir = mkdtempSync(join(tmpdir(), 'shadow-false-flags-'));
const dataDir = join(dir, 'data');
const store = await openStore(testConfig({ clickhouse: { dataDir } }).clickhouse);
await migrate(store);
let flaggedRuns = 0;
let tests = 0;
let flaggedTests = 0;
try {
  for (let i = 0; i < seeds; i++) {
    const d = await replayAndDiagnose(dir, dataDir, store, logger, {
      name: `stable${i}`, primaryVersion: 'v9', seed: 10_000 + 7 * i, referenceCount: Number(values.reference), windowCount: Number(values.window),
    });
    const n = d.findings.reduce((s, f) => s + f.tests.filter((t) => t.flagged).length, 0);
    tests += d.tests;
    flaggedTests += n;
    if (d.findings.length > 0) flaggedRuns++;
    process.stdout.write(`seed ${10_000 + 7 * i}: ${d.segmentsJudged} segment values, ${d.tests} tests, ${d.findings.length ? d.findings.map((f) => `${f.dimension}=${f.value}:${f.classification}`).join(' ') : 'nothing flagged'}\n`);
  }
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`false-flag rate: ${flaggedRuns}/${seeds} runs (${((100 * flaggedRuns) / seeds).toFixed(1)}%) with any segment flagged; ${flaggedTests}/${tests} tests flagged\n`);
