// A fault scenario: fresh topics and group, known traffic with its ground truth, one persistent data
// directory that survives restarts of the processor.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { deepMerge, type Config } from '../../src/config/index.ts';
import { createHttpRunner } from '../../src/query/index.ts';
import { generateTraffic, loadDataset, type Traffic, type TrafficOptions } from '../../src/traffic/index.ts';
import { testConfig } from './config.ts';
import { groundTruth, type Truth } from './ground-truth.ts';
import { uniqueName, useKafka } from './kafka.ts';
import { checkCounts, writtenIdentities, type Produced } from './oracle.ts';
import { waitFor, type Instance, TEST_API_TOKEN } from './processes.ts';
import { acknowledgedRecords, createTopics, produceEnvelopes } from './produce.ts';

export interface Scenario {
  readonly kafka: Kafka;
  readonly topics: { requests: string; primaries: string };
  readonly config: Readonly<Config>;
  readonly dataDir: string;
  readonly traffic: Traffic;
  readonly truth: Truth;
  readonly produced: Produced;
}

export interface ScenarioOptions {
  readonly count: number;
  readonly seed: number;
  readonly partitions?: number;
  readonly brokers?: string;
  readonly config?: Record<string, unknown>;
  readonly traffic?: Partial<TrafficOptions>;
}

const ds = loadDataset('breast_cancer');

