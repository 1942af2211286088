import { openMirrorProducer, type MirrorKafka as Kafka, type MirrorKafkaConfig as KafkaConfig, type MirrorMessage as Message } from '../kafka/mirror-producer.ts';
import { MirroredRequest, PrimaryOutput, type ModelOutput } from '../contracts/index.ts';
import { ShadowError, errorMessage } from '../errors.ts';

// The producer side, for serving code: mirror one inference (the request and production's answer) to
// the two topics shadow-compare consumes. Keys are the request id on both topics and the partitioner is
// kafkajs's default (murmur2, the Java client's), so a request and its answer land on the same partition
// number of the two co-partitioned topics; the bodies are validated against the message contracts
// (schemas/messages/*.schema.json) before anything is sent.

export const MESSAGE_SCHEMAS = {
  request: 'https://shadow-compare.dev/schemas/messages/mirrored-request.schema.json',
  primary: 'https://shadow-compare.dev/schemas/messages/primary-output.schema.json',
} as const;

export interface MirrorOptions {
  /** An existing kafkajs client, or the settings to make one. */
  readonly kafka: Kafka | KafkaConfig;
  readonly model: string;
  /** The production version answering the requests. */
  readonly primaryVersion: string;
  readonly featureSchemaVersion: string | number;
  /** Defaults: shadow.requests and shadow.primaries (the processor's defaults). */
  readonly topics?: { readonly requests: string; readonly primaries: string };
}

export interface Inference {
  readonly requestId: string;
  readonly features: Record<string, number | string | boolean | null>;
  readonly segments?: Record<string, string | number | boolean>;
  /** When production received the request (default: now). */
  readonly receivedAt?: Date | number;
  /** What production answered; `{}` with `error` when it failed. */
  readonly output: ModelOutput;
  readonly latencyMs: number;
  /** When production answered (default: receivedAt + latencyMs). */
  readonly answeredAt?: Date | number;
  readonly error?: { readonly code: string; readonly message?: string } | null;
  readonly costUsd?: number;
}

export interface Mirror {
  /** Sends the request and the primary output (acks = all); rejects on an invalid message or a send failure. */
  mirror(inference: Inference): Promise<void>;
  close(): Promise<void>;
}

export async function createMirror(opts: MirrorOptions): Promise<Mirror> {
  const topics = opts.topics ?? { requests: 'shadow.requests', primaries: 'shadow.primaries' };
  const producer = await openMirrorProducer(opts.kafka);
  return {
    async mirror(i) {
      const [request, primary] = mirrorMessages(opts, i);
      try {
        await producer.send([{ topic: topics.requests, messages: [request] }, { topic: topics.primaries, messages: [primary] }]);
      } catch (err) {
        throw new ShadowError('SHADOW_KAFKA', `mirror ${i.requestId}: ${errorMessage(err)}`, { cause: err, retryable: true });
      }
    },
    close: () => producer.close(),
  };
}

/** The two Kafka messages for one inference, validated: exported for serving code that has its own producer. */
export function mirrorMessages(opts: Pick<MirrorOptions, 'model' | 'primaryVersion' | 'featureSchemaVersion'>, i: Inference): [Message, Message] {
  const received = toMs(i.receivedAt ?? Date.now());
  const request = {
    request_id: i.requestId,
    event_time: received,
    model: opts.model,
    primary_version: opts.primaryVersion,
    feature_schema_version: opts.featureSchemaVersion,
    features: i.features,
    ...(i.segments ? { segments: i.segments } : {}),
  };
  const primary = {
    request_id: i.requestId,
    event_time: toMs(i.answeredAt ?? received + Math.round(i.latencyMs)),
    model: opts.model,
    version: opts.primaryVersion,
    output: i.output,
    latency_ms: i.latencyMs,
    ...(i.error !== undefined ? { error: i.error } : {}),
    ...(i.costUsd !== undefined ? { cost_usd: i.costUsd } : {}),
  };
  check(MirroredRequest.safeParse(request), 'request', i.requestId);
  check(PrimaryOutput.safeParse(primary), 'primary output', i.requestId);
  return [
    { key: i.requestId, value: JSON.stringify(request), headers: { 'content-type': 'application/json', 'x-shadow-schema': MESSAGE_SCHEMAS.request } },
    { key: i.requestId, value: JSON.stringify(primary), headers: { 'content-type': 'application/json', 'x-shadow-schema': MESSAGE_SCHEMAS.primary } },
  ];
}

function check(r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }, what: string, id: string): void {
  if (r.success) return;
  const issues = r.error!.issues.map((x) => `${x.path.map(String).join('.') || '(root)'}: ${x.message}`).join('; ');
  throw new ShadowError('SHADOW_INPUT', `mirror ${id}: the ${what} does not match its schema: ${issues}`);
}

function toMs(t: Date | number): number {
  return typeof t === 'number' ? t : t.getTime();
}
