// File source: NDJSON replay files of request and primary-output envelopes, in batches of records
// with per-stream offsets (the file is one partition of two "topics"), as a RecordSource.
export { readNdjson, replayTopics } from './ndjson-source.ts';
export { FileSource } from './file-source.ts';
