// Backlogs on the broker: generated with src/traffic in chunks (it keeps a whole traffic in memory),
// produced once, and reused by every scenario and every later bench run on the same broker data
// (topic names carry a hash of the spec; a manifest records what a complete production left).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Partitioners, type Kafka } from 'kafkajs';
import { generateTraffic, loadDataset, type Dataset, type Envelope, type TrafficOptions } from '../../src/traffic/index.ts';
import { createTopics, endOffsets, topicExists, total, withAdmin } from './kafka.ts';

export type TrafficShape = Partial<Omit<TrafficOptions, 'dataset' | 'model' | 'primaryVersion' | 'count' | 'seed' | 'startTime' | 'idPrefix'>>;

export interface BacklogSpec {
  /** Short name in the topic names, e.g. "pairs" or "skew". */
  readonly name: string;
  /** Distinct mirrored requests. */
  readonly requests: number;
  readonly partitions: number;
  readonly seed: number;
  readonly shape: TrafficShape;
  /** Requests generated at a time (bounded memory). */
  readonly chunk: number;
}

export interface Backlog {
  readonly spec: BacklogSpec;
  readonly topics: { requests: string; primaries: string };
  readonly records: { requests: number; primaries: number };
  /** What was generated: separate primaries joinable, missing ones, primary errors. */
  readonly counts: { requests: number; separate_primaries: number; missing_primaries: number; primary_errors: number };
  readonly bytes: { requests: number; primaries: number };
  /** Production when it happened in this bench run (null when reused). */
  readonly produced: { seconds: number; pairsPerSec: number; cpuSeconds: number; brokerCpuSeconds: number } | null;
}

/** Every pair a pure-pairs backlog holds joins: no inline, missing, duplicate or invalid messages. */
export const PURE_PAIRS: TrafficShape = {
  ratePerSec: 1000,
  missingPrimaryRate: 0,
  inlinePrimaryRate: 0,
  duplicateRate: 0,
  invalidRate: 0,
  reorderRate: 0.05,
  maxSkewMs: 50,
};

export const MODEL = 'diagnosis';
export const PRIMARY_VERSION = 'v9';
// Bump when the generator or the shape of produced data changes: old topics are then ignored.
const FORMAT = 1;

let dataset: Dataset | undefined;
export function benchDataset(): Dataset {
  dataset ??= loadDataset('breast_cancer');
  return dataset;
}

function topicNames(spec: BacklogSpec): { requests: string; primaries: string } {
  const h = createHash('sha1').update(JSON.stringify({ ...spec, FORMAT })).digest('hex').slice(0, 10);
  return { requests: `bench.${spec.name}.${h}.requests`, primaries: `bench.${spec.name}.${h}.primaries` };
}

interface Manifest {
  [requestsTopic: string]: Omit<Backlog, 'spec' | 'topics' | 'produced'>;
}

function readManifest(file: string): Manifest {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Manifest) : {};
}

/** Chunk `c` of a backlog: consecutive event times, unique ids, same shape. */
export function* chunks(spec: BacklogSpec, startTime = Date.UTC(2025, 0, 1)): Generator<{ envelopes: Envelope[]; counts: Backlog['counts']; nextStart: number }, void> {
  const ds = benchDataset();
  let start = startTime;
  for (let c = 0, done = 0; done < spec.requests; c++) {
    const count = Math.min(spec.chunk, spec.requests - done);
    const t = generateTraffic({ ...spec.shape, dataset: ds, model: MODEL, primaryVersion: PRIMARY_VERSION, count, seed: spec.seed * 100_003 + c, startTime: start, idPrefix: `${spec.name}${spec.seed}c${c}-` });
    const last = t.truth[t.truth.length - 1]?.event_time ?? start;
    start = last + Math.ceil(1000 / (spec.shape.ratePerSec ?? 200));
    done += count;
    yield {
      envelopes: t.envelopes,
      counts: { requests: t.counts.requests, separate_primaries: t.counts.separate_primaries, missing_primaries: t.counts.missing_primaries, primary_errors: t.counts.primary_errors },
      nextStart: start,
    };
  }
}

/** A whole (small) traffic in memory: sample messages for in-process measurements. */
export function sampleTraffic(spec: Omit<BacklogSpec, 'chunk' | 'partitions'>): Envelope[] {
  const first = chunks({ ...spec, partitions: 1, chunk: spec.requests }).next();
  if (first.done) throw new Error('empty sample traffic');
  return first.value.envelopes;
}

