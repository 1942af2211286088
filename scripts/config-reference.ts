// Writes docs/configuration-reference.md from the config's zod schema (src/config/schema.ts, with the
// gate's and the registry's parts), so the reference cannot drift from what the loader accepts: keys,
// types, bounds and defaults come from the schema; only the one-line descriptions are kept here.
// test/docs/config-reference.test.ts fails when the committed file differs from this output, when a
// key has no description, or when a description names a key the schema no longer has.
//
//   npm run docs:config            # rewrite docs/configuration-reference.md
//   npm run docs:config -- --check # exit 1 when the committed file differs
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigSchema } from '../src/config/schema.ts';

export const REFERENCE_FILE = 'docs/configuration-reference.md';

/** One line per key. Variant keys of `task` are written `task(binary).threshold`. */
export const DESCRIPTIONS: Record<string, string> = {
  model: 'model name compared here; messages for other models are rejected (`UNKNOWN_MODEL`)',
  'candidate.version': 'candidate version, e.g. `v10`',
  'candidate.path': 'ONNX file, relative to the config file',
  'candidate.featureSchemaVersion': 'feature schema the candidate is pinned to; requests on other versions are counted as schema mismatches, not scored',
  'candidate.inputName': 'model input to feed; default: the model\'s only input',
  'candidate.features': 'feature names in the order of the input tensor\'s last dimension (checked against the model at start-up)',
  'candidate.outputs.scores': 'model output holding probabilities',
  'candidate.outputs.label': 'model output holding the label',
  'candidate.outputs.value': 'model output holding the regression value (required for `task.type: regression`)',
  'candidate.allowNaN': 'pass NaN/null features to the model instead of counting a candidate error',
  'candidate.batch.maxSize': 'micro-batch size bound',
  'candidate.batch.maxWaitMs': 'longest a request waits for its micro-batch to fill',
  'candidate.intraOpThreads': 'onnxruntime intra-op threads',
  'candidate.allowSpinning': 'let idle onnxruntime threads spin (burns a core)',
  'candidate.pricing.perCpuSecondUsd': 'candidate cost: measured compute time x this price',
  'candidate.pricing.per1000Usd': 'candidate cost: price per 1,000 calls',
  'task(binary).type': '`binary`, `multiclass` or `regression`',
  'task(binary).threshold': 'score at or above which the answer is the positive label',
  'task(binary).positiveLabel': 'label of the positive class',
  'task(multiclass).type': '`multiclass`',
  'task(multiclass).classes': 'class labels in the order of the scores output',
  'task(multiclass).topK': 'answers agree when the primary label is in the candidate\'s top K',
  'task(regression).type': '`regression`',
  'task(regression).absTolerance': 'values agree within this absolute difference',
  'task(regression).relTolerance': 'values agree within this relative difference',
  'primary.pricing.perCpuSecondUsd': 'primary cost when an output carries no `cost_usd`: `latency_ms` x this price',
  'primary.pricing.per1000Usd': 'primary cost when an output carries no `cost_usd`: price per 1,000 calls',
  'primary.path': 'the primary\'s ONNX file, re-scored on the same mirrored features to measure the noise floor (same `features`, `inputName`, `outputs` as the candidate); relative to the config file; default: the registry\'s production artifact of `model`, if any',
  'primary.reproduce': '`false`: never re-score the primary (no noise floor; the gate judges plain agreement)',
  'segments.dimensions': 'request fields to segment by (from `segments`, else `features`)',
  'segments.maxValuesPerDimension': 'values beyond the cap are counted as `__other__`',
  'profiles.sampleRate': 'share of requests profiled, deterministic in the request id (0 = off)',
  'profiles.features': 'features profiled (default: `candidate.features`)',
  'profiles.bins': 'equal-width bins per numeric feature with an expected range',
  'profiles.specs': 'per feature: `{min, max}` (numeric: bins and out-of-range) or `{values}` (categorical; others are `__other__`); a numeric feature without one gets half-decade bins and no out-of-range rate',
  'profiles.scoreRange': "range the models' scores are binned over",
  'profiles.scoreBins': "bins of both models' score histograms (0 = no score profile)",
  'join.windowMs': 'how long a request waits for its primary output (and vice versa), in event time',
  'join.idleMs': 'a stream silent this long stops holding stream time back (at most 10 x `join.windowMs`)',
  'join.maxBuffered': 'records waiting in the join before consumption pauses',
  'join.maxBufferedBytes': 'encoded bytes of the records waiting in the join before consumption pauses (the heap holds a small multiple of it)',
  'decode.maxMessageBytes': 'larger messages are rejected unparsed (`TOO_LARGE`)',
  'kafka.brokers': 'bootstrap brokers; env `KAFKA_BROKERS=h1:9092,h2:9092`',
  'kafka.clientId': 'Kafka client id',
  'kafka.groupId': 'consumer group shared by all instances',
  'kafka.topics.requests': 'mirrored requests; same partition count as `primaries`, keyed by request id',
  'kafka.topics.primaries': 'primary outputs; same partition count as `requests`, keyed by request id',
  'kafka.topics.labels': 'late ground-truth labels; read by `run` in its own group `<groupId>.labels` when the topic exists (any partition count)',
  'kafka.registryTopic': 'compacted topic carrying the production version per model (`registry.backend: kafka`)',
  'kafka.ssl': '`true`, or `{ca, cert, key, rejectUnauthorized}` file paths; env `KAFKA_SSL=1`',
  'kafka.sasl.mechanism': 'env `KAFKA_SASL_MECHANISM`',
  'kafka.sasl.username': 'env `KAFKA_SASL_USERNAME`',
  'kafka.sasl.password': 'env `KAFKA_SASL_PASSWORD` (keep it out of the file)',
  'kafka.sessionTimeoutMs': 'group membership session timeout',
  'kafka.heartbeatIntervalMs': 'group heartbeat interval',
  'kafka.partitionsConsumedConcurrently': 'fetch parallelism',
  'kafka.maxBytesPerPartition': 'fetch size per partition',
  'clickhouse.url': 'a server URL selects the server; unset: the embedded engine (chDB); env `CLICKHOUSE_URL`',
  'clickhouse.username': 'env `CLICKHOUSE_USER`',
  'clickhouse.password': 'env `CLICKHOUSE_PASSWORD` (keep it out of the file)',
  'clickhouse.readUsername': 'SELECT-only server user for `POST /query`; env `CLICKHOUSE_READ_USER` ([security.md](security.md))',
  'clickhouse.readPassword': 'env `CLICKHOUSE_READ_PASSWORD`',
  'clickhouse.database': 'database of every table; env `CLICKHOUSE_DATABASE`',
  'clickhouse.cluster': 'cluster name: migrations emit ON CLUSTER, Replicated engines and Distributed read tables in `<database>_all`; needs `clickhouse.url` ([scale-out.md](scale-out.md))',
  'clickhouse.dataDir': 'embedded engine\'s directory, relative to the config file; env `SHADOW_DATA_DIR` (relative to the working directory)',
  'clickhouse.requestTimeoutMs': 'server request timeout',
  'sink.maxRows': 'insert bound in rows',
  'sink.flushIntervalMs': 'insert bound in time',
  'sink.retryInitialMs': 'first insert retry backoff',
  'sink.retryMaxMs': 'longest insert retry backoff',
  'sink.maxPendingRows': 'unwritten rows before consumption pauses',
  'sink.agreementSampleRate': 'share of agreements copied to `shadow.disagreements` (by request id hash, so deterministic)',
  'sink.rawPayloadMaxBytes': 'rejects keep at most this many bytes of the payload',
  'http.port': 'metrics, health and query endpoint port',
  'http.host': 'listen address; a non-loopback host requires a token',
  'http.tokenFile': 'file with the bearer token for POST endpoints; env `SHADOW_API_TOKEN` wins',
  'http.maxBodyBytes': 'request body limit',
  'http.headersTimeoutMs': 'request headers timeout',
  'http.requestTimeoutMs': 'request timeout',
  'http.query.maxExecutionSeconds': 'time limit of every `/query`',
  'http.query.maxMemoryBytes': 'memory limit of every `/query`',
  'http.query.maxResultRows': 'result row limit of every `/query`',
  'http.query.maxResultBytes': 'result size limit of every `/query`',
  'http.query.maxThreads': 'ClickHouse threads per `/query`',
  'http.query.maxConcurrent': '`/query` requests at once (429 beyond)',
  owner: 'who owns the model (checked by `ready`)',
  'alerts.rulesFile': 'the Grafana alert rules file generated with the gate\'s thresholds (checked by `ready`)',
  'alerts.escalation': 'who the alerts page',
  runbook: 'rollback runbook file, relative to the config file (must exist for `ready`)',
  'gate.window': 'window the gate judges, ending now (or at `--end`)',
  'gate.subWindow': 'every sub-window must pass on its own; must divide the window',
  'gate.confidence': 'confidence of the one-sided bounds; segment tests at alpha = 1 - confidence',
  'gate.evidence.minComparisons': 'comparisons over the window, else HOLD',
  'gate.evidence.minPerSubWindow': 'comparisons per sub-window, else HOLD (not covered)',
  'gate.coverage.maxEdgeGapMinutes': 'largest gap between the window\'s start (end) and the first (last) minute with data',
  'gate.agreement.min': 'agreement floor (Wilson bound); judged only where the primary is not re-scored',
  'gate.noise.minReproduction': 'share of its own logged answers the re-scored primary must reproduce, else HOLD',
  'gate.noise.maxExcessDisagreement': 'largest excess of the candidate\'s disagreement over the noise floor (Newcombe paired bound)',
  'gate.labels.maxAccuracyDrop': 'non-inferiority margin on accuracy over labelled requests (McNemar)',
  'gate.labels.minLabels': 'labelled requests a scope needs before labels are judged there',
  'gate.labels.overrideAgreement': 'when labels show the candidate better while agreement fails: `true` lets labels win, `false` HOLDs',
  'gate.errors.maxCandidateRate': 'candidate error rate ceiling (Wilson bound)',
  'gate.errors.maxExcessOverPrimary': 'largest excess of the candidate\'s error rate over the primary\'s (Newcombe interval)',
  'gate.latency.maxP99Ms': 'candidate compute p99 ceiling in ms',
  'gate.latency.maxP99VsPrimary': 'candidate compute p99 must stay under the primary\'s reported p99 x this factor',
  'gate.cost.maxPerInferenceUsd': 'budget per inference in USD; unset: no budget check',
  'gate.cost.maxVsPrimary': 'candidate cost per inference must stay under the primary\'s x this factor; `null`: no check',
  'gate.join.maxUnmatchedRate': 'unmatched join inputs / all join inputs; above it the join is broken: HOLD',
  'gate.join.maxSchemaMismatchRate': 'schema mismatches / requests; above it: HOLD',
  'gate.segments.minComparisons': 'comparisons a segment value needs to be tested',
  'gate.segments.insufficient': 'whether untested segment values HOLD or are only reported',
  'gate.segments.correction': 'multiple-testing correction over the tested segment values',
  'gate.segments.worst': 'how many of the worst segment values the output lists',
  'canary.minSegmentRequests': 'requests a segment value needs in both versions before the canary judge looks at it ([canary.md](canary.md))',
  'canary.maxErrorRateIncrease': 'largest acceptable increase of the canary\'s error rate over production (absolute); a step passes only when the upper bound is below it',
  'canary.maxAccuracyDrop': 'largest acceptable drop of label accuracy (absolute) before the canary aborts',
  'canary.latencyEffect': 'Vargha-Delaney effect (P(canary slower)) above which a significant latency shift aborts',
  'canary.scoreDistance': 'total variation distance above which a significant score distribution shift holds',
  'canary.alpha': 'false-abort budget of a whole rollout, split over steps, evidence bands, metrics and slices (Bonferroni)',
  'guard.enabled': 'post-promotion guard: the processor shadows the demoted version (previous production) and `guard MODEL` rolls back on a gate REJECT ([canary.md](canary.md))',
  'guard.periodSeconds': 'seconds between two gate evaluations of the demoted version',
  'guard.durationMinutes': 'how long after the promotion the guard watches',
  'guard.contact': 'the owner\'s contact point paged on an automatic rollback: an http(s) URL gets a JSON POST; unset: a fatal log line with code `SHADOW_GUARD_ROLLBACK`',
  'guard.contactTimeoutMs': 'longest wait for the contact point; the rollback never waits on it',
  'registry.backend': '`file`: the registry file only; `kafka`: also publish the production version on `kafka.registryTopic`',
  'registry.path': 'registry file (versions, production, history), relative to the config file',
  'registry.publishTimeoutMs': 'longest wait for the broker to acknowledge the flag before promote/rollback fail',
};

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
  pattern?: string;
}

export interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

const code = (s: string): string => `\`${s.replaceAll('|', '\\|')}\``;

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return code(JSON.stringify(s.const));
  if (s.enum) return s.enum.map((v) => code(JSON.stringify(v))).join(' \\| ');
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map(typeOf).join(' or ');
  if (s.type === 'array') return `array of ${s.items ? typeOf(s.items) : 'any'}${s.minItems ? ` (at least ${s.minItems})` : ''}`;
  if (s.type === 'object') return `object {${Object.keys(s.properties ?? {}).join(', ')}}`;
  const types = Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'any');
  const bounds: string[] = [];
  if (s.minimum !== undefined) bounds.push(`>= ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) bounds.push(`<= ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) bounds.push(`< ${s.exclusiveMaximum}`);
  if (s.pattern) bounds.push(`matching ${code(s.pattern)}`);
  return bounds.length > 0 ? `${types}, ${bounds.join(', ')}` : types;
}

function defaultOf(s: JsonSchema, required: boolean): string {
  if (s.default !== undefined) return code(JSON.stringify(s.default));
  return required ? 'required' : '-';
}

/** A nested object with its own keys becomes rows per key; a union of a scalar and an object stays one row. */
function walk(s: JsonSchema, key: string, required: boolean, rows: Row[]): void {
  if (s.type === 'object' && s.properties) {
    for (const [k, child] of Object.entries(s.properties)) walk(child, key ? `${key}.${k}` : k, (s.required ?? []).includes(k), rows);
    return;
  }
  if (s.oneOf && s.oneOf.every((v) => v.type === 'object' && v.properties?.type?.const !== undefined)) {
    for (const v of s.oneOf) {
      const variant = `${key}(${String(v.properties!.type!.const)})`;
      for (const [k, child] of Object.entries(v.properties!)) walk(child, `${variant}.${k}`, (v.required ?? []).includes(k), rows);
    }
    return;
  }
  rows.push({ key, type: typeOf(s), default: defaultOf(s, required), description: DESCRIPTIONS[key] ?? '' });
}

