// Produces request/primary pairs at a steady rate in real time (event time = now), both messages of a
// pair in the same produce call, and logs when each pair was handed to the producer: the latency
// scenario's "primary output produced" time. Ids are `${prefix}${seq}` so a log entry is a seq range.
import { writeFileSync } from 'node:fs';
import { Partitioners } from 'kafkajs';
import { sampleTraffic, PURE_PAIRS } from '../lib/backlog.ts';
import { kafkaClient } from '../lib/kafka.ts';
import { workerArgs, workerResult } from '../lib/child.ts';

interface Args {
  brokers: string;
  topics: { requests: string; primaries: string };
  ratePerSec: number;
  seconds: number;
  prefix: string;
  logFile: string;
}

const a = workerArgs<Args>();
// Templates: each pool message as JSON text split around its request id and event time, so a send
// costs string concatenation, not JSON.stringify (the producer shares the two cores with the processor).
type Template = { parts: string[]; order: ('id' | 'time')[] };
const template = (payload: Record<string, unknown>): Template => {
  const text = JSON.stringify({ ...payload, request_id: '@@ID@@', event_time: '@@T@@' });
  const re = /"@@(ID|T)@@"/g;
  const parts = text.split(re).filter((_, i) => i % 2 === 0);
  const order = [...text.matchAll(re)].map((m) => (m[1] === 'ID' ? 'id' : 'time') as 'id' | 'time');
  return { parts, order };
};
const fill = (t: Template, id: string, time: string) => {
  let s = t.parts[0]!;
  for (let i = 0; i < t.order.length; i++) s += JSON.stringify(t.order[i] === 'id' ? id : time) + t.parts[i + 1]!;
  return s;
};
const pool: { req: Template; prim: Template; latency: number }[] = [];
{
  const envelopes = sampleTraffic({ name: 'steady', requests: 5000, seed: 3, shape: PURE_PAIRS });
  const prims = new Map(envelopes.filter((e) => e.stream === 'primaries').map((e) => [e.key, e.payload as Record<string, unknown>]));
  for (const e of envelopes) {
    if (e.stream !== 'requests') continue;
    const p = prims.get(e.key)!;
    pool.push({ req: template(e.payload as Record<string, unknown>), prim: template(p), latency: Math.ceil(Number(p.latency_ms)) });
  }
}

const kafka = kafkaClient(a.brokers, 'bench-steady');
const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const log: [number, number, number][] = []; // [firstSeq, lastSeq, epoch ms handed to the producer]
const inflight = new Set<Promise<unknown>>();
let seq = 0;
let skippedTicks = 0;
let maxInflight = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const end = t0 + a.seconds * 1000;
while (performance.now() < end) {
  const due = Math.floor(((performance.now() - t0) / 1000) * a.ratePerSec) - seq;
  if (due > 0 && inflight.size < 32) {
    const n = Math.min(due, 5000);
    const now = Date.now();
    const requests = [];
    const primaries = [];
    for (let i = 0; i < n; i++) {
      const s = seq + i;
      const id = `${a.prefix}${s}`;
      const p = pool[s % pool.length]!;
      requests.push({ key: id, value: fill(p.req, id, new Date(now).toISOString()) });
      primaries.push({ key: id, value: fill(p.prim, id, new Date(now + p.latency).toISOString()) });
    }
    log.push([seq, seq + n - 1, now]);
    seq += n;
    const send = producer.sendBatch({ acks: 1, topicMessages: [{ topic: a.topics.requests, messages: requests }, { topic: a.topics.primaries, messages: primaries }] });
    inflight.add(send);
    maxInflight = Math.max(maxInflight, inflight.size);
    void send.finally(() => inflight.delete(send)).catch(() => {});
  } else if (due > 0) {
    skippedTicks++;
  }
  await new Promise((r) => setTimeout(r, 5));
}
await Promise.all(inflight);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await producer.disconnect();
writeFileSync(a.logFile, JSON.stringify(log));
workerResult({ sent: seq, seconds: wall, achievedRate: seq / wall, cpuCores: (cpu.user + cpu.system) / 1e6 / wall, maxInflight, skippedTicks });
process.exit(0);
