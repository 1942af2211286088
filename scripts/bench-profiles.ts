// The cost of profiles (issue 15), measured where it lands: the whole pipeline in one process (decode,
// ONNX candidate, join, fenced insert and every materialized view of the embedded engine) over the same
// generated traffic, with profiles off, sampled and on. CPU seconds of the process (all threads: chDB
// runs in-process) per 1,000 requests are the figure to compare; wall time is reported too, but on a
// shared machine only the CPU figure means anything. Runs alternate to spread background load.
//   npx tsx scripts/bench-profiles.ts [--count 20000] [--rounds 2] [--rates 0,0.1,1]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/ops/logger.ts';
import { replayFile } from '../src/pipeline/replay.ts';
import { openStore } from '../src/sinks/clickhouse/client.ts';
import { migrate } from '../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../src/traffic/index.ts';
import { testConfig } from '../test/support/config.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '2' }, rates: { type: 'string', default: '0,0.1,1' } } });
const count = Number(values.count);
const rates = values.rates.split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'shadow-bench-profiles-'));
const logger = createLogger({ level: 'warn' });
const file = join(dir, 'traffic.ndjson');
writeNdjson(file, generateTraffic({ dataset: loadDataset('breast_cancer'), model: 'diagnosis', primaryVersion: 'v9', count, seed: 6 }).envelopes);
const results = new Map<number, { cpu: number[]; wall: number[] }>(rates.map((r) => [r, { cpu: [], wall: [] }]));
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const rate of rates) {
      const dataDir = join(dir, `data-${round}-${rate}`);
      const config = testConfig({ clickhouse: { dataDir }, primary: { reproduce: false }, profiles: { sampleRate: rate } });
      const store = await openStore(config.clickhouse);
      await migrate(store);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await replayFile(file, config, store, logger);
      const c = process.cpuUsage(cpu0);
      const wall = (performance.now() - t0) / 1000;
      await store.close();
      const r = results.get(rate)!;
      r.cpu.push((c.user + c.system) / 1e6);
      r.wall.push(wall);
      process.stdout.write(`round ${round} profiles.sampleRate=${rate}: ${((c.user + c.system) / 1e6).toFixed(2)} CPU s, ${wall.toFixed(2)} s wall for ${count} requests\n`);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results.get(rates[0]!)!.cpu);
for (const [rate, r] of results) {
  const cpu = median(r.cpu);
  process.stdout.write(`profiles.sampleRate=${rate}: median ${((cpu / count) * 1e6).toFixed(0)} CPU µs per request (${(cpu / base).toFixed(2)}x of sampleRate=${rates[0]}), median wall ${median(r.wall).toFixed(2)} s\n`);
}
