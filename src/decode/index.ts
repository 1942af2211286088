// Decode: raw Kafka/file record -> validated request or primary output, or a reject with a bounded
// reason code. Never throws on bad input: a bad record becomes a reject row, processing goes on.
export { decode, type Decoded, type DecodeOptions, type RejectCode } from './decode.ts';
