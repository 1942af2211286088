import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chDateTime } from '../gate/fetch.ts';
import { loadGateSql } from '../gate/sql.ts';
import type { QueryRunner } from '../query/index.ts';
import { renderSql } from '../sinks/clickhouse/migrate.ts';
import type { Histogram, LabelTable, PeriodData, SegmentCounts, SegmentData } from './types.ts';

// The store side of `diagnose`: profiles and counts of the window and of the reference, per segment value.
// The SQL sits in src/diagnose/sql/ (readable, runnable by hand); labels reuse the gate's query.

export interface Period {
  readonly from: Date;
  readonly to: Date;
}

export interface DiagnoseTarget {
  readonly database: string;
  readonly model: string;
  readonly candidate: string;
  readonly window: Period;
  readonly reference: Period;
  /** Only this segment value (and nothing else) when set. */
  readonly segment?: { readonly dimension: string; readonly value: string } | undefined;
}

type Row = Record<string, unknown>;
const SQL_DIR = join(import.meta.dirname, 'sql');
const sqlOf = (name: 'profiles' | 'segment_counts', db: string): string => renderSql(readFileSync(join(SQL_DIR, `${name}.sql`), 'utf8'), db);

export async function fetchSegments(runner: QueryRunner, t: DiagnoseTarget): Promise<SegmentData[]> {
  const [win, ref] = await Promise.all([fetchPeriod(runner, t, t.window), fetchPeriod(runner, t, t.reference)]);
  const keys = new Set([...win.keys(), ...ref.keys()]);
  const out: SegmentData[] = [];
  for (const key of [...keys].sort()) {
    const [dimension, value] = key.split('\u0000') as [string, string];
    if (t.segment && (t.segment.dimension !== dimension || t.segment.value !== value)) continue;
    out.push({ dimension, value, window: win.get(key) ?? emptyPeriod(), reference: ref.get(key) ?? emptyPeriod() });
  }
  return out;
}

async function fetchPeriod(runner: QueryRunner, t: DiagnoseTarget, p: Period): Promise<Map<string, PeriodData>> {
  const params = { model: t.model, candidate: t.candidate, from: chDateTime(p.from), to: chDateTime(p.to) };
  const seconds = Math.max(60, Math.round((p.to.getTime() - p.from.getTime()) / 1000));
  const [profiles, counts, labels] = await Promise.all([
    runner.query<Row>(sqlOf('profiles', t.database), params),
    runner.query<Row>(sqlOf('segment_counts', t.database), params),
    runner.query<Row>(loadGateSql('labels', t.database), { model: t.model, candidate: t.candidate, start: params.from, end: params.to, sub_window_seconds: seconds }),
  ]);
  const out = new Map<string, { profiles: Map<string, Map<string, number>>; counts: SegmentCounts; labels: LabelTable | null }>();
  const get = (d: unknown, v: unknown) => {
    const key = `${String(d)}\u0000${String(v)}`;
    let e = out.get(key);
    if (!e) out.set(key, (e = { profiles: new Map(), counts: EMPTY_COUNTS, labels: null }));
    return e;
  };
  for (const r of profiles) {
    const e = get(r.dimension, r.value);
    const f = String(r.feature);
    let h = e.profiles.get(f);
    if (!h) e.profiles.set(f, (h = new Map()));
    h.set(String(r.cell), (h.get(String(r.cell)) ?? 0) + Number(r.n));
  }
  for (const r of counts) {
    const requests = Number(r.compared) + Number(r.unmatched_requests) + Number(r.schema_mismatches);
    get(r.dimension, r.value).counts = { compared: Number(r.compared), agreements: Number(r.agreements), bothOk: Number(r.both_ok), requests, schemaMismatches: Number(r.schema_mismatches) };
  }
  for (const r of labels) {
    if (Number(r.sub_window) !== 0 || Number(r.labelled) === 0) continue;
    get(r.dimension, r.value).labels = { labelled: Number(r.labelled), bothRight: Number(r.both_right), onlyPrimaryRight: Number(r.only_primary_right), onlyCandidateRight: Number(r.only_candidate_right) };
  }
  return out as Map<string, PeriodData>;
}

const EMPTY_COUNTS: SegmentCounts = { compared: 0, agreements: 0, bothOk: 0, requests: 0, schemaMismatches: 0 };

function emptyPeriod(): PeriodData {
  return { profiles: new Map<string, Histogram>(), counts: EMPTY_COUNTS, labels: null };
}
