// Mirrored-traffic generator: requests and primary outputs built from a fixture data set.
// Pure and deterministic for a given seed; the primary's answers come from the data set's
// `expected` table, so no ONNX runtime is needed to generate.
import {
  type Dataset,
  type ModelOutputJson,
  expectedOutput,
  expectedTable,
  rowFeatures,
} from './dataset.ts';
import { exponential, lognormal, randInt, substream, uniform } from './prng.ts';

export type Stream = 'requests' | 'primaries';

/**
 * One message as it sits in a replay file (one NDJSON line) or on a topic:
 * key = Kafka message key (the request id); payload = the JSON message, or a string
 * holding the raw (deliberately broken) message text for invalid payloads.
 */
export interface Envelope {
  stream: Stream;
  key: string;
  payload: Record<string, unknown> | string;
}

export interface PrimaryErrorJson {
  code: string;
  message?: string;
}

/** A primary output message (stream "primaries"). */
export interface PrimaryOutputJson {
  request_id: string;
  event_time: string;
  model: string;
  version: string;
  output: ModelOutputJson;
  latency_ms: number;
  error: PrimaryErrorJson | null;
  cost_usd?: number;
}

/** The primary output carried inside a request (`primary_output`). */
export interface InlinePrimaryOutputJson {
  version: string;
  event_time: string;
  output: ModelOutputJson;
  latency_ms: number;
  error: PrimaryErrorJson | null;
  cost_usd?: number;
}

/** A mirrored request message (stream "requests"). */
export interface MirroredRequestJson {
  request_id: string;
  event_time: string;
  model: string;
  primary_version: string;
  feature_schema_version: string;
  features: Record<string, number | null>;
  segments: Record<string, string>;
  primary_output?: InlinePrimaryOutputJson;
}

export interface TrafficOptions {
  /** A data set from loadDataset(). */
  dataset: Dataset;
  /** Model name, e.g. "diagnosis". */
  model: string;
  /** Version that served in production, e.g. "v9"; `expected["<model>:<primaryVersion>"]` must exist. */
  primaryVersion: string;
  /** Number of distinct mirrored requests (duplicates and invalid messages come on top). */
  count: number;
  seed: number;
  /** Event time of the first request, epoch ms. Default 2025-01-01T00:00:00.000Z. */
  startTime?: number;
  /** Mean request rate (Poisson arrivals). Default 200. */
  ratePerSec?: number;
  /** Fraction of requests with no primary output at all. Default 0.02. */
  missingPrimaryRate?: number;
  /** Fraction of requests carrying their primary output inline (no separate message). Default 0.1. missing + inline <= 1. */
  inlinePrimaryRate?: number;
  /** Probability that each request message and each separate primary message is delivered twice. Default 0.01. */
  duplicateRate?: number;
  /** Invalid messages added, per request (so about count * invalidRate of them). Default 0.005. */
  invalidRate?: number;
  /** A separate primary arrives 1..maxSkewMs after its request (or that much before it, see reorderRate). Default 50. */
  maxSkewMs?: number;
  /** Fraction of present primary outputs (inline or separate) that are errors (`output: {}`). Default 0.01. */
  primaryErrorRate?: number;
  /** Fraction of separate primaries that arrive before their request. Default 0.05. */
  reorderRate?: number;
  /** Written into every request. Default "1". */
  featureSchemaVersion?: string;
  /** Request ids are `${idPrefix}${n padded to 6}`. Default "req-". */
  idPrefix?: string;
  /**
   * Binary models only: share of logged primary outputs whose label (and score) is flipped, as a
   * nondeterministic or skewed serving path would (issue 13, the noise floor). Default 0.
   */
  primaryFlipRate?: number;
  /**
   * Issue 15, a known world change: in one segment, a request whose row has `feature` below the segment's
   * median is replaced, with probability `rate`, by a random row of the segment at or above it. Inputs
   * shift and both models' answers follow (they are the data set's answers for the rows drawn).
   */
  shift?: SegmentEffect & { feature: string };
  /** Issue 15, a known feature-pipeline fault: `feature` arrives null in `rate` of one segment's requests. */
  nullFeature?: SegmentEffect & { feature: string };
  /** Issue 15: the logged primary's binary answer is flipped in `rate` of one segment's requests (as primaryFlipRate). */
  segmentFlip?: SegmentEffect;
}

