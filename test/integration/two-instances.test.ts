import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/ops/logger.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { createHttpRunner, createStoreRunner } from '../../src/query/index.ts';
import { openStore } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson } from '../../src/traffic/index.ts';
import { testConfig } from '../support/config.ts';
import { IRREGULAR_TRAFFIC, groundTruth, type Figures } from '../support/ground-truth.ts';
import { uniqueName, useKafka } from '../support/kafka.ts';
import { startInstance, stopInstance, waitFor, type Instance, TEST_API_TOKEN } from '../support/processes.ts';
import { createTopics, produceEnvelopes } from '../support/produce.ts';
import { countRejects, readFigures } from '../support/stats.ts';

const ds = loadDataset('breast_cancer');
const traffic = generateTraffic({
  dataset: ds,
  ...IRREGULAR_TRAFFIC,
  count: 2000,
  seed: 11,
});
const truth = groundTruth(traffic, ds, 'diagnosis', 'v10');

function add(a: Figures, b: Figures): Figures {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v + b[k as keyof Figures]])) as unknown as Figures;
}

async function figuresOf(instances: Instance[]) {
  let overall: Figures | null = null;
  let rejects = 0;
  for (const i of instances) {
    const q = createHttpRunner(i.url, { token: TEST_API_TOKEN });
    const f = await readFigures(q, 'shadow', 'diagnosis', 'v10');
    overall = overall ? add(overall, f.overall) : f.overall;
    rejects += await countRejects(q, 'shadow');
  }
  return { overall: overall!, rejects };
}

describe('two processor instances in one consumer group on the real broker', () => {
  let brokers: string;
  let kafka: Kafka;
  const topics = { requests: uniqueName('requests'), primaries: uniqueName('primaries') };
  const instances: Instance[] = [];
  const groupId = uniqueName('group');
  let kafkaFigures: Figures | null = null;

  before(async () => {
    brokers = await useKafka();
    kafka = new Kafka({ clientId: 'test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    await createTopics(kafka, topics, 4);
  });

  after(async () => {
    for (const i of instances) await stopInstance(i, 'SIGKILL');
  });

  it('join every pair and write exactly the ground-truth figures, split over both instances', async () => {
    const config = testConfig({
      kafka: { brokers: brokers.split(','), groupId, topics, sessionTimeoutMs: 10_000 },
      join: { windowMs: 2000, idleMs: 500 },
      sink: { flushIntervalMs: 200 },
    });
    // Both join before traffic arrives, so the assigner has two members to split partitions over.
    instances.push(...(await Promise.all([startInstance(config, 'a'), startInstance(config, 'b')])));
    await produceEnvelopes(kafka, topics, traffic.envelopes);
    let last: Awaited<ReturnType<typeof figuresOf>> | null = null;
    const want = truth.overall;
    await waitFor(
      async () => {
        last = await figuresOf(instances);
        return last.overall.compared + last.overall.unmatched_requests >= want.compared + want.unmatched_requests && last.rejects >= truth.rejects;
      },
      90_000,
      () => `figures so far ${JSON.stringify(last)}; want ${JSON.stringify(want)}`,
    );
    // Settle: nothing more may arrive (no double counting after the totals are reached).
    await new Promise((r) => setTimeout(r, 1500));
    const got = await figuresOf(instances);
    assert.deepEqual(got.overall, want);
    kafkaFigures = got.overall;
    assert.equal(got.rejects, truth.rejects);
    // Both instances did real work: the assigner split the partitions.
    for (const i of instances) {
      const f = await readFigures(createHttpRunner(i.url, { token: TEST_API_TOKEN }), 'shadow', 'diagnosis', 'v10');
      assert.ok(f.overall.compared > 0, 'each instance compared some requests');
    }
  });

  it('gives the same figures as replaying the same traffic from a file', async () => {
    const config = testConfig();
    const file = join(mkdtempSync(join(tmpdir(), 'shadow-same-')), 'same.ndjson');
    writeNdjson(file, traffic.envelopes);
    const store = await openStore(config.clickhouse);
    try {
      await migrate(store);
      await replayFile(file, config, store, createLogger({ level: 'warn' }));
      const replayed = await readFigures(createStoreRunner(store), 'shadow', 'diagnosis', 'v10');
      assert.deepEqual(replayed.overall, kafkaFigures);
    } finally {
      await store.close();
    }
  });

  it('commit every offset up to the end of both topics on graceful shutdown', async () => {
    for (const i of instances.splice(0)) assert.equal(await stopInstance(i), 0, i.output().slice(-2000));
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const topic of [topics.requests, topics.primaries]) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        for (const end of ends) {
          const c = committed!.partitions.find((p) => p.partition === end.partition);
          assert.equal(c?.offset, end.high, `${topic}[${end.partition}] committed ${c?.offset}, end ${end.high}`);
        }
      }
    } finally {
      await admin.disconnect();
    }
  });
});

describe('processor start-up on topics that are not co-partitioned', () => {
  it('refuses to start and names both partition counts', async () => {
    const brokers = await useKafka();
    const kafka = new Kafka({ clientId: 'test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const topics = { requests: uniqueName('requests'), primaries: uniqueName('primaries') };
    await createTopics(kafka, topics, 3, 2);
    const config = testConfig({ kafka: { brokers: brokers.split(','), groupId: uniqueName('group'), topics } });
    await assert.rejects(startInstance(config, 'bad'), (err: Error) => {
      assert.match(err.message, /SHADOW_TOPOLOGY/);
      assert.match(err.message, /has 3 partitions.*has 2/);
      return true;
    });
  });
});
