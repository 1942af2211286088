// Reads the figures the gate decides from, straight from shadow.stats_1m (no FINAL, no argMax:
// a duplicate written twice must show).
import type { QueryRunner } from '../../src/query/index.ts';
import type { Figures } from './ground-truth.ts';

const COLUMNS = ['compared', 'agreements', 'both_ok', 'candidate_errors', 'primary_errors', 'unmatched_requests', 'unmatched_primaries', 'duplicates'] as const;

export async function readFigures(q: QueryRunner, db: string, model: string, cv: string): Promise<{ overall: Figures; segments: Map<string, Figures> }> {
  const rows = await q.query<Record<string, string>>(
    `SELECT dimension, value, ${COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(', ')}
     FROM ${db}.stats_1m WHERE model = {m:String} AND candidate_version = {v:String}
     GROUP BY dimension, value`,
    { m: model, v: cv },
  );
  const toFigures = (r: Record<string, string>) => Object.fromEntries(COLUMNS.map((c) => [c, Number(r[c] ?? 0)])) as unknown as Figures;
  const overall = rows.find((r) => r.dimension === '__all__');
  const segments = new Map(rows.filter((r) => r.dimension !== '__all__').map((r) => [`${r.dimension}=${r.value}`, toFigures(r)]));
  return { overall: overall ? toFigures(overall) : toFigures({}), segments };
}

export async function countRejects(q: QueryRunner, db: string): Promise<number> {
  const [r] = await q.query<{ n: string }>(`SELECT count() AS n FROM ${db}.rejects`);
  return Number(r?.n ?? 0);
}
