// Message contracts: what the mirror and the serving layer put on Kafka.
// Input: JSON values. Output: validated, normalised messages (event times as epoch ms).
export { MirroredRequest, InlinePrimaryOutput, ModelOutput, EventTime } from './request.ts';
export { PrimaryOutput } from './primary-output.ts';
export { GroundTruthLabel } from './label.ts';
export { toJsonSchemas } from './json-schema.ts';
