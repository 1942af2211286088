// What-if measurements behind the proposed optimisations (nothing here is used by the processor):
//   validate  zod safeParse (src/contracts) vs a hand-written check of the same rules, per pair
//   sink      the rows the pipeline makes, inserted one row per record into the schema before migration 000080
//             vs as blocks (full rows where read, ledger arrays, aggregate cells: the sink now), CPU per row
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MirroredRequest } from '../../src/contracts/request.ts';
import { PrimaryOutput } from '../../src/contracts/primary-output.ts';
import { buildPipeline } from '../../src/pipeline/build.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { OUTCOME_COLUMNS, type OutcomeRow } from '../../src/outcomes/index.ts';
import { encodeBlock } from '../../src/sinks/clickhouse/block-encoding.ts';
import { createOutcomeSink } from '../../src/sinks/clickhouse/outcome-sink.ts';
import { openStore } from '../../src/sinks/clickhouse/client.ts';
import { migrate, readMigrations, renderSql } from '../../src/sinks/clickhouse/migrate.ts';
import type { RawRecord } from '../../src/types.ts';
import { sampleTraffic, PURE_PAIRS } from '../lib/backlog.ts';
import { workerArgs, workerResult } from '../lib/child.ts';
import { benchConfig } from '../lib/instance.ts';
import { threadCpu } from '../lib/procfs.ts';

interface Args {
  part: 'validate' | 'sink';
  pairs: number;
  seconds: number;
}

const a = workerArgs<Args>();
const envelopes = sampleTraffic({ name: 'whatif', requests: a.pairs, seed: 9, shape: PURE_PAIRS });

// ---------------------------------------------------------------- validate

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, min: number, max: number) => typeof v === 'string' && v.length >= min && v.length <= max;
const time = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : typeof v === 'string' && ISO.test(v) ? Date.parse(v) : NaN);
const onlyKeys = (o: Obj, allowed: Set<string>) => {
  for (const k in o) if (!allowed.has(k)) return false;
  return true;
};
const REQ_KEYS = new Set(['request_id', 'event_time', 'model', 'primary_version', 'feature_schema_version', 'features', 'segments', 'primary_output']);
const PRIM_KEYS = new Set(['request_id', 'event_time', 'model', 'version', 'output', 'latency_ms', 'error', 'cost_usd']);
function output(o: unknown): boolean {
  if (!isObj(o)) return false;
  if (o.label !== undefined && typeof o.label !== 'string' && typeof o.label !== 'number') return false;
  if (o.score !== undefined && typeof o.score !== 'number') return false;
  if (o.value !== undefined && typeof o.value !== 'number') return false;
  if (o.scores !== undefined && !(Array.isArray(o.scores) && o.scores.every((x) => typeof x === 'number'))) return false;
  return true;
}
function error(e: unknown): boolean {
  return e === undefined || e === null || (isObj(e) && str(e.code, 1, 128) && (e.message === undefined || str(e.message, 0, 4096)));
}
/** The rules of MirroredRequest (without inline primary outputs, which the fast path hands to zod). */
function fastRequest(j: unknown): Obj | null {
  if (!isObj(j) || !onlyKeys(j, REQ_KEYS) || j.primary_output !== undefined) return null;
  if (!str(j.request_id, 1, 256) || !str(j.model, 1, 128) || !str(j.primary_version, 1, 128)) return null;
  const t = time(j.event_time);
  if (Number.isNaN(t)) return null;
  const fsv = j.feature_schema_version;
  if (!(str(fsv, 1, 128) || (typeof fsv === 'number' && Number.isInteger(fsv)))) return null;
  if (!isObj(j.features)) return null;
  for (const k in j.features) {
    const v = j.features[k];
    if (v !== null && typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') return null;
  }
  if (j.segments !== undefined) {
    if (!isObj(j.segments)) return null;
    for (const k in j.segments) {
      const v = j.segments[k];
      if (typeof v === 'string') continue;
      if (typeof v !== 'number' && typeof v !== 'boolean') return null;
      j.segments[k] = String(v);
    }
  }
  j.event_time = t;
  j.feature_schema_version = String(fsv);
  return j; // validated in place: no copy
}
function fastPrimary(j: unknown): Obj | null {
  if (!isObj(j) || !onlyKeys(j, PRIM_KEYS)) return null;
  if (!str(j.request_id, 1, 256) || !str(j.model, 1, 128) || !str(j.version, 1, 128)) return null;
  const t = time(j.event_time);
  if (Number.isNaN(t) || !output(j.output) || !error(j.error)) return null;
  if (typeof j.latency_ms !== 'number' || !(j.latency_ms >= 0)) return null;
  if (j.cost_usd !== undefined && (typeof j.cost_usd !== 'number' || !(j.cost_usd >= 0))) return null;
  j.event_time = t;
  return j;
}

function measure(fn: (i: number) => void, n: number): number {
  for (let i = 0; i < n; i++) fn(i);
  let pairs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < a.seconds * 1000) {
    for (let i = 0; i < n; i++) fn(i);
    pairs += n;
  }
  return ((performance.now() - t0) * 1000) / pairs;
}

