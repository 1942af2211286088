import { z } from 'zod';
import { CanaryConfigSchema } from '../canary/config.ts';
import { GateConfigSchema } from '../gate/config.ts';
import { GuardConfigSchema } from '../guard/config.ts';
import { RegistryConfigSchema } from '../registry/config.ts';
import { ProfilesConfigSchema } from '../profiles/config.ts';

// One schema assembled from per-stage parts. `.strict()` everywhere: a typo in a key is an error,
// not a silently ignored setting. Defaults live here; docs/configuration-reference.md is generated from
// this schema (npm run docs:config), so a key added here needs a description in scripts/config-reference.ts.

const pricing = z
  .object({
    perCpuSecondUsd: z.number().nonnegative().optional(),
    per1000Usd: z.number().nonnegative().optional(),
  })
  .strict();

const candidate = z
  .object({
    version: z.string().min(1),
    path: z.string().min(1),
    featureSchemaVersion: z.union([z.string(), z.number()]).transform(String),
    inputName: z.string().optional(),
    features: z.array(z.string().min(1)).min(1),
    outputs: z
      .object({ scores: z.string().optional(), label: z.string().optional(), value: z.string().optional() })
      .strict(),
    allowNaN: z.boolean().default(false),
    batch: z
      .object({ maxSize: z.number().int().min(1).max(65536).default(64), maxWaitMs: z.number().min(0).default(2) })
      .strict()
      .default({ maxSize: 64, maxWaitMs: 2 }),
    intraOpThreads: z.number().int().min(1).default(1),
    allowSpinning: z.boolean().default(false),
    pricing: pricing.default({}),
  })
  .strict();

const task = z.discriminatedUnion('type', [
  z.object({ type: z.literal('binary'), threshold: z.number().min(0).max(1).default(0.5), positiveLabel: z.string().default('1') }).strict(),
  z.object({ type: z.literal('multiclass'), classes: z.array(z.string()).min(2), topK: z.number().int().min(1).default(1) }).strict(),
  z
    .object({ type: z.literal('regression'), absTolerance: z.number().nonnegative().default(0), relTolerance: z.number().nonnegative().default(0.05) })
    .strict(),
]);

const segments = z
  .object({
    dimensions: z.array(z.string().min(1)).default([]),
    maxValuesPerDimension: z.number().int().min(1).max(10000).default(100),
  })
  .strict()
  .default({ dimensions: [], maxValuesPerDimension: 100 });

const join = z
  .object({
    windowMs: z.number().int().min(1).default(60_000),
    idleMs: z.number().int().min(1).default(5_000),
    maxBuffered: z.number().int().min(1).default(200_000),
    maxBufferedBytes: z.number().int().min(1024).default(128 * 1024 * 1024),
  })
  .strict()
  .default({ windowMs: 60_000, idleMs: 5_000, maxBuffered: 200_000, maxBufferedBytes: 128 * 1024 * 1024 });

const kafka = z
  .object({
    brokers: z.array(z.string().min(1)).min(1).default(['127.0.0.1:9092']),
    clientId: z.string().default('shadow-compare'),
    groupId: z.string().default('shadow-compare'),
    topics: z
      .object({
        requests: z.string().default('shadow.requests'),
        primaries: z.string().default('shadow.primaries'),
        /** Late ground-truth labels (issue 13); read when the topic exists, by group <groupId>.labels. */
        labels: z.string().default('shadow.labels'),
      })
      .strict()
      .default({ requests: 'shadow.requests', primaries: 'shadow.primaries', labels: 'shadow.labels' }),
    registryTopic: z.string().default('shadow.production-versions'),
    ssl: z
      .union([
        z.boolean(),
        z.object({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional(), rejectUnauthorized: z.boolean().default(true) }).strict(),
      ])
      .default(false),
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).default('scram-sha-512'),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .strict()
      .optional(),
    sessionTimeoutMs: z.number().int().min(1000).default(30_000),
    heartbeatIntervalMs: z.number().int().min(100).default(3_000),
    partitionsConsumedConcurrently: z.number().int().min(1).default(4),
    maxBytesPerPartition: z.number().int().min(1024).default(1_048_576),
  })
  .strict();

const clickhouse = z
  .object({
    // @clickhouse/client accepts only http(s) URLs; say so here rather than fail later in the client.
    url: z.string().regex(/^https?:\/\/[^/\s]+/, 'must be an http(s) URL like http://HOST:8123').optional(),
    username: z.string().default('default'),
    password: z.string().default(''),
    /** A server user with SELECT on the database only, for POST /query (see docs/security.md). */
    readUsername: z.string().min(1).optional(),
    readPassword: z.string().optional(),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier').default('shadow'),
    dataDir: z.string().default('./.shadow-data'),
    /**
     * A cluster name from the server's remote_servers (docs/scale-out.md). Set: migrations run ON CLUSTER
     * with Replicated*MergeTree engines, and every reader (gate, status, canary, dashboards, analyst views)
     * reads Distributed tables in `<database>_all`. Unset (default): one server or the embedded engine.
     */
    cluster: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (a cluster name from remote_servers)').optional(),
    requestTimeoutMs: z.number().int().min(100).default(30_000),
  })
  .strict();

