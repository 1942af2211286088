import { z } from 'zod';
import { EventTime } from './request.ts';

/**
 * A late ground-truth label (issue 13), on the labels topic (default `shadow.labels`), keyed by request id.
 * It arrives minutes to weeks after the request and is joined to the stored predictions by request id in
 * ClickHouse (shadow.labels, schemas/clickhouse/000038), never in the stream join's memory. Exactly one of
 * `label` (classification: written as the model's labels are, e.g. "1" or 1) and `value` (regression).
 */
export const GroundTruthLabel = z
  .object({
    request_id: z.string().min(1).max(256).describe('Id of the mirrored request this is the truth for; also the Kafka key'),
    model: z.string().min(1).max(128).describe('Model the request was served by'),
    label: z.union([z.string().min(1).max(256), z.number().int()]).optional().describe('True class (classification)'),
    value: z.number().finite().optional().describe('True value (regression)'),
    label_time: EventTime.describe('When the truth became known'),
  })
  .strict()
  .refine((l) => (l.label === undefined) !== (l.value === undefined), { message: 'exactly one of label and value is required', path: ['label'] });

export type GroundTruthLabel = z.output<typeof GroundTruthLabel>;
