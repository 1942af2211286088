// Test-traffic generator: mirrored requests and primary outputs from the fixture data sets
// (fixtures/data/*.json, written by fixtures/make_fixtures.py).
export {
  type Dataset,
  type ExpectedTable,
  type ModelOutputJson,
  type Segments,
  type TaskType,
  FIXTURES_DATA_DIR,
  expectedOutput,
  expectedTable,
  loadDataset,
  modelTask,
  parseDataset,
  resolveDatasetPath,
  rowFeatures,
} from './dataset.ts';
export {
  type Envelope,
  type InlinePrimaryOutputJson,
  type InvalidKind,
  type InvalidTruth,
  type MirroredRequestJson,
  type PrimaryDelivery,
  type PrimaryErrorJson,
  type PrimaryOutputJson,
  type RequestTruth,
  type Stream,
  type Traffic,
  type TrafficCounts,
  type TrafficOptions,
  TRAFFIC_DEFAULTS,
  generateTraffic,
} from './generator.ts';
export { readNdjson, toNdjson, writeNdjson } from './ndjson.ts';
export { type Rng, mulberry32, substream } from './prng.ts';
