import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client';
import { createLogger } from '../../src/ops/logger.ts';
import { emptyRow, type Outcome } from '../../src/outcomes/index.ts';
import { Ownership } from '../../src/pipeline/ownership.ts';
import { BatchWriter } from '../../src/sinks/clickhouse/batch-writer.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { createFence } from '../../src/sinks/clickhouse/fence.ts';
import { createLedger } from '../../src/sinks/clickhouse/ledger.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { createOutcomeSink, type RowSink } from '../../src/sinks/clickhouse/outcome-sink.ts';
import { testConfig } from '../support/config.ts';
import { freezeBeforeSend, freezeMidRequest, type Freeze } from '../support/fault-seams.ts';
import { startStoreServer, type StoreServer } from '../support/store-server.ts';

// The write fence the store enforces (DESIGN.md#write-fence), proved at the two points a client-side
// check cannot cover. Instance A owns partitions 0 and 1 and is frozen with a block of both in hand:
// (1) after its client-side fence let the insert through and before a byte is sent, (2) mid-request,
// half of the rows sent. Meanwhile B takes partition 0: records a newer generation, reads the ledger
// (A's rows are not there) and writes partition 0 again. Then A wakes up and its insert completes.
// Exact counts: every record once in outcomes and in stats_1m; A never reports a partition 0 row
// durable (its commit cannot pass it) and learns it lost partition 0; A's partition 1 rows land.
// Each seam has a control run with the store fence off (A inserts straight into outcomes), which the
// oracle must catch. One shared store (the test store server, real chDB), as two processes would use.

const logger = createLogger({ level: 'silent' });
const MODEL = 'diagnosis';
const PER_PARTITION = 100;

