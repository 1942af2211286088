import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GateConfigSchema, runGate, type GateConfig, type GateReport } from '../../src/gate/index.ts';
import { ingestLabelFile } from '../../src/labels/index.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { createStoreRunner } from '../../src/query/index.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { generateTraffic, loadDataset, writeNdjson, type Traffic } from '../../src/traffic/index.ts';
import { testConfig } from '../support/config.ts';

// Issue 13, acceptance (3), on the real pipeline: replay a file whose "labels" lines carry the data set's
// true diagnosis for each request, 3 days after it (the late-label topic's contract), then gate.
// - "better": the logged primary is v10 with 10 % of its answers flipped; the candidate is v10. Agreement
//   is ~0.90 (REJECT without labels), but the candidate is more accurate on the truth -> the verdict says
//   "candidate better on labels" (HOLD), and PROMOTE with labels.overrideAgreement.
// - "worse": the logged primary is v9 (accuracy 0.981 on the data set), the candidate v10 (0.947)
//   -> REJECT with the McNemar p.
// Also: labels are counted exactly once (duplicates, unknown requests and invalid messages reported as
// such, and ingesting the same file again adds nothing).

const DAY_MS = 86_400_000;
const END = Date.UTC(2025, 2, 8);
const COUNT = 10_000;
const logger = createLogger({ level: 'warn' });
const ds = loadDataset('breast_cancer');

function traffic(primaryVersion: string, idPrefix: string, primaryFlipRate: number): Traffic {
  return generateTraffic({
    dataset: ds, model: 'diagnosis', primaryVersion, count: COUNT, seed: 4242, idPrefix, primaryFlipRate,
    startTime: END - 7 * DAY_MS + 60_000, ratePerSec: (COUNT / (7 * 86_400)) * 0.97, // runs ~3 % past END
  });
}

/** One label envelope per request, the truth from the data set, plus the irregular ones a real topic has. */
function labelLines(t: Traffic, extra: { duplicates: number; unknown: number; invalid: number }): string {
  const truth = (row: number) => ds.targets![row] as number;
  const label = (id: string, value: number, at: number) =>
    JSON.stringify({ stream: 'labels', key: id, payload: { request_id: id, model: 'diagnosis', label: value, label_time: new Date(at).toISOString() } });
  const lines = t.truth.map((r) => label(r.request_id, truth(r.row), r.event_time + 3 * DAY_MS));
  // A contradicting relabel a day later: a duplicate, counted as such; the earliest label stays the truth.
  for (const r of t.truth.slice(0, extra.duplicates)) lines.push(label(r.request_id, 1 - truth(r.row), r.event_time + 4 * DAY_MS));
  for (let i = 0; i < extra.unknown; i++) lines.push(label(`never-mirrored-${i}`, 0, END));
  for (let i = 0; i < extra.invalid; i++) lines.push(JSON.stringify({ stream: 'labels', key: `bad-${i}`, payload: { request_id: `bad-${i}`, model: 'diagnosis', label_time: END } }));
  return `${lines.join('\n')}\n`;
}

describe('late labels on replayed traffic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-labels-'));
  const dataDir = join(dir, 'data');
  let store: Store;

  before(async () => {
    store = await openStore(testConfig({ clickhouse: { dataDir } }).clickhouse);
    await migrate(store);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function replayWithLabels(name: string, t: Traffic, candidateVersion: string, extra = { duplicates: 0, unknown: 0, invalid: 0 }): Promise<string> {
    const file = join(dir, `${name}.ndjson`);
    writeNdjson(file, t.envelopes);
    appendFileSync(file, labelLines(t, extra));
    const base = testConfig({ clickhouse: { dataDir }, primary: { reproduce: false } });
    await replayFile(file, { ...base, candidate: { ...base.candidate, version: candidateVersion } }, store, logger);
    await ingestLabelFile(file, store, { model: 'diagnosis' });
    return file;
  }
  const gate = (candidate: string, config: GateConfig = GateConfigSchema.parse({})): Promise<GateReport> =>
    runGate(createStoreRunner(store), { model: 'diagnosis', candidate, database: store.database, config, end: new Date(END), now: new Date(END) });

  it('says "candidate better on labels" while agreement is 0.90, and counts every label once', async (t) => {
    const file = await replayWithLabels('better', traffic('v10', 'better-', 0.1), 'v10-better', { duplicates: 30, unknown: 20, invalid: 5 });
    const r = await gate('v10-better');
    t.diagnostic(r.reasons.join(' | '));
    const agreement = r.criteria.find((c) => c.id === 'agreement' && c.scope === 'window');
    assert.ok((agreement?.measured ?? 1) < 0.91 && (agreement?.measured ?? 0) > 0.89, `agreement ${agreement?.measured}`);
    assert.equal(r.decision, 'HOLD', 'labels turn the agreement REJECT into a HOLD');
    assert.match(r.reasons[0] ?? '', /^window: agreement 0\.9\d+ is below 0\.9500 .*, but labels \(n=\d+\): candidate accuracy 0\.9\d+ vs primary 0\.8\d+: .*candidate better on labels \(McNemar p=[\d.e+-]+\) → the disagreement looks like the candidate being right/);
    assert.deepEqual(r.labels, { valid: r.labels!.requests + 30, requests: COUNT + 20, duplicates: 30, unknown: 20, invalid: 5 });
    // Exactly once: the same file again inserts nothing.
    await ingestLabelFile(file, store, { model: 'diagnosis' });
    assert.deepEqual((await gate('v10-better')).labels, r.labels);
    const promoted = await gate('v10-better', GateConfigSchema.parse({ labels: { overrideAgreement: true } }));
    assert.equal(promoted.decision, 'PROMOTE', promoted.reasons.join('\n'));
  });

  it('rejects a candidate less accurate than the primary on labels, with the McNemar p', async (t) => {
    await replayWithLabels('worse', traffic('v9', 'worse-', 0), 'v10-worse');
    const r = await gate('v10-worse');
    t.diagnostic(r.reasons.join(' | '));
    assert.equal(r.decision, 'REJECT');
    const line = r.reasons.find((x) => x.startsWith('window: labels'));
    assert.match(line ?? '', /^window: labels \(n=\d+\): candidate accuracy 0\.94\d+ vs primary 0\.98\d+, McNemar p=[\d.e+-]+: less accurate by more than 1\.0% → the candidate is less accurate than production on ground truth: do not promote$/);
  });
});