export async function createScenario(o: ScenarioOptions): Promise<Scenario> {
  const brokers = o.brokers ?? (await useKafka());
  const kafka = new Kafka({ clientId: 'fault-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const topics = { requests: uniqueName('requests'), primaries: uniqueName('primaries') };
  await createTopics(kafka, topics, o.partitions ?? 3);
  const traffic = generateTraffic({
    dataset: ds,
    model: 'diagnosis',
    primaryVersion: 'v9',
    count: o.count,
    seed: o.seed,
    duplicateRate: 0.02,
    invalidRate: 0.01,
    missingPrimaryRate: 0.03,
    inlinePrimaryRate: 0.1,
    primaryErrorRate: 0.01,
    reorderRate: 0.1,
    ...o.traffic,
  });
  const config = testConfig(deepMerge({
    kafka: { brokers: brokers.split(','), groupId: uniqueName('group'), topics, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 },
    join: { windowMs: 2000, idleMs: 500 },
    sink: { flushIntervalMs: 200, maxRows: 400, retryInitialMs: 50, retryMaxMs: 500 },
  }, o.config ?? {}));
  const envelopes = traffic.envelopes;
  const produced = { requests: envelopes.filter((e) => e.stream === 'requests').length, primaries: envelopes.filter((e) => e.stream === 'primaries').length };
  return { kafka, topics, config, dataDir: join(mkdtempSync(join(tmpdir(), 'shadow-fault-')), 'data'), traffic, truth: groundTruth(traffic, ds, 'diagnosis', 'v10'), produced };
}

export async function produceAll(s: Scenario, from = 0, to = s.traffic.envelopes.length): Promise<void> {
  await produceEnvelopes(s.kafka, s.topics, s.traffic.envelopes.slice(from, to));
}

/** Waits until every produced record has its outcome row, then a little longer (late duplicates would show). */
export async function waitUntilAllWritten(s: Scenario, i: Instance, timeoutMs = 60_000): Promise<void> {
  await waitUntilWritten(s, i, s.produced.requests + s.produced.primaries, timeoutMs);
  await new Promise((r) => setTimeout(r, 1000));
}

/**
 * Waits until at least `records` distinct input records have their outcome row, read through instance
 * `i` (with a shared store, through any instance).
 */
export async function waitUntilWritten(s: Scenario, i: Instance, records: number, timeoutMs = 60_000): Promise<void> {
  const q = createHttpRunner(i.url, { token: TEST_API_TOKEN });
  let last = '';
  await waitFor(
    async () => {
      const w = await writtenIdentities(q, 'shadow').catch(() => null);
      last = JSON.stringify(w);
      return w !== null && w.reqIds + w.primIds >= records;
    },
    timeoutMs,
    () => `written ${last}, waiting for ${records} of produced ${JSON.stringify(s.produced)}\n${i.output().slice(-3000)}`,
    i.exited,
  );
}

/** A counter or gauge from an instance's /metrics (NaN when absent). */
export async function metric(i: Instance, name: string): Promise<number> {
  const text = await (await fetch(`${i.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

/**
 * Produces envelopes [from, to) steadily, in small chunks with short pauses, so faults can land while
 * traffic flows. The pauses stay well below join.idleMs (500 ms in scenarios): no stream falls silent
 * long enough for a live processor to close windows on the wall clock, so the ground truth holds.
 */
export function produceSteadily(s: Scenario, opts: { from?: number; to?: number; chunk?: number; gapMs?: number } = {}): { done: Promise<void>; sent: () => number } {
  const { from = 0, to = s.traffic.envelopes.length, chunk = 100, gapMs = 120 } = opts;
  let sent = 0;
  const done = (async () => {
    const producer = s.kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = from; i < to; i += chunk) {
        const part = s.traffic.envelopes.slice(i, Math.min(i + chunk, to));
        await producer.sendBatch({
          acks: -1,
          topicMessages: (['requests', 'primaries'] as const).map((st) => ({
            topic: s.topics[st],
            messages: part.filter((e) => e.stream === st).map((e) => ({ key: e.key, value: typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload) })),
          })),
        });
        sent += part.length;
        await new Promise((r) => setTimeout(r, gapMs));
      }
    } finally {
      await producer.disconnect();
    }
  })();
  return { done, sent: () => sent };
}

/** The partitions (of the requests topic) an instance's latest 'partitions assigned' log line names. */
export function assignedPartitions(s: Scenario, i: Instance): { generation: number; partitions: number[] } | null {
  const lines = i.output().split('\n').filter((l) => l.includes('"partitions assigned"'));
  const last = lines.at(-1);
  if (!last) return null;
  const j = JSON.parse(last) as { generation: number; assignment: Record<string, number[]> };
  return { generation: j.generation, partitions: [...(j.assignment[s.topics.requests] ?? [])].sort((a, b) => a - b) };
}

/** The oracle, plus: the broker holds exactly the records the producer sent (no loss, no retry copies). */
export async function verify(s: Scenario, i: Instance): Promise<string[]> {
  const acked = await acknowledgedRecords(s.kafka, s.topics);
  const v = await checkCounts(createHttpRunner(i.url, { token: TEST_API_TOKEN }), 'shadow', s.truth, acked);
  if (acked.requests !== s.produced.requests || acked.primaries !== s.produced.primaries) {
    v.push(`broker holds ${JSON.stringify(acked)}, producer sent ${JSON.stringify(s.produced)}`);
  }
  return v;
}

/**
 * An envelope index near `near` that no request straddles: every message of a request id (request,
 * primary output, redeliveries) lies on one side. Pausing production there keeps the generator's
 * ground truth valid; pausing elsewhere would make pairs late on purpose.
 */
export function cleanCut(s: Scenario, near: number): number {
  const span = new Map<string, [number, number]>();
  s.traffic.envelopes.forEach((e, i) => {
    const r = span.get(e.key);
    span.set(e.key, r ? [r[0], i] : [i, i]);
  });
  const crossing = new Array<number>(s.traffic.envelopes.length + 1).fill(0);
  for (const [a, b] of span.values()) for (let i = a + 1; i <= b; i++) crossing[i]!++;
  for (let d = 0; d < s.traffic.envelopes.length; d++) {
    for (const i of [near + d, near - d]) if (i > 0 && i < crossing.length && crossing[i] === 0) return i;
  }
  throw new Error('no clean cut in this traffic');
}