export function configRows(): Row[] {
  const rows: Row[] = [];
  walk(z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, '', true, rows);
  return rows;
}

/** Problems that make the reference incomplete: keys without a description, descriptions of no key. */
export function descriptionProblems(rows: Row[] = configRows()): string[] {
  const keys = new Set(rows.map((r) => r.key));
  return [
    ...rows.filter((r) => !r.description).map((r) => `${r.key}: no description in scripts/config-reference.ts`),
    ...Object.keys(DESCRIPTIONS).filter((k) => !keys.has(k)).map((k) => `${k}: described in scripts/config-reference.ts but not in the schema`),
  ];
}

export function configReference(): string {
  const rows = configRows();
  const section = (r: Row): string => r.key.split(/[.(]/)[0]!;
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated by scripts/config-reference.ts from src/config/schema.ts; do not edit. Regenerate with `npm run docs:config`. -->',
    '',
    'Every key of the config file, from the zod schema the loader validates with (`src/config/schema.ts`,',
    '`src/gate/config.ts`, `src/registry/config.ts`, `src/canary/config.ts`, `src/guard/config.ts`). "required" keys have no default and must be set when their',
    'parent object is (`kafka.sasl.username` only with `kafka.sasl`); "-" marks an optional key without a default.',
    'Objects with defaults may be omitted entirely. How the file is found, the',
    'precedence of environment and flags, and secrets: [configuration.md](configuration.md).',
    '',
  ];
  let current = '';
  for (const r of rows) {
    if (section(r) !== current) {
      current = section(r);
      out.push(`## \`${current}\``, '', '| key | type | default | description |', '| --- | --- | --- | --- |');
    }
    out.push(`| \`${r.key}\` | ${r.type} | ${r.default} | ${r.description} |`);
    const next = rows[rows.indexOf(r) + 1];
    if (!next || section(next) !== current) out.push('');
  }
  return out.join('\n');
}

const REPO = join(import.meta.dirname, '..');

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const problems = descriptionProblems();
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    process.exit(1);
  }
  const file = join(REPO, REFERENCE_FILE);
  if (process.argv.includes('--check')) {
    if (readFileSync(file, 'utf8') !== configReference()) {
      console.error(`${REFERENCE_FILE} differs from the schema: run npm run docs:config`);
      process.exit(1);
    }
  } else {
    writeFileSync(file, configReference());
    console.log(`wrote ${REFERENCE_FILE}`);
  }
}
