// The reports: a summary table (stdout and Markdown) and a Markdown page with every scenario's detail.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import type { BenchContext, Metric, Profile } from './context.ts';
import { REPO } from './instance.ts';
import type { ProfileSummary } from './profile.ts';
import { fmt, fmtSummary, type Summary } from './stats.ts';

export interface Report {
  environment: Record<string, unknown>;
  profile: Profile;
  metrics: Metric[];
  details: Record<string, unknown>;
  notes: string[];
}

const version = (pkg: string) => {
  try {
    return (JSON.parse(readFileSync(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
};

export function environment(ctx: BenchContext): Record<string, unknown> {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  const kafka = /<kafka\.version>([^<]+)</.exec(readFileSync(join(REPO, 'scripts/kafka/pom.xml'), 'utf8'))?.[1] ?? '?';
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirtyFiles: git(['status', '--porcelain']).split('\n').filter(Boolean).length,
    versions: { kafka, kafkajs: version('kafkajs'), chdb: version('chdb'), 'onnxruntime-node': version('onnxruntime-node'), zod: version('zod') },
    broker: ctx.broker.external ? `external (${ctx.broker.brokers})` : `local single-node KRaft broker, JVM -Xmx512m, pid ${ctx.broker.pid}`,
  };
}

const PART_NAMES: Record<string, string> = {
  bufferToString: 'Buffer to string',
  jsonParse: 'JSON.parse',
  zodValidate: "zod safeParse (decode's fallback path)",
  featurePacking: 'feature packing (readRow + packRows)',
};

const verdict = (m: Metric) => (m.pass === undefined ? '' : m.pass === null ? 'n/a' : m.pass ? 'met' : 'MISSED');

export function renderSummaryTable(metrics: readonly Metric[]): string {
  const rows = metrics.map((m) => [m.scenario, m.metric, `${fmtSummary(m.summary, m.digits ?? 0)}${m.unit ? ` ${m.unit}` : ''}`, m.target ? `${m.target}: ${verdict(m)}` : '', m.note ?? '']);
  return table(['scenario', 'measure', 'median (min–max, ±half-range) over runs', 'target', 'note'], rows);
}

function table(head: string[], rows: (string | number)[][]): string {
  const esc = (c: string | number) => String(c).replaceAll('|', '\\|');
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

// Report details are plain JSON read back for rendering.
type Any = Record<string, any>;

export function renderMarkdown(r: Report, outDir: string): string {
  const e = r.environment as Any;
  const d = r.details as Any;
  const out: string[] = [];
  out.push(`# shadow-compare benchmark (${r.profile.name})`);
  out.push('');
  out.push(
    `${e.date} · ${e.cores} × ${e.cpu}, ${e.memoryGb} GB, Linux ${e.kernel} · Node ${e.node} · commit ${e.commit}` +
      `${e.dirtyFiles ? ` (+${e.dirtyFiles} uncommitted files)` : ''} · Kafka ${e.versions.kafka}, kafkajs ${e.versions.kafkajs}, chdb ${e.versions.chdb}, ` +
      `onnxruntime-node ${e.versions['onnxruntime-node']}, zod ${e.versions.zod} · run took ${Math.round(e.seconds)} s · load average at start ${e.loadAverageAtStart.join(' ')}`,
  );
  out.push('');
  out.push(
    `The broker (${e.broker}), the producer (latency scenario) and the processor(s) share the same ${e.cores} cores: ` +
      'every CPU figure below is measured per process from /proc, and "machine" is the whole box (other work on it included).',
  );
  out.push('');
  out.push('## Summary');
  out.push('');
  out.push(renderSummaryTable(r.metrics));
  if (r.notes.length) {
    out.push('');
    out.push('## Notes from this run');
    out.push('');
    for (const n of r.notes) out.push(`- ${n}`);
  }
  if (d.backlog) {
    const b = d.backlog;
    out.push('');
    out.push('## Backlog');
    out.push('');
    out.push(
      `${fmt(b.counts.requests)} request/primary pairs on \`${b.topics.requests}\` / \`${b.topics.primaries}\` (${r.profile.partitions} partitions each): ` +
        `${fmt(b.records.requests + b.records.primaries)} records, mean ${fmt(b.bytes.requests / b.records.requests)} B per request and ${fmt(b.bytes.primaries / b.records.primaries)} B per primary output. ` +
        (b.produced
          ? `Produced in this run in ${b.produced.seconds.toFixed(1)} s (${fmt(b.produced.pairsPerSec)} pairs/s; producer ${b.produced.cpuSeconds.toFixed(1)} CPU s, broker ${b.produced.brokerCpuSeconds.toFixed(1)} CPU s).`
          : 'Reused from an earlier run (cached on the broker).'),
    );
  }
  if (d.ceilings) {
    const c = d.ceilings;
    out.push('');
    out.push('## Ceilings (per pair = one request + its primary output)');
    out.push('');
    out.push(
      table(
        ['part', 'median', 'per pair'],
        [
          ['kafkajs fetch + decode, no-op eachBatch (both topics)', `${fmtSummary(c.kafka.pairsPerSec)} pairs/s`, `${c.kafka.cpuUsPerPair.median.toFixed(1)} µs CPU (broker ${c.kafka.brokerCores.median.toFixed(2)} cores meanwhile)`],
          ['decode (src/decode: JSON.parse + validation) + feature packing', `${fmtSummary(c.decode.pairsPerSec)} pairs/s`, `${c.decode.usPerPair.median.toFixed(2)} µs`],
          ...Object.entries(c.decode.parts as Record<string, Summary>).map(([k, s]) => [`  alone: ${PART_NAMES[k] ?? k}`, '', `${s.median.toFixed(2)} µs`]),
          [`onnxruntime candidate at batch ${c.onnx.batchSize}`, `${fmtSummary(c.onnx.rowsPerSec)} rows/s`, `${c.onnx.usPerRow.median.toFixed(2)} µs CPU`],
          ['**CPU ceiling of one process**', `**${fmt(c.cpuCeilingPairsPerSec)} pairs/s**`, `${c.usPerPair.total.toFixed(1)} µs`],
        ],
      ),
    );
    if (c.pipeline) {
      out.push('');
      out.push('The processor without Kafka (records in memory, `bench/workers/pipeline.ts`), CPU of all threads per pair and by thread:');
      out.push('');
      out.push(
        table(
          ['mode', 'pairs/s', 'CPU µs/pair', 'by thread (µs/pair)'],
          (['core', 'sink', 'full'] as const).map((k) => [
            { core: 'decode → score → join → outcome rows', sink: 'sink alone (JSONEachRow + chDB insert + MVs)', full: 'both' }[k],
            fmtSummary(c.pipeline[k].pairsPerSec),
            c.pipeline[k].cpuUsPerPair.median.toFixed(1),
            Object.entries(c.pipeline[k].threads as Record<string, number>).sort((x, y) => y[1] - x[1]).map(([n, v]) => `${n} ${v.toFixed(1)}`).join(', '),
          ]),
        ),
      );
    }
  }
  if (d.saturation) renderSaturation(out, d.saturation, outDir);
  if (d.latency) {
    out.push('');
    out.push(`## Latency at ${fmt(d.latency.rate)} pairs/s`);
    out.push('');
    out.push(
      'Visible = first poll (every 100 ms, through the processor\'s /query) at which `sum(compared)` in stats_1m counts the pair, pairs taken in produce order; ' +
        'insert start = `ingested_at` of the ledger row (`outcome_blocks`) holding each pair of a 5% sample minus the time the pair was handed to the producer (exact per pair, a lower bound).',
    );
    out.push('');
    out.push(
      table(
        ['run', 'achieved pairs/s', 'visible p50 / p99 / max ms', 'insert start p50 / p99 ms', 'ELD p99 / max ms', 'GC max ms', 'cores: processor / broker / producer / machine / other processes', 'RSS MB'],
        (d.latency.runs as Any[]).map((x) => [
          x.label,
          fmt(x.achievedRate),
          `${fmt(x.visibleMs.p50)} / ${fmt(x.visibleMs.p99)} / ${fmt(x.visibleMs.max)}`,
          `${fmt(x.ingestedMs.p50)} / ${fmt(x.ingestedMs.p99)}`,
          `${x.eldP99Ms} / ${x.eldMaxMs}`,
          x.gcMaxMs,
          `${x.processorCores.toFixed(2)} / ${x.brokerCores.toFixed(2)} / ${x.producerCores.toFixed(2)} / ${x.machineCores.toFixed(2)} / ${other(x.otherCores)}`,
          fmt(x.rssMb),
        ]),
      ),
    );
  }
  if (d.sweep) {
    out.push('');
    out.push('## Batch-size sweep (raw onnxruntime, 1 intra-op thread, spinning off)');
    out.push('');
    const sizes = (d.sweep.models[0].points as Any[]).map((p) => p.batchSize);
    out.push(
      table(
        ['model', ...sizes.map((b: number) => `${b}`)],
        (d.sweep.models as Any[]).flatMap((m) => [
          [`${m.model}: k rows/s`, ...(m.points as Any[]).map((p) => fmt(p.rowsPerSec.median / 1000))],
          [`  session.run p99 ms`, ...(m.points as Any[]).map((p) => p.callP99Ms.median.toFixed(3))],
        ]),
      ),
    );
    out.push('');
    out.push(`Chosen default: **${d.sweep.chosen}** (${d.sweep.reason}).`);
  }
  if (d.spinning) {
    out.push('');
    out.push('## onnxruntime spinning (gbdt100, a batch of 64 every 2 ms, then idle)');
    out.push('');
    out.push(
      table(
        ['intraOpThreads', 'allowSpinning', 'cores under light load', 'cores idle'],
        (d.spinning as Any[]).map((p) => [p.intraOpThreads, String(p.allowSpinning), fmtSummary(p.pacedCores, 2), fmtSummary(p.idleCores, 2)]),
      ),
    );
  }
  if (d.skew) {
    out.push('');
    out.push(`## Skew (window ${d.skew.windowMs / 1000} s, event rate ${fmt(d.skew.ratePerSec)}/s, ${fmt(d.skew.windows)} windows)`);
    out.push('');
    out.push(satTable([...(d.skew.stalledDefault ? [d.skew.stalledDefault] : []), ...d.skew.runs]));
  }
  if (d.gate) {
    out.push('');
    out.push(`## Gate query (${fmt(d.gate.rows)} stats_1m rows, ${d.gate.parts} parts, seeded in ${d.gate.seedSeconds.toFixed(1)} s)`);
    out.push('');
    out.push(table(['query', 'runs (ms)'], Object.entries(d.gate.timings as Record<string, number[]>).map(([k, v]) => [k, v.map((x) => x.toFixed(0)).join(', ')])));
  }
  out.push('');
  out.push(`Raw figures: \`${relative(REPO, join(outDir, 'report.json'))}\`.`);
  return out.join('\n') + '\n';
}

// Machine minus our processes: sampling at slightly different instants can leave it a hair below 0.
const other = (x: number) => Math.max(0, x).toFixed(2);

function satTable(runs: Any[]): string {
  return table(
    ['run', 'pairs/s e2e', 'steady (20–80%)', 'commit tail s', 'cores whole run: processors / broker / machine / other', 'steady cores: processors / broker / machine', 'CPU µs/pair steady', 'peak RSS MB', 'RSS slope MB/100k', 'max join buffer', 'max sink pending', 'ELD p99 / max ms', 'exact'],
    runs.map((x) => [
      x.label,
      fmt(x.e2ePairsPerSec),
      fmt(x.steadyPairsPerSec),
      x.commitTailSeconds.toFixed(1),
      `${x.processorCores.toFixed(2)} / ${x.brokerCores.toFixed(2)} / ${x.machineBusyCores.toFixed(2)} / ${other(x.otherCores)}`,
      `${x.steady.processorCores.toFixed(2)} / ${x.steady.brokerCores.toFixed(2)} / ${x.steady.machineCores.toFixed(2)}`,
      x.steady.cpuUsPerPair.toFixed(1),
      (x.peakRssMb as number[]).map((p) => fmt(p)).join(' / '),
      x.rssSlopeMbPer100k.toFixed(1),
      fmt(x.maxJoinBuffered),
      fmt(x.maxSinkPending),
      `${x.eldP99Ms} / ${x.eldMaxMs}`,
      x.stall ? `STALLED at ${fmt(x.stall.committedRecords / 2)} pairs` : x.correct ? 'yes' : `NO (${x.compared})`,
    ]),
  );
}

function renderSaturation(out: string[], s: Any, outDir: string): void {
  out.push('');
  out.push('## Saturation');
  out.push('');
  out.push(satTable([...(s.stalledDefault ? [s.stalledDefault] : []), ...s.one, ...s.two, ...(s.profiled ? [s.profiled] : [])]));
  if (s.stalledDefault) {
    const st = s.stalledDefault.stall;
    out.push('');
    out.push(
      `\`${s.stalledDefault.label}\` (default configuration) stopped committing after ${st.afterSeconds.toFixed(0)} s with ${fmt(st.consumed.requests)} requests and ` +
        `${fmt(st.consumed.primaries)} primary outputs consumed, ${fmt(st.joinBuffered)} records in the join (join.maxBuffered 200,000), ` +
        `consumer paused = ${st.paused}, ${fmt(st.sinkPending)} rows pending: the other runs use${s.variant}.`,
    );
  }
  const first = s.one[0];
  if (first) {
    out.push('');
    out.push(`CPU seconds per thread of the processor (${first.label}; chDB runs inside the processor process):`);
    out.push('');
    const entries = Object.entries(first.threads as Record<string, number>).filter(([, v]) => v > 0.05).sort((a, b) => b[1] - a[1]);
    out.push(table(['thread', 'CPU s', 'share'], entries.map(([k, v]) => [k, v.toFixed(2), `${((100 * v) / entries.reduce((a, [, x]) => a + x, 0)).toFixed(0)}%`])));
  }
  const p: ProfileSummary | undefined = s.profiled?.profile;
  if (p) {
    out.push('');
    out.push(`### CPU profile of the JS thread (${s.profiled.label}, \`${relative(REPO, p.file)}\`; open in Chrome DevTools)`);
    out.push('');
    out.push(`${fmt(p.busyMs)} ms busy of ${fmt(p.totalMs)} ms sampled (${fmt(p.idleMs)} ms idle). Self time by package / source folder:`);
    out.push('');
    out.push(table(['category', 'self ms', '% of busy'], p.byCategory.slice(0, 15).map((c) => [c.category, fmt(c.ms), c.pct.toFixed(1)])));
    out.push('');
    out.push('Top functions by self time:');
    out.push('');
    out.push(table(['function', 'where', 'self ms', '% of busy'], p.topSelf.map((x) => [x.name, x.where, fmt(x.ms), x.pct.toFixed(1)])));
    out.push('');
    out.push('Pipeline functions by inclusive time (self + callees):');
    out.push('');
    out.push(table(['function', 'where', 'incl. ms', '% of busy'], p.topInclusiveSrc.slice(0, 15).map((x) => [x.name, x.where, fmt(x.ms), x.pct.toFixed(1)])));
  }
  void outDir;
}
