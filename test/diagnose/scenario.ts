import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDiagnose, type Diagnosis } from '../../src/diagnose/index.ts';
import type { Logger } from '../../src/ops/logger.ts';
import { replayFile } from '../../src/pipeline/replay.ts';
import { ingestLabelFile } from '../../src/labels/index.ts';
import { createStoreRunner } from '../../src/query/index.ts';
import type { Store } from '../../src/sinks/clickhouse/client.ts';
import { generateTraffic, loadDataset, writeNdjson, type Dataset, type Traffic, type TrafficOptions } from '../../src/traffic/index.ts';
import { testConfig } from '../support/config.ts';

// Generated traffic with a known truth, replayed through the real pipeline (decode -> ONNX candidate ->
// join -> fenced insert -> profile_1m), then diagnosed: a reference week and the day after it.

export const DAY_MS = 86_400_000;
export const END = Date.UTC(2025, 2, 8);
export const WINDOW = { from: new Date(END - DAY_MS), to: new Date(END) };
export const REFERENCE = { from: new Date(END - 8 * DAY_MS), to: new Date(END - DAY_MS) };
export const ds: Dataset = loadDataset('breast_cancer');

/** Expected ranges from the data set (the reference the bins come from): what a feature schema records. */
export function rangesOf(d: Dataset): Record<string, { min: number; max: number }> {
  const out: Record<string, { min: number; max: number }> = {};
  d.feature_names.forEach((name, i) => {
    const col = d.rows.map((r) => r[i] as number);
    out[name] = { min: Math.min(...col), max: Math.max(...col) };
  });
  return out;
}

export type Effects = Pick<TrafficOptions, 'shift' | 'nullFeature' | 'segmentFlip'>;

export interface Scenario {
  readonly name: string;
  readonly primaryVersion: string;
  readonly seed: number;
  readonly referenceCount: number;
  readonly windowCount: number;
  /** Applied to the window only. */
  readonly effects?: Effects;
  /** Labels = the logged primary's answer (so, where the primary was flipped, the candidate is wrong). */
  readonly labels?: boolean;
}

function trafficOf(s: Scenario, part: 'ref' | 'win'): Traffic {
  const win = part === 'win';
  const count = win ? s.windowCount : s.referenceCount;
  const span = win ? DAY_MS : 7 * DAY_MS;
  const start = win ? WINDOW.from.getTime() : REFERENCE.from.getTime();
  return generateTraffic({
    dataset: ds, model: 'diagnosis', primaryVersion: s.primaryVersion, count, seed: s.seed + (win ? 1 : 0), idPrefix: `${s.name}-${part}-`,
    startTime: start + 60_000, ratePerSec: (count / (span / 1000)) * 1.05, // ends ~5 % before the period does
    ...(win ? s.effects : {}),
  });
}

function labelLines(t: Traffic): string {
  const lines = t.truth
    .filter((r) => r.primary_output?.label !== undefined)
    .map((r) => JSON.stringify({ stream: 'labels', key: r.request_id, payload: { request_id: r.request_id, model: 'diagnosis', label: r.primary_output!.label, label_time: new Date(r.event_time + DAY_MS / 2).toISOString() } }));
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Replays the scenario as candidate version `v10-<name>` and diagnoses the window against the reference. */
export async function replayAndDiagnose(dir: string, dataDir: string, store: Store, logger: Logger, s: Scenario): Promise<Diagnosis> {
  const file = join(dir, `${s.name}.ndjson`);
  writeFileSync(file, '');
  for (const part of ['ref', 'win'] as const) {
    const t = trafficOf(s, part);
    const f = join(dir, `${s.name}-${part}.ndjson`);
    writeNdjson(f, t.envelopes);
    if (s.labels) appendFileSync(f, labelLines(t));
    const base = testConfig({ clickhouse: { dataDir }, primary: { reproduce: false }, profiles: { sampleRate: 1, specs: rangesOf(ds) } });
    await replayFile(f, { ...base, candidate: { ...base.candidate, version: `v10-${s.name}` } }, store, logger);
    if (s.labels) await ingestLabelFile(f, store, { model: 'diagnosis' });
  }
  return runDiagnose(createStoreRunner(store), { database: store.database, model: 'diagnosis', candidate: `v10-${s.name}`, window: WINDOW, reference: REFERENCE });
}