describe('the store enforces the write fence against a writer frozen mid-insert', () => {
  let server: StoreServer;
  let store: Store;
  let raw: ClickHouseClient;
  const config = testConfig();
  let run = 0;

  before(async () => {
    server = await startStoreServer();
    store = await openStore({ ...config.clickhouse, url: server.url });
    raw = createClient({ url: server.url, log: { level: ClickHouseLogLevel.OFF } });
    await migrate(store);
  });
  after(async () => {
    await raw?.close();
    await store?.close();
    await server?.stop();
  });

  for (const seam of ['between the fence check and the insert', 'mid-request'] as const) {
    it(`frozen ${seam}: the late block adds nothing, every record counted once`, async () => {
      const r = await moveWhileFrozen(seam, true);
      assert.deepEqual(r.violations, []);
      assert.equal(r.aDurable.filter((o) => o.row.source_partition === 0).length, 0, 'A reported a fenced row durable: its commit would pass it');
      assert.equal(r.aDurable.filter((o) => o.row.source_partition === 1).length, PER_PARTITION, "A's rows of the partition it still owns are written");
      assert.deepEqual(r.aLost, [0]);
      if (seam === 'mid-request') assert.ok(r.sentBeforeFreeze > 0, 'frozen with rows already sent');
    });

    it(`control, frozen ${seam} with the store fence off: the oracle reports the late block`, async () => {
      const r = await moveWhileFrozen(seam, false);
      assert.ok(r.violations.some((v) => v === `${PER_PARTITION} request records written more than once`), r.violations.join('\n'));
      assert.ok(r.violations.some((v) => /stats_1m unmatched_requests/.test(v)), r.violations.join('\n'));
    });
  }

  async function moveWhileFrozen(seam: 'between the fence check and the insert' | 'mid-request', storeFence: boolean) {
    const cv = `fence-${++run}-${storeFence ? 'on' : 'off'}`;
    const topic = `requests-${cv}`;
    const scope = `kafka:group-${cv}`;
    let freeze: Freeze;
    let sentBeforeFreeze = () => 0;
    let a: ReturnType<typeof instance>;
    if (seam === 'mid-request') {
      const mid = freezeMidRequest(store);
      freeze = mid;
      sentBeforeFreeze = mid.sentBeforeFreeze;
      a = instance('a', scope, cv, { sinkStore: mid.store, storeFence });
    } else {
      let seamed!: ReturnType<typeof freezeBeforeSend>;
      a = instance('a', scope, cv, { storeFence, wrap: (s) => (seamed = freezeBeforeSend(s)).sink });
      freeze = seamed;
    }
    const b = instance('b', scope, cv, { storeFence });

    await a.ownership.claim([0, 1]);
    a.writer.add([...outcomes(topic, 0, cv), ...outcomes(topic, 1, cv)]);
    const aFlushed = a.writer.flush();
    await freeze.frozen;

    // The group moved partition 0 to B: claim, then read back what earlier owners wrote.
    await b.ownership.claim([0]);
    const written = await b.ledger.written({ partition: 0, requestTopic: topic, requestFrom: 0, primaryTopic: `primaries-${cv}`, primaryFrom: 0, memoryMs: 60_000 });
    assert.equal(written.requestOffsets.size, 0, 'A has written nothing of partition 0 yet');
    b.writer.add(outcomes(topic, 0, cv).filter((o) => !written.requestOffsets.has(o.row.req_offset)));
    await b.writer.flush();
    assert.equal(b.durable.length, PER_PARTITION);

    freeze.release();
    await aFlushed;
    await Promise.all([a.writer.stop(), b.writer.stop()]);
    return { violations: await oracle(cv, topic), aDurable: a.durable, aLost: a.lost, sentBeforeFreeze: sentBeforeFreeze() };
  }

  function instance(name: string, scope: string, cv: string, o: { storeFence: boolean; sinkStore?: Store; wrap?: (s: RowSink) => RowSink }) {
    const fence = createFence(store, scope, name);
    const ownership = new Ownership(fence);
    const direct = createOutcomeSink(o.sinkStore ?? store, { storeFence: o.storeFence });
    const sink = o.wrap ? o.wrap(direct) : direct;
    const durable: Outcome[] = [];
    const lost: number[] = [];
    ownership.onLost((ps) => lost.push(...ps));
    const writer = new BatchWriter(
      sink,
      { maxRows: 10_000, flushIntervalMs: 60_000, retryInitialMs: 10, retryMaxMs: 100 },
      {
        onDurable: (block) => durable.push(...block),
        onFatal: (err) => assert.fail(err),
        canWrite: () => true,
        stamp: (ps) => ownership.stamp(ps),
        fenced: (stamp) => ownership.fenced(stamp),
        onFenced: (stamp, ps) => ownership.lost(stamp, ps),
      },
      logger,
    );
    return { ownership, writer, durable, lost, ledger: createLedger(store, MODEL, cv, sink, fence) };
  }

  /** Every record of both partitions exactly once, in the ledger and in stats_1m. */
  async function oracle(cv: string, topic: string): Promise<string[]> {
    const v: string[] = [];
    const [ids] = await rows<{ n: string; distinct: string }>(
      `SELECT count() AS n, uniqExact(source_partition, e_ro) AS distinct FROM shadow.outcome_blocks ARRAY JOIN l_req_offset AS e_ro
       WHERE row_type = 'ledger' AND candidate_version = {cv:String} AND req_topic = {t:String} AND e_ro >= 0`,
      { cv, t: topic },
    );
    const [n, distinct] = [Number(ids!.n), Number(ids!.distinct)];
    if (n !== distinct) v.push(`${n - distinct} request records written more than once`);
    if (distinct !== 2 * PER_PARTITION) v.push(`request records written ${distinct}, produced ${2 * PER_PARTITION}`);
    const [stats] = await rows<{ u: string }>(
      `SELECT sum(unmatched_requests) AS u FROM shadow.stats_1m WHERE candidate_version = {cv:String} AND dimension = '__all__'`,
      { cv },
    );
    if (Number(stats!.u) !== 2 * PER_PARTITION) v.push(`stats_1m unmatched_requests = ${stats!.u}, ground truth ${2 * PER_PARTITION}`);
    return v;
  }

  async function rows<T>(query: string, query_params: Record<string, unknown>): Promise<T[]> {
    return (await raw.query({ query, query_params, format: 'JSONEachRow' })).json<T>();
  }
});

function outcomes(topic: string, partition: number, cv: string): Outcome[] {
  return Array.from({ length: PER_PARTITION }, (_, offset) => {
    const row = emptyRow();
    row.kind = 'unmatched_request';
    row.model = MODEL;
    row.candidate_version = cv;
    row.request_id = `${topic}-${partition}-${offset}`;
    row.event_time = '2026-01-01 00:00:00.000';
    row.source_partition = partition;
    row.req_topic = topic;
    row.req_offset = offset;
    return { row, refs: [{ stream: 'requests' as const, topic, partition, offset }] };
  });
}
