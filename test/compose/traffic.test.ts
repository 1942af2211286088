// `shadow-compare traffic` (the docker-compose traffic generator) against the real test broker:
// everything it says it sent has arrived, keyed by request id, co-partitioned, with event times = now.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { generateTraffic, loadDataset } from '../../src/traffic/index.ts';
import { REPO, testConfig } from '../support/config.ts';
import { uniqueName, useKafka } from '../support/kafka.ts';
import { createTopics } from '../support/produce.ts';

const COUNT = 200;
const SEED = 5;
const PARTITIONS = 3;

interface Received { topic: string; partition: number; key: string; value: string }

describe('shadow-compare traffic --count', () => {
  let kafka: Kafka;
  let brokers: string;
  let dir: string;
  const topics = { requests: uniqueName('traffic-requests'), primaries: uniqueName('traffic-primaries') };

  before(async () => {
    brokers = await useKafka();
    kafka = new Kafka({ clientId: 'traffic-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    await createTopics(kafka, topics, PARTITIONS);
    dir = mkdtempSync(join(tmpdir(), 'shadow-traffic-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`produces ${COUNT} requests with their primary outputs, all of which arrive keyed and co-partitioned`, async () => {
    const config = testConfig({ kafka: { topics } }, { KAFKA_BROKERS: brokers });
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    const startedAt = Date.now();
    const result = await runCli(['traffic', '--count', String(COUNT), '--rate', '1000', '--seed', String(SEED), '--config', file, '--log-level', 'warn'], brokers);
    const endedAt = Date.now();

    // What the generator makes for these options, independently of the command: timing options do not
    // change which messages are drawn.
    const expected = generateTraffic({ dataset: loadDataset('breast_cancer'), model: config.model, primaryVersion: 'v9', count: COUNT, seed: SEED });
    const want = {
      [topics.requests]: expected.envelopes.filter((e) => e.stream === 'requests').length,
      [topics.primaries]: expected.envelopes.filter((e) => e.stream === 'primaries').length,
    };
    assert.equal(result.requests, COUNT);
    assert.deepEqual(result.messages, want);

    // Arrived: the topics' end offsets, and the messages themselves.
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const [topic, n] of Object.entries(want)) {
        const offsets = await admin.fetchTopicOffsets(topic);
        assert.equal(offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0), n, `messages on ${topic}`);
      }
    } finally {
      await admin.disconnect();
    }
    const received = await consumeAll(kafka, [topics.requests, topics.primaries], want[topics.requests]! + want[topics.primaries]!);

    const requestIds = new Set<string>();
    const partitionOf = new Map<string, number>();
    for (const m of received) {
      assert.ok(m.key, 'every message is keyed');
      let payload: { request_id?: string; event_time?: string } | undefined;
      try {
        payload = JSON.parse(m.value) as typeof payload;
      } catch {
        continue; // a deliberately truncated message
      }
      if (typeof payload?.request_id !== 'string') continue; // deliberately invalid
      assert.equal(m.key, payload.request_id, 'keyed by request id');
      if (!m.key.includes('invalid')) {
        const seen = partitionOf.get(m.key);
        if (seen !== undefined) assert.equal(m.partition, seen, `request ${m.key}: request and primary output on the same partition`);
        partitionOf.set(m.key, m.partition);
      }
      if (m.topic === topics.requests && !m.key.includes('invalid')) {
        requestIds.add(m.key);
        const t = Date.parse(String(payload.event_time));
        assert.ok(t >= startedAt - 1000 && t <= endedAt, `event time ${payload.event_time} is "now" (run ${new Date(startedAt).toISOString()} .. ${new Date(endedAt).toISOString()})`);
      }
    }
    assert.equal(requestIds.size, COUNT, 'distinct request ids');
  });

  it('refuses to run without --count or --continuous', async () => {
    const { code, stderr } = await spawnCli(['traffic', '--config', join(REPO, 'shadow-compare.yaml')], brokers);
    assert.equal(code, 2);
    assert.match(stderr, /exactly one of --count N and --continuous/);
  });
});

function spawnCli(args: string[], brokers: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'shadow-compare.js'), ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KAFKA_BROKERS: brokers },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

async function runCli(args: string[], brokers: string): Promise<{ requests: number; messages: Record<string, number>; seconds: number }> {
  const { code, stdout, stderr } = await spawnCli(args, brokers);
  assert.equal(code, 0, `traffic exited ${code}:\n${stderr.slice(-3000)}`);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as { requests: number; messages: Record<string, number>; seconds: number };
}

async function consumeAll(kafka: Kafka, topicList: string[], expected: number): Promise<Received[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('traffic-test-group') });
  const out: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: topicList, fromBeginning: true });
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        out.push({ topic, partition, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
        if (out.length >= expected) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((_, fail) => (timer = setTimeout(() => fail(new Error(`consumed ${out.length} of ${expected} messages in 30 s`)), 30_000)))]);
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(out.length, expected);
  return out;
}