/** Where and how often an injected effect applies: requests whose row has segment `dimension` = `value`. */
export interface SegmentEffect {
  dimension: string;
  value: string;
  rate: number;
}

export type PrimaryDelivery = 'separate' | 'inline' | 'missing';

/** What was generated for one request: the facts a test needs, none of which is in the messages. */
export interface RequestTruth {
  request_id: string;
  /** Index into dataset.rows / segments / expected tables. */
  row: number;
  /** Request event time, epoch ms. */
  event_time: number;
  primary: PrimaryDelivery;
  primary_error: boolean;
  /** What the primary answered; null when missing or errored. */
  primary_output: ModelOutputJson | null;
  /** Primary event time, epoch ms; null when missing. */
  primary_event_time: number | null;
  request_duplicated: boolean;
  /** Only separate primaries are duplicated. */
  primary_duplicated: boolean;
  /** A separate primary whose (first) delivery comes before the request's. */
  primary_before_request: boolean;
  /** Index in `envelopes` of the request's first delivery. */
  request_index: number;
  /** Index in `envelopes` of the separate primary's first delivery; null otherwise. */
  primary_index: number | null;
}

export type InvalidKind = 'truncated_json' | 'wrong_types' | 'missing_request_id';

export interface InvalidTruth {
  /** The envelope key; never equal to a valid request id. */
  key: string;
  stream: Stream;
  kind: InvalidKind;
  /** Index in `envelopes`. */
  index: number;
}

export interface TrafficCounts {
  requests: number;
  separate_primaries: number;
  inline_primaries: number;
  missing_primaries: number;
  primary_errors: number;
  duplicate_requests: number;
  duplicate_primaries: number;
  primaries_before_request: number;
  invalid: number;
  envelopes: number;
}

export interface Traffic {
  /** All messages in arrival order (both streams interleaved). */
  envelopes: Envelope[];
  /** Simulated arrival time (epoch ms, fractional) of each envelope; same index as `envelopes`. */
  arrivals: number[];
  /** One entry per distinct request, in request id order. */
  truth: RequestTruth[];
  /** One entry per invalid envelope. */
  invalid: InvalidTruth[];
  counts: TrafficCounts;
}

export const TRAFFIC_DEFAULTS = {
  startTime: Date.UTC(2025, 0, 1),
  ratePerSec: 200,
  missingPrimaryRate: 0.02,
  inlinePrimaryRate: 0.1,
  duplicateRate: 0.01,
  invalidRate: 0.005,
  maxSkewMs: 50,
  primaryErrorRate: 0.01,
  reorderRate: 0.05,
  featureSchemaVersion: '1',
  idPrefix: 'req-',
  primaryFlipRate: 0,
} as const;

const PRIMARY_ERRORS: readonly PrimaryErrorJson[] = [
  { code: 'TIMEOUT', message: 'primary model did not answer within 100 ms' },
  { code: 'UNAVAILABLE', message: 'model server unavailable' },
  { code: 'INTERNAL', message: 'inference failed' },
];