/**
 * Returns the backlog's topics, producing them unless a complete earlier production is on the broker.
 * `brokerCpu` reads the broker's CPU seconds (NaN when unknown), to report what production cost it.
 */
export async function ensureBacklog(kafka: Kafka, spec: BacklogSpec, manifestFile: string, log: (l: string) => void, brokerCpu: () => number): Promise<Backlog> {
  const topics = topicNames(spec);
  const manifest = readManifest(manifestFile);
  const known = manifest[topics.requests];
  const reusable = await withAdmin(kafka, async (admin) => {
    if (!known || !(await topicExists(admin, topics.requests)) || !(await topicExists(admin, topics.primaries))) return false;
    const ends = await endOffsets(admin, [topics.requests, topics.primaries]);
    return total(ends, topics.requests) === known.records.requests && total(ends, topics.primaries) === known.records.primaries;
  });
  if (reusable && known) {
    log(`backlog ${spec.name}: reusing ${topics.requests} (+ primaries), ${known.records.requests + known.records.primaries} records`);
    return { ...known, spec, topics, produced: null };
  }
  await withAdmin(kafka, async (admin) => {
    const existing = (await admin.listTopics()).filter((t) => t === topics.requests || t === topics.primaries);
    if (existing.length) {
      await admin.deleteTopics({ topics: existing, timeout: 30_000 });
      await new Promise((r) => setTimeout(r, 2000)); // deletion is asynchronous on the broker
    }
  });
  await createTopics(kafka, [topics.requests, topics.primaries], spec.partitions);
  log(`backlog ${spec.name}: producing ${spec.requests.toLocaleString('en-US')} requests into ${topics.requests} and ${topics.primaries} (${spec.partitions} partitions)`);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const b0 = brokerCpu();
  const records = { requests: 0, primaries: 0 };
  const bytes = { requests: 0, primaries: 0 };
  const counts = { requests: 0, separate_primaries: 0, missing_primaries: 0, primary_errors: 0 };
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    let lastLog = performance.now();
    const inflight = new Set<Promise<unknown>>();
    for (const chunk of chunks(spec)) {
      for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += chunk.counts[k];
      const env = chunk.envelopes;
      for (let i = 0; i < env.length; i += 2000) {
        const part = env.slice(i, i + 2000);
        const msgs = { requests: [] as { key: string; value: string }[], primaries: [] as { key: string; value: string }[] };
        for (const e of part) {
          const value = typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload);
          msgs[e.stream].push({ key: e.key, value });
          records[e.stream]++;
          bytes[e.stream] += value.length;
        }
        const p = producer.sendBatch({
          acks: 1,
          topicMessages: [
            { topic: topics.requests, messages: msgs.requests },
            { topic: topics.primaries, messages: msgs.primaries },
          ],
        });
        inflight.add(p);
        void p.finally(() => inflight.delete(p)).catch(() => {});
        // A few batches in flight keep the broker busy without unbounded memory.
        if (inflight.size >= 4) await Promise.race(inflight);
      }
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  ${counts.requests.toLocaleString('en-US')} requests produced (${Math.round(counts.requests / ((lastLog - t0) / 1000)).toLocaleString('en-US')}/s)`);
      }
    }
    await Promise.all(inflight);
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  const produced = { seconds, pairsPerSec: counts.requests / seconds, cpuSeconds: (c.user + c.system) / 1e6, brokerCpuSeconds: brokerCpu() - b0 };
  const ends = await withAdmin(kafka, (admin) => endOffsets(admin, [topics.requests, topics.primaries]));
  if (total(ends, topics.requests) !== records.requests || total(ends, topics.primaries) !== records.primaries) {
    throw new Error(`backlog ${spec.name}: produced ${records.requests}/${records.primaries} records but the topics hold ${total(ends, topics.requests)}/${total(ends, topics.primaries)}`);
  }
  const entry = { records, counts, bytes };
  mkdirSync(dirname(manifestFile), { recursive: true });
  writeFileSync(manifestFile, JSON.stringify({ ...readManifest(manifestFile), [topics.requests]: entry }, null, 2));
  log(`backlog ${spec.name}: ${counts.requests.toLocaleString('en-US')} requests in ${seconds.toFixed(1)} s (${Math.round(produced.pairsPerSec).toLocaleString('en-US')} pairs/s)`);
  return { ...entry, spec, topics, produced };
}
