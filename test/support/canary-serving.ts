// A serving layer for canary tests: follows the production flag with watchProduction, generates
// mirrored traffic (src/traffic) in real time, routes every request with routeVersion (the version
// that served it goes into the request and its primary output), and makes the served version fail
// with a known probability per version and segment. The truth (what each version served, per
// segment, and how many errors) is counted as it is produced.
import type { Kafka } from 'kafkajs';
import { splitBucket } from '../../src/registry/traffic-split.ts';
import { routeVersion, watchProduction, type ProductionRecord, type ProductionWatch } from '../../src/registry/index.ts';
import { generateTraffic, loadDataset, type Envelope } from '../../src/traffic/index.ts';

const ds = loadDataset('breast_cancer');

export interface ServingOptions {
  readonly kafka: Kafka;
  readonly brokers: string[];
  readonly registryTopic: string;
  readonly topics: { requests: string; primaries: string };
  /** Requests per second. */
  readonly rate: number;
  /** Probability that `version` fails a request with these segments. */
  readonly errorRate: (version: string, segments: Record<string, string>) => number;
  readonly seed: number;
}

export interface Serving {
  /** The flag records the serving layer saw, in order. */
  readonly seen: ProductionRecord[];
  /** Requests served and failed per version. */
  readonly served: Map<string, { answered: number; errors: number }>;
  stop(): Promise<void>;
}

export async function startServing(o: ServingOptions): Promise<Serving> {
  const seen: ProductionRecord[] = [];
  const served = new Map<string, { answered: number; errors: number }>();
  const watch: ProductionWatch = await watchProduction('diagnosis', (r) => seen.push(r), { brokers: o.brokers, topic: o.registryTopic });
  const producer = o.kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let stopped = false;
  const chunkMs = 250;
  const loop = (async () => {
    for (let chunk = 0; !stopped; chunk++) {
      const started = Date.now();
      const record = watch.current();
      if (record) {
        const envelopes = serveChunk(o, record, chunk, started, served);
        await producer.sendBatch({
          acks: -1,
          topicMessages: (['requests', 'primaries'] as const).map((s) => ({
            topic: o.topics[s],
            messages: envelopes.filter((e) => e.stream === s).map((e) => ({ key: e.key, value: JSON.stringify(e.payload) })),
          })),
        });
      }
      await new Promise((r) => setTimeout(r, Math.max(0, chunkMs - (Date.now() - started))));
    }
  })();
  return {
    seen,
    served,
    async stop() {
      stopped = true;
      await loop;
      await producer.disconnect();
      await watch.stop();
    },
  };
}

/** One chunk (a quarter second) of traffic routed under `record`; the canary answers like production (equal outputs), so only errors differ. */
function serveChunk(o: ServingOptions, record: ProductionRecord, chunk: number, startTime: number, served: Serving['served']): Envelope[] {
  const count = Math.max(1, Math.round(o.rate / 4));
  const t = generateTraffic({
    dataset: ds, model: 'diagnosis', primaryVersion: 'v9', count, seed: o.seed * 100_003 + chunk, startTime, ratePerSec: o.rate * 4,
    idPrefix: `s${o.seed}-${chunk}-`, missingPrimaryRate: 0, inlinePrimaryRate: 0, duplicateRate: 0, invalidRate: 0, primaryErrorRate: 0, reorderRate: 0,
  });
  const versionOf = new Map<string, string>();
  const failed = new Set<string>();
  for (const r of t.truth) {
    const { version } = routeVersion(record, r.request_id);
    versionOf.set(r.request_id, version);
    const segments = ds.segments[r.row] ?? {};
    // Deterministic per request: the same id fails the same way whichever process serves it.
    if (splitBucket(r.request_id, `error:${version}`) / 10_000 < o.errorRate(version, segments)) failed.add(r.request_id);
    const s = served.get(version) ?? { answered: 0, errors: 0 };
    served.set(version, { answered: s.answered + 1, errors: s.errors + (failed.has(r.request_id) ? 1 : 0) });
  }
  return t.envelopes.map((e) => {
    const p = { ...(e.payload as Record<string, unknown>) };
    const version = versionOf.get(e.key) as string;
    if (e.stream === 'requests') p.primary_version = version;
    else {
      p.version = version;
      if (failed.has(e.key)) Object.assign(p, { output: {}, error: { code: 'INTERNAL', message: 'inference failed' } });
    }
    return { ...e, payload: p };
  });
}
