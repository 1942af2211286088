import { z } from 'zod';

/** Event time: ISO-8601 string or epoch milliseconds; normalised to epoch ms. */
export const EventTime = z
  .union([z.string().datetime({ offset: true }), z.number().int().nonnegative()])
  .describe('ISO-8601 timestamp with offset, or epoch milliseconds')
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

export const PrimaryErrorInfo = z
  .object({
    code: z.string().min(1).max(128).describe('Stable error code from the serving layer'),
    message: z.string().max(4096).optional(),
  })
  .describe('Set when the primary model failed to answer');

export const ModelOutput = z
  .object({
    label: z.union([z.string(), z.number()]).optional().describe('Predicted class label'),
    score: z.number().optional().describe('Binary task: probability of the positive class'),
    scores: z.array(z.number()).optional().describe('Multiclass task: probability per class, in class order'),
    value: z.number().optional().describe('Regression task: predicted value'),
  })
  .describe('What the model answered: label and/or score(s) and/or value');

const id = z.string().min(1).max(256);
const name = z.string().min(1).max(128);

/** The primary output as carried inline in a mirrored request (identity comes from the request). */
export const InlinePrimaryOutput = z
  .object({
    version: name.optional().describe('Defaults to the request primary_version'),
    event_time: EventTime.optional(),
    output: ModelOutput,
    latency_ms: z.number().nonnegative(),
    error: PrimaryErrorInfo.nullable().optional(),
    cost_usd: z.number().nonnegative().optional(),
  })
  .strict();

export const MirroredRequest = z
  .object({
    request_id: id.describe('Unique per inference request; also the Kafka message key'),
    event_time: EventTime.describe('When production received the request'),
    model: name.describe('Model name, e.g. "fraud"'),
    primary_version: name.describe('Version that served the request in production'),
    feature_schema_version: z.union([name, z.number().int()]).transform(String),
    features: z
      .record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]))
      .describe('Named features as sent to the primary model'),
    segments: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
      .optional()
      .describe('Segment attributes (country, device, tier, ...); segment fields may also be features'),
    primary_output: InlinePrimaryOutput.optional().describe('The primary answer, when the mirror carries it'),
  })
  .strict();

export type MirroredRequest = z.output<typeof MirroredRequest>;
export type InlinePrimaryOutput = z.output<typeof InlinePrimaryOutput>;
export type ModelOutput = z.output<typeof ModelOutput>;
