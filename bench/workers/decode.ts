// Ceiling 2 of 3: what the processor does per pair before scoring, on sample messages held in memory:
// decode (src/decode: JSON.parse + validation) of the request and of its primary output, then feature
// packing (src/score/pack: readRow + packRows at the batch size). Also parts alone, per pair: JSON.parse,
// zod safeParse (the contracts' schemas, decode's fallback path), packing.
import { decode } from '../../src/decode/index.ts';
import { packRows, readRow } from '../../src/score/pack.ts';
import { MirroredRequest } from '../../src/contracts/request.ts';
import { PrimaryOutput } from '../../src/contracts/primary-output.ts';
import type { RawRecord } from '../../src/types.ts';
import { sampleTraffic, PURE_PAIRS, MODEL } from '../lib/backlog.ts';
import { workerArgs, workerResult } from '../lib/child.ts';
import { benchConfig } from '../lib/instance.ts';

interface Args {
  pairs: number;
  seconds: number;
  batchSize: number;
}

const a = workerArgs<Args>();
const config = benchConfig({});
const features = [...config.candidate.features];
const envelopes = sampleTraffic({ name: 'decode', requests: a.pairs, seed: 7, shape: PURE_PAIRS });
const reqs: RawRecord[] = [];
const prims: RawRecord[] = [];
let offset = 0;
for (const e of envelopes) {
  const value = Buffer.from(typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload));
  const rec: RawRecord = { ref: { stream: e.stream, topic: e.stream, partition: 0, offset: offset++ }, key: e.key, value };
  (e.stream === 'requests' ? reqs : prims).push(rec);
}
const n = Math.min(reqs.length, prims.length);
const opts = { model: MODEL, maxMessageBytes: 1_048_576 };

/** Runs `fn` over all pairs repeatedly for `seconds` (after one warm-up pass); returns µs per pair. */
function time(fn: (i: number) => void): number {
  for (let i = 0; i < n; i++) fn(i);
  let pairs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < a.seconds * 1000) {
    for (let i = 0; i < n; i++) fn(i);
    pairs += n;
  }
  return ((performance.now() - t0) * 1000) / pairs;
}

let sink = 0;
let rows: number[][] = [];
const full = time((i) => {
  const r = decode(reqs[i]!, opts);
  const p = decode(prims[i]!, opts);
  if (!r.ok || !p.ok || r.stream !== 'requests') throw new Error('sample message did not decode');
  const c = readRow(r.msg.features, features, 'float32', false);
  if (c.ok) rows.push(c.values);
  if (rows.length === a.batchSize) {
    sink += packRows(rows, features.length, 'float32').length;
    rows = [];
  }
});
const texts = { req: reqs.map((r) => (r.value as Buffer).toString('utf8')), prim: prims.map((r) => (r.value as Buffer).toString('utf8')) };
const parseOnly = time((i) => {
  sink += (JSON.parse(texts.req[i]!) as object) ? 1 : 0;
  sink += (JSON.parse(texts.prim[i]!) as object) ? 1 : 0;
});
const parsed = { req: texts.req.map((t) => JSON.parse(t) as unknown), prim: texts.prim.map((t) => JSON.parse(t) as unknown) };
const zodOnly = time((i) => {
  sink += MirroredRequest.safeParse(parsed.req[i]).success ? 1 : 0;
  sink += PrimaryOutput.safeParse(parsed.prim[i]).success ? 1 : 0;
});
const decodedFeatures = parsed.req.map((r) => (r as { features: Record<string, number> }).features);
const packOnly = time((i) => {
  const c = readRow(decodedFeatures[i]!, features, 'float32', false);
  if (c.ok) rows.push(c.values);
  if (rows.length === a.batchSize) {
    sink += packRows(rows, features.length, 'float32').length;
    rows = [];
  }
});
const toStringOnly = time((i) => {
  sink += (reqs[i]!.value as Buffer).toString('utf8').length + (prims[i]!.value as Buffer).toString('utf8').length;
});
workerResult({
  samplePairs: n,
  usPerPair: full,
  pairsPerSec: 1e6 / full,
  parts: { bufferToString: toStringOnly, jsonParse: parseOnly, zodValidate: zodOnly, featurePacking: packOnly },
  meanBytes: { request: texts.req.reduce((s, t) => s + t.length, 0) / n, primary: texts.prim.reduce((s, t) => s + t.length, 0) / n },
  sink,
});