const sink = z
  .object({
    maxRows: z.number().int().min(1).default(50_000),
    flushIntervalMs: z.number().int().min(10).default(1_000),
    retryInitialMs: z.number().int().min(1).default(200),
    retryMaxMs: z.number().int().min(1).default(10_000),
    maxPendingRows: z.number().int().min(1).default(500_000),
    agreementSampleRate: z.number().min(0).max(1).default(0.01),
    rawPayloadMaxBytes: z.number().int().min(16).default(4096),
  })
  .strict();

const decode = z
  .object({ maxMessageBytes: z.number().int().min(64).default(1_048_576) })
  .strict()
  .default({ maxMessageBytes: 1_048_576 });

/** Limits every POST /query runs under (a SETTINGS clause the server appends; see src/query/sql-screen.ts). */
const httpQuery = z
  .object({
    maxExecutionSeconds: z.number().min(0.1).max(600).default(5),
    maxMemoryBytes: z.number().int().min(1_048_576).default(536_870_912),
    maxResultRows: z.number().int().min(1).default(100_000),
    maxResultBytes: z.number().int().min(1024).default(67_108_864),
    maxThreads: z.number().int().min(1).max(64).default(1),
    maxConcurrent: z.number().int().min(1).max(64).default(4),
  })
  .strict();

const http = z
  .object({
    port: z.number().int().min(0).max(65535).default(9464),
    host: z.string().default('127.0.0.1'),
    /** File holding the bearer token for POST endpoints; SHADOW_API_TOKEN takes precedence. */
    tokenFile: z.string().min(1).optional(),
    maxBodyBytes: z.number().int().min(1024).max(16_777_216).default(1_048_576),
    headersTimeoutMs: z.number().int().min(100).default(10_000),
    requestTimeoutMs: z.number().int().min(100).default(30_000),
    query: httpQuery.default(httpQuery.parse({})),
  })
  .strict();

export const ConfigSchema = z
  .object({
    model: z.string().min(1),
    candidate,
    task,
    primary: z
      .object({
        pricing: pricing.default({}),
        /**
         * The primary's ONNX artifact, re-scored on the same mirrored features to measure the noise floor
         * (issue 13). Same inputs and outputs as the candidate (candidate.features, inputName, outputs).
         * Default: the registry's production artifact of this model, when one is registered.
         */
        path: z.string().min(1).optional(),
        /** false: never re-score the primary (no noise floor; the gate judges plain agreement). */
        reproduce: z.boolean().default(true),
      })
      .strict()
      .default({ pricing: {}, reproduce: true }),
    segments,
    /** Feature and score profiles per minute x segment value (issue 15, docs/diagnose.md). */
    profiles: ProfilesConfigSchema.default(ProfilesConfigSchema.parse({})),
    join,
    decode,
    kafka: kafka.default(kafka.parse({})),
    clickhouse: clickhouse.default(clickhouse.parse({})),
    sink: sink.default(sink.parse({})),
    http: http.default(http.parse({})),
    owner: z.string().optional(),
    /** Grafana alert rules provisioned with the gate's thresholds (checked by `ready`), and who they page. */
    alerts: z.object({ rulesFile: z.string().min(1), escalation: z.string().optional() }).strict().optional(),
    runbook: z.string().optional(),
    gate: GateConfigSchema.optional(),
    /** The canary judge's policy (`canary run`); docs/canary.md. */
    canary: CanaryConfigSchema.default(CanaryConfigSchema.parse({})),
    /** The post-promotion guard (`guard MODEL`); off by default; docs/canary.md. */
    guard: GuardConfigSchema.default(GuardConfigSchema.parse({})),
    registry: RegistryConfigSchema.default(RegistryConfigSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    const o = c.candidate.outputs;
    if (c.task.type === 'regression' && !o.value) {
      ctx.addIssue({ code: 'custom', path: ['candidate', 'outputs', 'value'], message: 'is required for task.type "regression"' });
    }
    if (c.task.type !== 'regression' && !o.scores && !o.label) {
      ctx.addIssue({ code: 'custom', path: ['candidate', 'outputs', 'scores'], message: `scores or label is required for task.type "${c.task.type}"` });
    }
    if (c.clickhouse.cluster && !c.clickhouse.url) {
      ctx.addIssue({ code: 'custom', path: ['clickhouse', 'cluster'], message: 'needs clickhouse.url: the embedded engine is one node, not a cluster' });
    }
    if (c.join.idleMs > c.join.windowMs * 10) {
      ctx.addIssue({ code: 'custom', path: ['join', 'idleMs'], message: 'must be at most 10 x join.windowMs' });
    }
  });

export type Config = z.output<typeof ConfigSchema>;
export type TaskConfig = Config['task'];
export type KafkaConfig = Config['kafka'];
export type ClickHouseConfig = Config['clickhouse'];
