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
import type { OutcomeRow } from '../../src/outcomes/index.ts';
import { openStore } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import type { RawRecord } from '../../src/types.ts';
import { sampleTraffic, PURE_PAIRS } from '../lib/backlog.ts';
import { workerArgs, workerResult } from '../lib/child.ts';
import { benchConfig } from '../lib/instance.ts';
import { blockFormat, measureSinkFormat, perRowFormat } from '../lib/sink-formats.ts';

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
  // The per-row format the sink used before migration 000080 against the block format it writes now
  // (bench/lib/sink-formats.ts, as scripts/bench-sink-blocks.ts compares them), in blocks of sink.maxRows.
  const blocks: OutcomeRow[][] = [];
  for (let i = 0; i < rows.length; i += config.sink.maxRows) blocks.push(rows.slice(i, i + config.sink.maxRows));
  const out: Record<string, { usPerRow: number; bytesPerRow: number; threads: Record<string, number> }> = {};
  let counted = '';
  const sample = rows.slice(0, 10_000);
  for (const f of [await perRowFormat(store, 'whatif_per_row'), await blockFormat(store, 'whatif_blocks')]) {
    const r = await measureSinkFormat(f, blocks);
    const threads: Record<string, number> = {};
    for (const [k, us] of Object.entries(r.threadsUs)) if (us / rows.length > 0.2) threads[k] = Math.round((us / rows.length) * 10) / 10;
    out[f.name] = { usPerRow: r.cpuUs / rows.length, bytesPerRow: f.bytes(sample) / sample.length, threads };
    if (counted && r.totals !== counted) throw new Error(`stats_1m differs between the formats: ${counted} vs ${r.totals}`);
    counted = r.totals;
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  workerResult({ part: 'sink', rows: rows.length, variants: out });
}