if (a.part === 'validate') {
  const req = envelopes.filter((e) => e.stream === 'requests').map((e) => JSON.stringify(e.payload));
  const prim = envelopes.filter((e) => e.stream === 'primaries').map((e) => JSON.stringify(e.payload));
  const n = Math.min(req.length, prim.length);
  // Same verdicts on the sample (all valid), and the same normalised fields.
  for (let i = 0; i < n; i++) {
    const z = MirroredRequest.safeParse(JSON.parse(req[i]!));
    const f = fastRequest(JSON.parse(req[i]!));
    if (!z.success || !f || z.data.event_time !== f.event_time) throw new Error(`validators disagree on request ${i}`);
    if (!PrimaryOutput.safeParse(JSON.parse(prim[i]!)).success || !fastPrimary(JSON.parse(prim[i]!))) throw new Error(`validators disagree on primary ${i}`);
  }
  let ok = 0;
  const parseZod = measure((i) => {
    ok += MirroredRequest.safeParse(JSON.parse(req[i]!)).success && PrimaryOutput.safeParse(JSON.parse(prim[i]!)).success ? 1 : 0;
  }, n);
  const parseFast = measure((i) => {
    ok += fastRequest(JSON.parse(req[i]!)) && fastPrimary(JSON.parse(prim[i]!)) ? 1 : 0;
  }, n);
  const parseOnly = measure((i) => {
    ok += JSON.parse(req[i]!) && JSON.parse(prim[i]!) ? 1 : 0;
  }, n);
  workerResult({ part: 'validate', usPerPair: { parseOnly, parseZod, parseFast }, ok });
} else {
  // ---------------------------------------------------------------- sink
  const dir = mkdtempSync(join(tmpdir(), 'shadow-bench-whatif-'));
  const config = benchConfig({ clickhouse: { dataDir: join(dir, 'data') } });
  const store = await openStore(config.clickhouse);
  await migrate(store);
  const rows: OutcomeRow[] = [];
  const pipeline = await buildPipeline(config, store, createLogger({ level: 'warn' }), {
    now: () => 0,
    wrapSink: () => ({
      async insert(r) {
        rows.push(...r);
      },
      resend: () => Promise.reject(new Error('the capture sink takes new blocks only')),
    }),
  });
  pipeline.processor.assign(0);
  let off = 0;
  const records: RawRecord[] = envelopes.map((e) => ({ ref: { stream: e.stream, topic: e.stream, partition: 0, offset: off++ }, key: e.key, value: Buffer.from(JSON.stringify(e.payload)) }));
  for (let i = 0; i < records.length; i += 500) {
    const chunk = records.slice(i, i + 500);
    await pipeline.processor.handle(0, chunk.filter((r) => r.ref.stream === 'requests'));
    await pipeline.processor.handle(0, chunk.filter((r) => r.ref.stream === 'primaries'));
  }
  pipeline.processor.drain();
  await pipeline.close();
  // The per-row format the sink used before migration 000080 (one 46-column row per record, every
  // aggregate a view over the rows), in a database of its own, against the block format it writes now.
  const perRow = { ...store, database: 'whatif_per_row', close: async () => {} };
  await store.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${perRow.database}` });
  for (const m of readMigrations().filter((m) => m.version < 80)) await store.client.command({ query: renderSql(m.sql, perRow.database) });
  const blocks = createOutcomeSink(store);
  const BLOCK = config.sink.maxRows;
  const compact = (r: OutcomeRow) => OUTCOME_COLUMNS.map((c) => r[c]);
  const variants: Record<string, { db: string; send: (rows: OutcomeRow[], token: string) => Promise<unknown>; bytes: (rows: OutcomeRow[]) => number }> = {
    'one row per record (before 000080)': {
      db: perRow.database,
      send: (rs, token) =>
        store.client.insert({
          table: `${perRow.database}.outcomes`,
          values: rs.map(compact),
          format: 'JSONCompactEachRow',
          columns: [...OUTCOME_COLUMNS],
          clickhouse_settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
        }),
      bytes: (rs) => rs.reduce((n, r) => n + JSON.stringify(compact(r)).length + 1, 0),
    },
    'blocks: full rows where read, ledger arrays, cells (today)': {
      db: store.database,
      send: (rs, token) => blocks.insert(rs, token),
      bytes: (rs) => encodeBlock(rs, 'x').reduce((n, t) => n + JSON.stringify(t).length + 1, 0),
    },
  };
  const out: Record<string, { usPerRow: number; bytesPerRow: number; threads: Record<string, number> }> = {};
  for (const [name, v] of Object.entries(variants)) {
    const bytes = v.bytes(rows.slice(0, 10_000)) / Math.min(rows.length, 10_000);
    const th0 = threadCpu(process.pid);
    const c0 = process.cpuUsage();
    for (let i = 0; i < rows.length; i += BLOCK) await v.send(rows.slice(i, i + BLOCK), `whatif-${name}-${i}`);
    const c = process.cpuUsage(c0);
    const th1 = threadCpu(process.pid);
    const threads: Record<string, number> = {};
    for (const [k, x] of th1) {
      const d = ((x - (th0.get(k) ?? 0)) * 1e6) / rows.length;
      if (d > 0.2) threads[k] = Math.round(d * 10) / 10;
    }
    const n = Number(((await (await store.client.query({ query: `SELECT sum(compared) AS n FROM ${v.db}.stats_1m WHERE dimension = '__all__'`, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n) ?? 0);
    out[name] = { usPerRow: (c.user + c.system) / rows.length, bytesPerRow: bytes, threads };
    const compared = rows.filter((r) => r.kind === 'compared').length;
    if (n !== compared) throw new Error(`${name}: stats_1m counts ${n} compared, the rows ${compared}`);
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  workerResult({ part: 'sink', rows: rows.length, variants: out });
}
