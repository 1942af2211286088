// The bench's Kafka: an existing cluster (KAFKA_BROKERS) or our own single-node broker whose data
// directory survives between bench runs, so a produced backlog is produced once and reused.
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startBroker } from '../../scripts/kafka/broker.ts';
import { pidListeningOn } from './procfs.ts';

export interface BenchBroker {
  readonly brokers: string;
  /** The broker JVM, when it runs on this machine (its CPU is measured separately). */
  readonly pid: number | undefined;
  readonly external: boolean;
  stop(): Promise<void>;
}

export async function openBroker(opts: { dataDir?: string; log: (line: string) => void }): Promise<BenchBroker> {
  const fromEnv = process.env.KAFKA_BROKERS;
  if (fromEnv) {
    const port = Number(fromEnv.split(',')[0]!.split(':')[1]);
    return { brokers: fromEnv, pid: pidListeningOn(port), external: true, stop: async () => {} };
  }
  const b = await startBroker({ ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), log: (l) => opts.log(`[kafka] ${l}`) });
  try {
    await waitForLeaders(kafkaClient(b.brokers, 'bench-ready'), opts.log);
  } catch (err) {
    await b.stop();
    throw err;
  }
  return { brokers: b.brokers, pid: b.pid, external: false, stop: () => b.stop() };
}

/** A restarted broker with kept data answers before it leads its partitions again: wait for that. */
async function waitForLeaders(kafka: Kafka, log: (line: string) => void): Promise<void> {
  const t0 = performance.now();
  let last = '';
  while (performance.now() - t0 < 120_000) {
    try {
      await withAdmin(kafka, async (admin) => {
        const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
        for (const t of topics) await admin.fetchTopicOffsets(t);
      });
      if (performance.now() - t0 > 1000) log(`[kafka] partitions led again after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return;
    } catch (err) {
      last = String(err);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`the broker does not lead its partitions after 120 s: ${last}`);
}

export function kafkaClient(brokers: string, clientId = 'shadow-bench'): Kafka {
  return new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8 } });
}

export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** High watermark per `${topic}:${partition}`. */
export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of topics) for (const p of await admin.fetchTopicOffsets(t)) out.set(`${t}:${p.partition}`, Number(p.high));
  return out;
}

export function total(offsets: Map<string, number>, topic?: string): number {
  let n = 0;
  for (const [k, v] of offsets) if (!topic || k.startsWith(`${topic}:`)) n += v;
  return n;
}

/** Records of `topics` the group has committed, and whether every partition is committed to its end. */
export async function committedProgress(admin: Admin, groupId: string, ends: Map<string, number>): Promise<{ committed: number; done: boolean }> {
  const topics = [...new Set([...ends.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))))];
  const res = await admin.fetchOffsets({ groupId, topics });
  let committed = 0;
  let done = true;
  for (const t of res) {
    for (const p of t.partitions) {
      const end = ends.get(`${t.topic}:${p.partition}`) ?? 0;
      const c = Math.max(0, Number(p.offset));
      committed += Math.min(c, end);
      if (c < end) done = false;
    }
  }
  return { committed, done };
}

export async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  return (await admin.listTopics()).includes(topic);
}

/**
 * Creates co-partitioned topics, retrying while a just-started broker still loads its partitions
 * ("This server does not host this topic-partition" from the metadata wait).
 */
export async function createTopics(kafka: Kafka, topics: readonly string[], partitions: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await withAdmin(kafka, (admin) =>
        admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) }),
      );
      return;
    } catch (err) {
      if (attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
