import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpRunner } from '../../src/query/index.ts';
import { openStore } from '../../src/sinks/clickhouse/client.ts';
import { writtenIdentities } from '../support/oracle.ts';
import { createScenario, produceAll, verify, waitUntilAllWritten } from '../support/scenario.ts';
import { startInstance, stopInstance, waitFor, TEST_API_TOKEN } from '../support/processes.ts';

describe('graceful shutdown under load', () => {
  it('writes and commits everything consumed before exiting on SIGTERM, and a restart finishes exactly', async () => {
    const s = await createScenario({ count: 6000, seed: 505 });
    const first = await startInstance(s.config, 'term-1', { dataDir: s.dataDir });
    const producing = produceAll(s);
    // Mid-load, as early as possible: the first rows written, before any periodic commit ran.
    const q = createHttpRunner(first.url, { token: TEST_API_TOKEN });
    await waitFor(async () => {
      const w = await writtenIdentities(q, 'shadow');
      return w.reqIds + w.primIds > 0;
    }, 30_000, () => 'nothing written');
    assert.equal(await stopInstance(first, 'SIGTERM'), 0, first.output().slice(-2000));
    assert.match(first.output(), /stopped cleanly/);
    await producing;
    // Committed offsets never run ahead of what is written: every record below them has its row.
    const admin = s.kafka.admin();
    await admin.connect();
    const committed: { topic: string; partition: number; offset: number }[] = [];
    try {
      for (const topic of [s.topics.requests, s.topics.primaries]) {
        const [c] = await admin.fetchOffsets({ groupId: s.config.kafka.groupId, topics: [topic] });
        for (const p of c!.partitions) committed.push({ topic, partition: p.partition, offset: Math.max(0, Number(p.offset)) });
      }
    } finally {
      await admin.disconnect();
    }
    assert.ok(committed.some((c) => c.offset > 0), 'something was committed before exit');
    const store = await openStore({ ...s.config.clickhouse, dataDir: s.dataDir });
    try {
      for (const c of committed) {
        const rs = await store.client.query({
          // Every record below the committed offset has its ledger element (one per outcome, with the
          // identities it accounts for).
          query: `SELECT uniqExact(o) AS n FROM (
                    SELECT e_ro AS o FROM shadow.outcome_blocks ARRAY JOIN l_req_offset AS e_ro
                    WHERE row_type = 'ledger' AND req_topic = {t:String} AND source_partition = {p:Int32} AND e_ro >= 0 AND e_ro < {c:Int64}
                    UNION ALL
                    SELECT e_po AS o FROM shadow.outcome_blocks ARRAY JOIN l_prim_offset AS e_po
                    WHERE row_type = 'ledger' AND prim_topic = {t:String} AND source_partition = {p:Int32} AND e_po >= 0 AND e_po < {c:Int64})`,
          format: 'JSONEachRow',
          query_params: { t: c.topic, p: c.partition, c: c.offset },
        });
        const [row] = await rs.json<{ n: string }>();
        const n = row?.n;
        assert.equal(Number(n), c.offset, `${c.topic}[${c.partition}]: committed ${c.offset}, rows below it ${n}`);
      }
    } finally {
      await store.close();
    }
    const second = await startInstance(s.config, 'term-2', { dataDir: s.dataDir });
    try {
      await waitUntilAllWritten(s, second);
      assert.deepEqual(await verify(s, second), []);
    } finally {
      assert.equal(await stopInstance(second), 0);
    }
  });
});
