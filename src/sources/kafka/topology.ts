import type { Admin } from 'kafkajs';
import { ShadowError, errorMessage } from '../../errors.ts';

/**
 * Refuses to start unless both topics exist with the same partition count: the join relies on a
 * request and its primary output (same key) landing in the same partition number.
 */
export async function checkCoPartitioned(admin: Admin, requests: string, primaries: string): Promise<number> {
  let metadata;
  try {
    metadata = await admin.fetchTopicMetadata({ topics: [requests, primaries] });
  } catch (err) {
    throw new ShadowError('SHADOW_TOPOLOGY', `cannot read metadata of topics "${requests}" and "${primaries}" (do both exist?): ${errorMessage(err)}`, { cause: err });
  }
  const count = (t: string) => metadata.topics.find((m) => m.name === t)?.partitions.length ?? 0;
  const [a, b] = [count(requests), count(primaries)];
  if (a === 0 || b === 0) {
    throw new ShadowError('SHADOW_TOPOLOGY', `topic "${a === 0 ? requests : primaries}" does not exist or has no partitions`);
  }
  if (a !== b) {
    throw new ShadowError(
      'SHADOW_TOPOLOGY',
      `topics are not co-partitioned: "${requests}" has ${a} partitions, "${primaries}" has ${b}. ` +
        'Requests and primary outputs must use the same partition count and key (the request id); ' +
        'add partitions to the smaller topic (kafka-topics --alter --partitions) before starting.',
    );
  }
  return a;
}
