import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope } from '../../src/traffic/index.ts';
import { loadDataset, rowFeatures } from '../../src/traffic/index.ts';
import { produceEnvelopes } from '../support/produce.ts';
import { createScenario, verify, waitUntilAllWritten, type Scenario } from '../support/scenario.ts';
import { startInstance, stopInstance, TEST_API_TOKEN } from '../support/processes.ts';

const ds = loadDataset('breast_cancer');

function request(id: string, t: number, features: Record<string, unknown> = rowFeatures(ds, 0), model = 'diagnosis'): Envelope {
  return {
    stream: 'requests',
    key: id,
    payload: { request_id: id, event_time: new Date(t).toISOString(), model, primary_version: 'v9', feature_schema_version: '1', features, segments: { country: 'DE', device: 'ios', customer_tier: 'pro' } },
  };
}

function primary(id: string, t: number): Envelope {
  return { stream: 'primaries', key: id, payload: { request_id: id, event_time: new Date(t).toISOString(), model: 'diagnosis', version: 'v9', output: { score: 0.9 }, latency_ms: 5, error: null } };
}

describe('bad and irregular input on the real broker', () => {
  it('records every bad message with its reason, counts irregular traffic exactly, and loses nothing else', async () => {
    const base = await createScenario({ count: 1500, seed: 707, config: { decode: { maxMessageBytes: 16_384 } }, traffic: { duplicateRate: 0.05, reorderRate: 0.3, missingPrimaryRate: 0.05 } });
    const tEnd = Math.max(...base.traffic.truth.map((t) => t.event_time)) + 100;
    const nonFinite = { ...rowFeatures(ds, 1), mean_radius: null };
    const huge = JSON.stringify({ request_id: 'huge', padding: 'x'.repeat(20_000) });
    const bad: Envelope[] = [
      { stream: 'requests', key: 'trunc', payload: '{"request_id": "trunc", "event_ti' },
      { stream: 'primaries', key: 'types', payload: JSON.stringify({ request_id: 'types', event_time: 'yesterday', model: 'diagnosis', version: 9, output: {}, latency_ms: '5' }) },
      { stream: 'requests', key: 'noid', payload: JSON.stringify({ event_time: new Date(tEnd).toISOString(), model: 'diagnosis', primary_version: 'v9', feature_schema_version: '1', features: {} }) },
      { stream: 'requests', key: 'huge', payload: huge },
      request('other-model', tEnd, rowFeatures(ds, 2), 'fraud'),
      // 1e999 parses to Infinity, which the contract refuses (features.mean_radius): a reject; the
      // request's primary output is then an orphan.
      { stream: 'requests', key: 'inf', payload: JSON.stringify(request('inf', tEnd).payload).replace(/"mean_radius":[0-9.e+-]+/, '"mean_radius":1e999') },
    ];
    const irregular: Envelope[] = [
      request('null-feature', tEnd, nonFinite),
      primary('null-feature', tEnd + 1),
      primary('inf', tEnd + 1),
      primary('orphan', tEnd + 2),
      request('late', tEnd + 3),
    ];
    const latePrimary = primary('late', tEnd + 4);
    const first = [...base.traffic.envelopes, ...bad, ...irregular];
    const all = [...first, latePrimary];
    const o = base.truth.overall;
    const s: Scenario = {
      ...base,
      traffic: { ...base.traffic, envelopes: all },
      produced: { requests: all.filter((e) => e.stream === 'requests').length, primaries: all.filter((e) => e.stream === 'primaries').length },
      truth: {
        ...base.truth,
        rejects: base.truth.rejects + 6,
        // null-feature: compared, a candidate error (NON_FINITE); late: unmatched on both sides;
        // orphan and inf's primary: unmatched primary outputs.
        overall: { ...o, compared: o.compared + 1, candidate_errors: o.candidate_errors + 1, unmatched_requests: o.unmatched_requests + 1, unmatched_primaries: o.unmatched_primaries + 3 },
      },
    };
    const i = await startInstance(s.config, 'input-faults', { dataDir: s.dataDir });
    try {
      await produceEnvelopes(s.kafka, s.topics, first);
      await waitUntilAllWritten({ ...s, produced: { requests: s.produced.requests, primaries: s.produced.primaries - 1 } }, i);
      // The late primary output arrives after its request's window closed: unmatched on both sides.
      await produceEnvelopes(s.kafka, s.topics, [latePrimary]);
      await waitUntilAllWritten(s, i);
      assert.deepEqual(await verify(s, i), []);
      const res = await fetch(`${i.url}/query`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_TOKEN}` }, body: JSON.stringify({ sql: 'SELECT error_code, count() AS n FROM shadow.rejects GROUP BY error_code ORDER BY error_code' }) });
      const codes = Object.fromEntries(((await res.json()) as { rows: { error_code: string; n: string }[] }).rows.map((r) => [r.error_code, Number(r.n)]));
      assert.ok(codes.INVALID_JSON! >= 1 && codes.SCHEMA_VIOLATION! >= 3 && codes.TOO_LARGE === 1 && codes.UNKNOWN_MODEL === 1, JSON.stringify(codes));
      assert.equal(i.child.exitCode, null, 'processing went on');
    } finally {
      assert.equal(await stopInstance(i), 0);
    }
  });
});
