// CPU per pair of the sink, same run: the block format (migration 000080 on: full rows only where they
// are read row by row, a ledger row per partition, aggregate cells) against the per-row format it
// replaced (one 46-column row per record, every aggregate a materialized view over the rows), each in its
// own database of one embedded store, alternating round by round (ABBA, so drift favours neither).
// The rows are the pipeline's own, made from generated traffic as bench/workers/pipeline.ts makes them,
// sent through the write fence in blocks of sink.maxRows.
//
//   node --import tsx scripts/bench-sink-blocks.ts [--pairs 200000] [--rounds 3] [--block 50000]
//
// CPU is process.cpuUsage over the inserts (every thread: the JS thread encodes, chDB parses and runs
// the views on its own); the JS thread's share from /proc/self/task (10 ms ticks). After every run both
// databases must hold the same stats_1m totals, so neither format can look cheap by doing less.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pipelineRows } from '../bench/lib/pipeline-rows.ts';
import { benchConfig } from '../bench/lib/instance.ts';
import { MAIN_THREAD, blockFormat, measureSinkFormat, perRowFormat } from '../bench/lib/sink-formats.ts';
import type { OutcomeRow } from '../src/outcomes/index.ts';
import { openStore } from '../src/sinks/clickhouse/client.ts';
import { migrate } from '../src/sinks/clickhouse/migrate.ts';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    block: { type: 'string', default: '50000' },
  },
});
const PAIRS = Number(args.pairs);
const ROUNDS = Number(args.rounds);
const BLOCK = Number(args.block);
const log = (line: string) => process.stderr.write(`${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'shadow-bench-sink-blocks-'));
const config = benchConfig({ clickhouse: { dataDir: join(dir, 'data') } });
const store = await openStore(config.clickhouse);
await migrate(store);

const rows = await pipelineRows(config, store, 'sink-blocks', PAIRS);
const chunks: OutcomeRow[][] = [];
for (let i = 0; i < rows.length; i += BLOCK) chunks.push(rows.slice(i, i + BLOCK));
const pairs = rows.filter((r) => r.kind === 'compared').length;
log(`${rows.length} outcome rows (${pairs} compared pairs) from ${PAIRS} generated pairs, ${chunks.length} blocks of up to ${BLOCK}`);
const formats = [await perRowFormat(store), await blockFormat(store)];

async function measure(f: (typeof formats)[number]): Promise<{ cpu: number; js: number; totals: string }> {
  const r = await measureSinkFormat(f, chunks);
  return { cpu: r.cpuUs / pairs, js: (r.threadsUs[MAIN_THREAD] ?? NaN) / pairs, totals: r.totals };
}

const results = new Map<string, { cpu: number; js: number }[]>();
for (const f of formats) await measure(f); // warm-up: JIT, chDB's first inserts into each table
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? formats : [...formats].reverse();
  const seen: string[] = [];
  for (const f of order) {
    const s = await measure(f);
    seen.push(s.totals);
    results.set(f.name, [...(results.get(f.name) ?? []), s]);
    log(`round ${round + 1} ${f.name}: ${s.cpu.toFixed(2)} µs/pair (JS thread ${s.js.toFixed(2)}), stats_1m ${s.totals}`);
  }
  if (seen[0] !== seen[1]) throw new Error(`round ${round + 1}: stats_1m differs between the formats: ${seen.join(' vs ')}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;

console.log(`\n${pairs} compared pairs per run (${rows.length} outcome rows), ${BLOCK}-row blocks, ${ROUNDS} rounds, fenced path; median (min–max)\n`);
console.log('| format | sink CPU µs/pair, all threads | JS thread µs/pair | bytes/pair |');
console.log('| --- | --- | --- | --- |');
for (const f of formats) {
  const xs = results.get(f.name)!;
  const bytes = chunks.reduce((n, b) => n + f.bytes(b), 0) / pairs;
  console.log(`| ${f.name} | ${fmt(xs.map((s) => s.cpu))} | ${fmt(xs.map((s) => s.js))} | ${bytes.toFixed(0)} |`);
}
await store.close();
rmSync(dir, { recursive: true, force: true });
