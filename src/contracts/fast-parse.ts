import { z } from 'zod';
import type { MirroredRequest } from './request.ts';
import type { PrimaryOutput } from './primary-output.ts';

// The hot path's validator. zod costs ~9 µs per message here (the largest share of decoding, see
// bench/), so well-formed messages are checked by hand and anything unusual, including every
// invalid message, falls back to the zod schema, which stays the single source of truth for what
// is valid and produces the error messages. A property test checks that both always agree.

const isoDateTime = z.string().datetime({ offset: true });
const REQUEST_KEYS = new Set(['request_id', 'event_time', 'model', 'primary_version', 'feature_schema_version', 'features', 'segments', 'primary_output']);
const PRIMARY_KEYS = new Set(['request_id', 'event_time', 'model', 'version', 'output', 'latency_ms', 'error', 'cost_usd']);
const OUTPUT_KEYS = new Set(['label', 'score', 'scores', 'value']);
const ERROR_KEYS = new Set(['code', 'message']);

type Json = Record<string, unknown>;

/** A validated request, or null when the message needs the full zod schema (to accept or to reject). */
export function fastRequest(v: unknown): MirroredRequest | null {
  if (!isObject(v) || !onlyKeys(v, REQUEST_KEYS) || v.primary_output !== undefined) return null;
  const t = eventTime(v.event_time);
  const fsv = v.feature_schema_version;
  if (!str(v.request_id, 256) || t === null || !str(v.model, 128) || !str(v.primary_version, 128)) return null;
  if (!(str(fsv, 128) || (typeof fsv === 'number' && Number.isSafeInteger(fsv)))) return null;
  if (!isObject(v.features) || !features(v.features)) return null;
  const segments = v.segments === undefined ? undefined : segmentStrings(v.segments);
  if (segments === null) return null;
  const out: MirroredRequest = {
    request_id: v.request_id as string,
    event_time: t,
    model: v.model as string,
    primary_version: v.primary_version as string,
    feature_schema_version: String(fsv),
    features: v.features as MirroredRequest['features'],
  };
  if (segments) out.segments = segments;
  return out;
}

export function fastPrimary(v: unknown): PrimaryOutput | null {
  if (!isObject(v) || !onlyKeys(v, PRIMARY_KEYS)) return null;
  const t = eventTime(v.event_time);
  if (!str(v.request_id, 256) || t === null || !str(v.model, 128) || !str(v.version, 128)) return null;
  if (!finite(v.latency_ms) || (v.latency_ms as number) < 0 || !output(v.output)) return null;
  if (v.cost_usd !== undefined && (!finite(v.cost_usd) || (v.cost_usd as number) < 0)) return null;
  if (v.error !== undefined && v.error !== null && !errorInfo(v.error)) return null;
  const out: PrimaryOutput = {
    request_id: v.request_id as string,
    event_time: t,
    model: v.model as string,
    version: v.version as string,
    output: v.output as PrimaryOutput['output'],
    latency_ms: v.latency_ms as number,
  };
  if (v.error !== undefined) out.error = v.error as PrimaryOutput['error'];
  if (v.cost_usd !== undefined) out.cost_usd = v.cost_usd as number;
  return out;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(v: Json, allowed: Set<string>): boolean {
  for (const k in v) if (!allowed.has(k) || v[k] === undefined) return false;
  return true;
}

function str(v: unknown, max: number): boolean {
  return typeof v === 'string' && v.length >= 1 && v.length <= max;
}

function finite(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

function eventTime(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null;
  return typeof v === 'string' && isoDateTime.safeParse(v).success ? Date.parse(v) : null;
}

function features(f: Json): boolean {
  for (const k in f) {
    const x = f[k];
    if (x === null || typeof x === 'string' || typeof x === 'boolean') continue;
    if (!finite(x)) return false;
  }
  return true;
}

function segmentStrings(s: unknown): Record<string, string> | null {
  if (!isObject(s)) return null;
  const out: Record<string, string> = {};
  for (const k in s) {
    const x = s[k];
    if (typeof x === 'string' || typeof x === 'boolean' || finite(x)) out[k] = String(x);
    else return null;
  }
  return out;
}

function output(o: unknown): boolean {
  if (!isObject(o) || !onlyKeys(o, OUTPUT_KEYS)) return false;
  if (o.label !== undefined && typeof o.label !== 'string' && !finite(o.label)) return false;
  if (o.score !== undefined && !finite(o.score)) return false;
  if (o.value !== undefined && !finite(o.value)) return false;
  return o.scores === undefined || (Array.isArray(o.scores) && o.scores.every(finite));
}

function errorInfo(e: unknown): boolean {
  if (!isObject(e) || !onlyKeys(e, ERROR_KEYS) || !str(e.code, 128)) return false;
  return e.message === undefined || (typeof e.message === 'string' && e.message.length <= 4096);
}
