import { z } from 'zod';
import { MirroredRequest } from './request.ts';
import { PrimaryOutput } from './primary-output.ts';
import { GroundTruthLabel } from './label.ts';

/** JSON Schema files under schemas/messages/, keyed by file name. Input side: what producers send. */
export function toJsonSchemas(): Record<string, unknown> {
  const doc = (schema: z.ZodType, id: string, title: string) => ({
    $id: `https://shadow-compare.dev/schemas/messages/${id}`,
    title,
    ...z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }),
  });
  return {
    'mirrored-request.schema.json': doc(MirroredRequest, 'mirrored-request.schema.json', 'Mirrored inference request'),
    'primary-output.schema.json': doc(PrimaryOutput, 'primary-output.schema.json', 'Primary model output'),
    'ground-truth-label.schema.json': doc(GroundTruthLabel, 'ground-truth-label.schema.json', 'Late ground-truth label'),
  };
}
