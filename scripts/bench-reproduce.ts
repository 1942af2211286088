// Cost of the noise floor's second model call (issue 13): replays the same generated traffic through the
// real pipeline (replay -> chDB) with and without re-scoring the primary's artifact, alternating, and
// prints throughput and process CPU per request. A script, not a test: numbers depend on the machine.
//   npx tsx scripts/bench-reproduce.ts [--count 20000] [--runs 2]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/ops/logger.ts';
import { replayFile } from '../src/pipeline/replay.ts';
import { openStore } from '../src/sinks/clickhouse/client.ts';
import { migrate } from '../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../src/traffic/index.ts';
import { loadConfig } from '../src/config/index.ts';

const REPO = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { count: { type: 'string', default: '20000' }, runs: { type: 'string', default: '2' } } });
const count = Number(values.count);
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), 'shadow-bench-reproduce-'));
const file = join(dir, 'traffic.ndjson');
writeNdjson(file, generateTraffic({ dataset: loadDataset('breast_cancer'), model: 'diagnosis', primaryVersion: 'v9', count, seed: 42 }).envelopes);
const logger = createLogger({ level: 'warn' });

async function once(reproduce: boolean, i: number): Promise<{ seconds: number; cpuMs: number }> {
  const dataDir = join(dir, `data-${reproduce ? 'on' : 'off'}-${i}`);
  const primary = reproduce ? { path: join(REPO, 'fixtures/models/diagnosis/v9.onnx') } : { reproduce: false };
  const config = loadConfig(join(REPO, 'shadow-compare.yaml'), {}, { clickhouse: { dataDir }, primary });
  const store = await openStore(config.clickhouse);
  await migrate(store);
  const cpu0 = process.cpuUsage();
  const r = await replayFile(file, config, store, logger);
  const cpu = process.cpuUsage(cpu0);
  await store.close();
  return { seconds: r.seconds, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const results: Record<'off' | 'on', { seconds: number; cpuMs: number }[]> = { off: [], on: [] };
for (let i = 0; i < runs; i++) {
  for (const mode of i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) results[mode].push(await once(mode === 'on', i));
}
rmSync(dir, { recursive: true, force: true });
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
for (const mode of ['off', 'on'] as const) {
  const s = med(results[mode].map((r) => r.seconds));
  const c = med(results[mode].map((r) => r.cpuMs));
  process.stdout.write(`reproduce ${mode.padEnd(3)}  ${count} requests  ${(count / s).toFixed(0)} req/s  ${((c * 1000) / count).toFixed(1)} µs CPU/request (median of ${runs})\n`);
}
