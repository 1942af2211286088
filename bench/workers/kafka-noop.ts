// Ceiling 1 of 3: kafkajs fetch + decode of both backlog topics with a no-op eachBatch handler, with
// the processor's consumer settings. Reports records/s and the CPU this process spent per pair.
import { kafkaClient, endOffsets, total, withAdmin } from '../lib/kafka.ts';
import { workerArgs, workerResult } from '../lib/child.ts';

interface Args {
  brokers: string;
  topics: { requests: string; primaries: string };
  groupId: string;
  partitionsConsumedConcurrently: number;
  maxBytesPerPartition: number;
  /** Stop after this many pairs' worth of records (both topics), or at the end of the backlog. */
  limitPairs: number;
}

const a = workerArgs<Args>();
const kafka = kafkaClient(a.brokers, 'bench-noop');
const ends = await withAdmin(kafka, (admin) => endOffsets(admin, [a.topics.requests, a.topics.primaries]));
const expected = Math.min(total(ends), 2 * a.limitPairs);
const consumer = kafka.consumer({ groupId: a.groupId, maxBytesPerPartition: a.maxBytesPerPartition, sessionTimeout: 30_000, heartbeatInterval: 3000 });
await consumer.connect();
await consumer.subscribe({ topics: [a.topics.requests, a.topics.primaries], fromBeginning: true });
let seen = 0;
let bytes = 0;
let batches = 0;
let t0 = 0;
let cpu0: NodeJS.CpuUsage | undefined;
let finish!: () => void;
const done = new Promise<void>((r) => (finish = r));
consumer.on(consumer.events.GROUP_JOIN, () => {
  t0 = performance.now();
  cpu0 = process.cpuUsage();
});
await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: false,
  partitionsConsumedConcurrently: a.partitionsConsumedConcurrently,
  eachBatch: async ({ batch }) => {
    // No-op apart from what any handler does: walk the messages kafkajs decoded.
    for (const m of batch.messages) bytes += m.value?.length ?? 0;
    seen += batch.messages.length;
    batches++;
    if (seen >= expected) finish();
  },
});
await done;
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
await consumer.disconnect();
// A pair is one request and one primary-output record (pure-pairs backlog: the topics hold as many).
const pairs = seen / 2;
workerResult({
  records: seen,
  pairs,
  bytes,
  batches,
  wallSeconds: wall,
  cpuSeconds,
  recordsPerSec: seen / wall,
  pairsPerSec: pairs / wall,
  cpuUsPerPair: (cpuSeconds * 1e6) / pairs,
});
process.exit(0);