const iso = (ms: number): string => new Date(ms).toISOString();
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function checkRate(name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0 && v <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${v}`);
}

interface Pending {
  arrival: number;
  seq: number;
  env: Envelope;
  onPlaced?: (index: number) => void;
}

export function generateTraffic(opts: TrafficOptions): Traffic {
  const o = { ...TRAFFIC_DEFAULTS, ...stripUndefined(opts) };
  const { dataset: ds, model, primaryVersion } = o;
  if (!Number.isInteger(o.count) || o.count < 0) throw new RangeError(`count must be a non-negative integer, got ${o.count}`);
  if (!(o.ratePerSec > 0)) throw new RangeError(`ratePerSec must be > 0, got ${o.ratePerSec}`);
  if (!(o.maxSkewMs >= 0)) throw new RangeError(`maxSkewMs must be >= 0, got ${o.maxSkewMs}`);
  checkRate('missingPrimaryRate', o.missingPrimaryRate);
  checkRate('inlinePrimaryRate', o.inlinePrimaryRate);
  checkRate('duplicateRate', o.duplicateRate);
  checkRate('invalidRate', o.invalidRate);
  checkRate('primaryErrorRate', o.primaryErrorRate);
  checkRate('reorderRate', o.reorderRate);
  checkRate('primaryFlipRate', o.primaryFlipRate);
  if (o.missingPrimaryRate + o.inlinePrimaryRate > 1) {
    throw new RangeError('missingPrimaryRate + inlinePrimaryRate must be <= 1');
  }
  expectedTable(ds, model, primaryVersion); // throws when the version has no outputs
  if (ds.rows.length === 0 && o.count > 0) throw new RangeError(`dataset ${ds.dataset} has no rows`);

  // One stream per concern: changing a rate does not change which rows or times are drawn.
  const rowRng = substream(o.seed, 'rows');
  const timeRng = substream(o.seed, 'time');
  const primRng = substream(o.seed, 'primary');
  const dupRng = substream(o.seed, 'duplicates');
  const invRng = substream(o.seed, 'invalid');
  const flipRng = substream(o.seed, 'flips');
  // The issue-15 effects draw from streams of their own: traffic without them is unchanged.
  const effects = effectsOf(ds, o);
  const effectRng = substream(o.seed, 'effects');

  const pending: Pending[] = [];
  let seq = 0;
  const push = (arrival: number, env: Envelope, onPlaced?: (index: number) => void): void => {
    pending.push({ arrival, seq: seq++, env, onPlaced });
  };

  const truth: RequestTruth[] = [];
  const invalid: InvalidTruth[] = [];
  const counts: TrafficCounts = {
    requests: o.count,
    separate_primaries: 0,
    inline_primaries: 0,
    missing_primaries: 0,
    primary_errors: 0,
    duplicate_requests: 0,
    duplicate_primaries: 0,
    primaries_before_request: 0,
    invalid: 0,
    envelopes: 0,
  };

  const width = Math.max(6, String(o.count).length);
  const meanGapMs = 1000 / o.ratePerSec;
  let clock = o.startTime;

  for (let i = 0; i < o.count; i++) {
    const requestId = `${o.idPrefix}${String(i + 1).padStart(width, '0')}`;
    const drawn = randInt(rowRng, ds.rows.length);
    const uShift = effectRng();
    const uShiftRow = effectRng();
    const uNull = effectRng();
    const uSegFlip = effectRng();
    const row = effects.shifted(drawn, uShift, uShiftRow);

    // time: a fixed number of draws per request
    if (i > 0) clock += exponential(timeRng, meanGapMs);
    const eventTime = Math.floor(clock);
    const requestArrival = eventTime + uniform(timeRng, 0.2, 3);

    // primary: a fixed number of draws per request, whatever the branch
    const uKind = primRng();
    const uError = primRng();
    const latencyOk = lognormal(primRng, 8, 0.4);
    const uErrCode = primRng();
    const uSkew = primRng();
    const uReorder = primRng();

    const delivery: PrimaryDelivery =
      uKind < o.missingPrimaryRate ? 'missing' : uKind < o.missingPrimaryRate + o.inlinePrimaryRate ? 'inline' : 'separate';
    const isError = delivery !== 'missing' && uError < o.primaryErrorRate;
    const err = isError ? (PRIMARY_ERRORS[Math.floor(uErrCode * PRIMARY_ERRORS.length)] as PrimaryErrorJson) : null;
    const latency = round3(err?.code === 'TIMEOUT' ? 100 + latencyOk : latencyOk);
    const primaryEventTime = eventTime + Math.ceil(latency);
    const flipped = flipRng() < o.primaryFlipRate || effects.flipped(row, uSegFlip);
    const output: ModelOutputJson = isError ? {} : flippedIf(flipped, expectedOutput(ds, model, primaryVersion, row));
    const cost = isError ? undefined : Math.round((2e-5 + latency * 1e-6) * 1e9) / 1e9;

    const request: MirroredRequestJson = {
      request_id: requestId,
      event_time: iso(eventTime),
      model,
      primary_version: primaryVersion,
      feature_schema_version: o.featureSchemaVersion,
      features: effects.nulled(row, uNull, rowFeatures(ds, row)),
      segments: { ...(ds.segments[row] ?? {}) },
    };
    if (delivery === 'inline') {
      request.primary_output = {
        version: primaryVersion,
        event_time: iso(primaryEventTime),
        output,
        latency_ms: latency,
        error: err,
        ...(cost === undefined ? {} : { cost_usd: cost }),
      };
    }

    const t: RequestTruth = {
      request_id: requestId,
      row,
      event_time: eventTime,
      primary: delivery,
      primary_error: isError,
      primary_output: delivery === 'missing' || isError ? null : output,
      primary_event_time: delivery === 'missing' ? null : primaryEventTime,
      request_duplicated: false,
      primary_duplicated: false,
      primary_before_request: false,
      request_index: -1,
      primary_index: null,
    };
    truth.push(t);

    push(requestArrival, { stream: 'requests', key: requestId, payload: request as unknown as Record<string, unknown> }, (idx) => {
      t.request_index = idx;
    });

    let primaryArrival: number | null = null;
    let primaryPayload: PrimaryOutputJson | null = null;
    if (delivery === 'separate') {
      const skew = Math.max(0.001, uSkew * o.maxSkewMs);
      const before = uReorder < o.reorderRate;
      primaryArrival = before ? requestArrival - skew : requestArrival + Math.max(1, skew);
      t.primary_before_request = before;
      primaryPayload = {
        request_id: requestId,
        event_time: iso(primaryEventTime),
        model,
        version: primaryVersion,
        output,
        latency_ms: latency,
        error: err,
        ...(cost === undefined ? {} : { cost_usd: cost }),
      };
      push(primaryArrival, { stream: 'primaries', key: requestId, payload: primaryPayload as unknown as Record<string, unknown> }, (idx) => {
        t.primary_index = idx;
      });
    }

    // duplicates: redelivery of the identical message, 1 ms .. 1 s later
    const uDupReq = dupRng();
    const dupReqDelay = uniform(dupRng, 1, 1000);
    const uDupPrim = dupRng();
    const dupPrimDelay = uniform(dupRng, 1, 1000);
    if (uDupReq < o.duplicateRate) {
      t.request_duplicated = true;
      push(requestArrival + dupReqDelay, { stream: 'requests', key: requestId, payload: structuredClone(request) as unknown as Record<string, unknown> });
    }
    if (primaryPayload && primaryArrival !== null && uDupPrim < o.duplicateRate) {
      t.primary_duplicated = true;
      push(primaryArrival + dupPrimDelay, { stream: 'primaries', key: requestId, payload: structuredClone(primaryPayload) as unknown as Record<string, unknown> });
    }

    // invalid messages, on top of the valid ones, with keys that no valid request uses
    const uInvalid = invRng();
    const uInvKind = invRng();
    const uInvStream = invRng();
    const uInvVariant = invRng();
    const uInvCut = invRng();
    const invDelay = uniform(invRng, 0, 5);
    if (uInvalid < o.invalidRate) {
      const key = `${o.idPrefix}invalid-${String(invalid.length + 1).padStart(width, '0')}`;
      const stream: Stream = uInvStream < 0.5 ? 'requests' : 'primaries';
      const kind = (['truncated_json', 'wrong_types', 'missing_request_id'] as const)[Math.floor(uInvKind * 3)] as InvalidKind;
      const base: Record<string, unknown> =
        stream === 'requests'
          ? { ...request, request_id: key }
          : {
              request_id: key,
              event_time: iso(primaryEventTime),
              model,
              version: primaryVersion,
              output: isError ? {} : output,
              latency_ms: latency,
              error: err,
            };
      delete base.primary_output;
      const payload = makeInvalid(kind, stream, base, uInvVariant, uInvCut);
      const inv: InvalidTruth = { key, stream, kind, index: -1 };
      invalid.push(inv);
      push(requestArrival + invDelay, { stream, key, payload }, (idx) => {
        inv.index = idx;
      });
    }
  }

  pending.sort((a, b) => a.arrival - b.arrival || a.seq - b.seq);
  const envelopes: Envelope[] = [];
  const arrivals: number[] = [];
  pending.forEach((p, idx) => {
    envelopes.push(p.env);
    arrivals.push(round3(p.arrival));
    p.onPlaced?.(idx);
  });

  for (const t of truth) {
    if (t.primary === 'separate') counts.separate_primaries++;
    else if (t.primary === 'inline') counts.inline_primaries++;
    else counts.missing_primaries++;
    if (t.primary_error) counts.primary_errors++;
    if (t.request_duplicated) counts.duplicate_requests++;
    if (t.primary_duplicated) counts.duplicate_primaries++;
    if (t.primary_before_request) counts.primaries_before_request++;
  }
  counts.invalid = invalid.length;
  counts.envelopes = envelopes.length;
  return { envelopes, arrivals, truth, invalid, counts };
}

/** A deliberately broken message: never valid against the message contracts. */
function makeInvalid(
  kind: InvalidKind,
  stream: Stream,
  base: Record<string, unknown>,
  uVariant: number,
  uCut: number,
): Record<string, unknown> | string {
  switch (kind) {
    case 'truncated_json': {
      const text = JSON.stringify(base);
      // any proper prefix of an object's JSON text is invalid JSON
      const cut = 1 + Math.floor(uCut * (text.length - 2));
      return text.slice(0, cut);
    }
    case 'missing_request_id': {
      const copy = { ...base };
      delete copy.request_id;
      return copy;
    }
    case 'wrong_types': {
      const variants: Array<(m: Record<string, unknown>) => void> =
        stream === 'requests'
          ? [
              (m) => { m.features = 'mean_radius=17.99'; },
              (m) => { m.event_time = true; },
              (m) => { m.model = 42; },
            ]
          : [
              (m) => { m.latency_ms = '8ms'; },
              (m) => { m.output = [0.1, 0.9]; },
              (m) => { m.event_time = { at: 'now' }; },
            ];
      const copy = { ...base };
      (variants[Math.floor(uVariant * variants.length)] as (m: Record<string, unknown>) => void)(copy);
      return copy;
    }
  }
}

interface Effects {
  shifted(row: number, u: number, uRow: number): number;
  nulled(row: number, u: number, features: Record<string, number>): Record<string, number | null>;
  flipped(row: number, u: number): boolean;
}

function effectsOf(ds: Dataset, o: TrafficOptions): Effects {
  const inSeg = (e: SegmentEffect | undefined, row: number): boolean => e !== undefined && ds.segments[row]?.[e.dimension] === e.value;
  for (const e of [o.shift, o.nullFeature, o.segmentFlip]) if (e) checkRate('effect rate', e.rate);
  const featureIndex = (name: string): number => {
    const i = ds.feature_names.indexOf(name);
    if (i < 0) throw new RangeError(`unknown feature ${name}`);
    return i;
  };
  let median = 0;
  let high: number[] = [];
  let fi = 0;
  if (o.shift) {
    fi = featureIndex(o.shift.feature);
    const rows = ds.rows.map((_, i) => i).filter((i) => inSeg(o.shift, i));
    if (rows.length === 0) throw new RangeError(`no rows with ${o.shift.dimension}=${o.shift.value}`);
    const values = rows.map((i) => ds.rows[i]![fi]!).sort((a, b) => a - b);
    median = values[Math.floor(values.length / 2)]!;
    high = rows.filter((i) => ds.rows[i]![fi]! >= median);
  }
  if (o.nullFeature) featureIndex(o.nullFeature.feature);
  return {
    shifted: (row, u, uRow) =>
      o.shift && inSeg(o.shift, row) && ds.rows[row]![fi]! < median && u < o.shift.rate ? high[Math.floor(uRow * high.length)]! : row,
    nulled: (row, u, features) => (o.nullFeature && inSeg(o.nullFeature, row) && u < o.nullFeature.rate ? { ...features, [o.nullFeature.feature]: null } : features),
    flipped: (row, u) => o.segmentFlip !== undefined && inSeg(o.segmentFlip, row) && u < o.segmentFlip.rate,
  };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The other binary answer: label 1 - label, score 1 - score (other task types are left as they are). */
function flippedIf(flip: boolean, out: ModelOutputJson): ModelOutputJson {
  if (!flip || out.scores !== undefined || out.value !== undefined) return out;
  return {
    ...out,
    ...(out.label !== undefined ? { label: out.label === 1 ? 0 : 1 } : {}),
    ...(out.score !== undefined ? { score: 1 - out.score } : {}),
  };
}
