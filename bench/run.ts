/**
 * Benchmark harness for shadow-compare (issue 6): ceilings, saturation (1 and 2 processes), latency
 * at a steady rate, batch-size sweep, onnxruntime spinning, skewed primaries, gate query time.
 *
 *   npm run bench                      full run (>= 1,000,000 pairs; see bench/README.md for its duration)
 *   npm run bench -- --quick           < 5 minutes, small backlog
 *   npm run bench -- --only ceilings,saturation [--pairs N] [--runs N] [--no-profile] [--fresh-broker]
 *   (scenarios: ceilings sweep spinning saturation latency skew gate whatif; whatif runs in the full run only)
 *
 * Writes bench/results/<stamp>-<profile>/report.{md,json} (+ CPU profiles); a complete full run with the
 * default sizes also writes bench/results/latest.md (committed).
 * Kafka: KAFKA_BROKERS if set, else a local broker whose data lives in bench/results/cache/kafka so a
 * produced backlog is reused by later runs (topic names carry a hash of what was produced).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBacklog, PURE_PAIRS, type Backlog } from './lib/backlog.ts';
import { PROFILES, type BenchContext, type Profile } from './lib/context.ts';
import { REPO } from './lib/instance.ts';
import { kafkaClient, openBroker } from './lib/kafka.ts';
import { cpuSeconds, waitForQuiet } from './lib/procfs.ts';
import { environment, renderMarkdown, renderSummaryTable } from './lib/report.ts';
import { measureCeilings, type Ceilings } from './scenarios/ceilings.ts';
import { measureGate } from './scenarios/gate.ts';
import { measureLatency } from './scenarios/latency.ts';
import { measureSaturation, type Saturation } from './scenarios/saturation-suite.ts';
import { measureSkew } from './scenarios/skew.ts';
import { measureSpinning } from './scenarios/spinning.ts';
import { measureSweep } from './scenarios/sweep.ts';
import { measureWhatIf } from './scenarios/whatif.ts';

const SCENARIOS = ['ceilings', 'sweep', 'spinning', 'saturation', 'latency', 'skew', 'gate', 'whatif'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    pairs: { type: 'string' },
    runs: { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
    'fresh-broker': { type: 'boolean', default: false },
    rate: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write(`usage: npm run bench -- [--quick] [--only ${SCENARIOS.join(',')}] [--pairs N] [--runs N] [--rate PAIRS_PER_SEC] [--no-profile] [--fresh-broker]\n`);
  process.exit(0);
}
const base = PROFILES[values.quick ? 'quick' : 'full'];
const profile: Profile = {
  ...base,
  ...(values.pairs ? { pairs: Number(values.pairs), noopPairs: Math.min(base.noopPairs, Number(values.pairs)) } : {}),
  ...(values.runs ? { processRuns: Number(values.runs) } : {}),
};
// The what-if measurements (behind the proposed optimisations) are part of the full run only.
const defaults = SCENARIOS.filter((s) => s !== 'whatif' || profile.name === 'full');
const only = new Set<Scenario>((values.only?.split(',') ?? defaults) as Scenario[]);
for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario "${s}"; known: ${SCENARIOS.join(', ')}`);

const started = performance.now();
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const resultsDir = join(REPO, 'bench', 'results');
const outDir = join(resultsDir, `${stamp}-${profile.name}`);
const workDir = join(tmpdir(), `shadow-bench-${stamp}`);
mkdirSync(outDir, { recursive: true });
mkdirSync(workDir, { recursive: true });
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const log = (line: string) => process.stderr.write(`[bench ${elapsed()}] ${line}\n`);

log(`profile ${profile.name}: ${profile.pairs.toLocaleString('en-US')} pairs, ${profile.processRuns} runs per processor scenario; results in ${outDir}`);
const broker = await openBroker({ ...(values['fresh-broker'] ? {} : { dataDir: join(resultsDir, 'cache', 'kafka') }), log });
const ctx: BenchContext = {
  profile,
  broker,
  kafka: kafkaClient(broker.brokers),
  outDir,
  workDir,
  stamp,
  log,
  metrics: [],
  details: {},
  notes: [],
  async quiet(what) {
    const q = await waitForQuiet([process.pid, ...(broker.pid ? [broker.pid] : [])], profile.quietWaitMs);
    if (q.otherCores >= 0.25) log(`  (other processes use ${q.otherCores.toFixed(2)} cores before ${what}; waited ${(q.waitedMs / 1000).toFixed(0)} s)`);
    return q.otherCores;
  },
};
const brokerCpu = () => (broker.pid ? cpuSeconds(broker.pid) : NaN);
const env = environment(ctx);
let failed: unknown;
try {
  let pairs: Backlog | undefined;
  const needPairs = only.has('ceilings') || only.has('saturation') || only.has('whatif');
  if (needPairs) {
    pairs = await ensureBacklog(
      ctx.kafka,
      { name: 'pairs', requests: profile.pairs, partitions: profile.partitions, seed: 1, shape: PURE_PAIRS, chunk: 20_000 },
      join(resultsDir, 'cache', 'backlogs.json'),
      log,
      brokerCpu,
    );
    ctx.details.backlog = { topics: pairs.topics, records: pairs.records, bytes: pairs.bytes, counts: pairs.counts, produced: pairs.produced };
  }
  let ceilings: Ceilings | undefined;
  let saturation: Saturation | undefined;
  if (only.has('ceilings')) {
    log('ceilings');
    ceilings = await measureCeilings(ctx, pairs!);
  }
  if (only.has('sweep')) {
    log('batch-size sweep');
    await measureSweep(ctx);
  }
  if (only.has('spinning')) {
    log('onnxruntime spinning on/off');
    await measureSpinning(ctx);
  }
  if (only.has('saturation')) {
    log('saturation');
    saturation = await measureSaturation(ctx, pairs!, ceilings, !values['no-profile']);
  }
  if (only.has('latency')) {
    log('latency at a steady rate');
    await measureLatency(ctx, saturation, values.rate ? Number(values.rate) : undefined);
  }
  if (only.has('skew')) {
    log('skew: late and missing primaries');
    await measureSkew(ctx, brokerCpu);
  }
  if (only.has('gate')) {
    log('gate query time');
    await measureGate(ctx);
  }
  if (only.has('whatif')) {
    log('what-if measurements for the proposed optimisations');
    await measureWhatIf(ctx, pairs, saturation);
  }
} catch (err) {
  failed = err;
  ctx.notes.push(`the run stopped early: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await broker.stop();
  rmSync(workDir, { recursive: true, force: true });
}
const seconds = (performance.now() - started) / 1000;
const report = { environment: { ...env, seconds }, profile, metrics: ctx.metrics, details: ctx.details, notes: ctx.notes };
writeFileSync(join(outDir, 'report.json'), JSON.stringify(report, null, 2));
const md = renderMarkdown(report, outDir);
writeFileSync(join(outDir, 'report.md'), md);
// latest.md (committed) is the last complete full run: quick runs and partial runs do not replace it.
if (!failed && profile.name === 'full' && !values.pairs && !values.runs && !values.rate && defaults.every((s) => only.has(s))) writeFileSync(join(resultsDir, 'latest.md'), md);
process.stdout.write(`\n${renderSummaryTable(ctx.metrics)}\n\nreport: ${join(outDir, 'report.md')} (${seconds.toFixed(0)} s)\n`);
process.exit(failed ? 1 : 0);
