import { z } from 'zod';
import { EventTime, ModelOutput, PrimaryErrorInfo } from './request.ts';

export const PrimaryOutput = z
  .object({
    request_id: z.string().min(1).max(256).describe('Same id as the mirrored request; also the Kafka key'),
    event_time: EventTime.describe('When the primary answered'),
    model: z.string().min(1).max(128),
    version: z.string().min(1).max(128).describe('Primary model version that answered'),
    output: ModelOutput,
    latency_ms: z.number().nonnegative().describe('Primary inference latency'),
    error: PrimaryErrorInfo.nullable().optional(),
    cost_usd: z.number().nonnegative().optional().describe('Cost of this inference, when the serving layer knows it'),
  })
  .strict();

export type PrimaryOutput = z.output<typeof PrimaryOutput>;
