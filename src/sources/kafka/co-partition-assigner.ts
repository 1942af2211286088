import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

export const CO_PARTITION_ASSIGNER = 'ShadowCoPartitionAssigner';

/**
 * Gives partition p of every subscribed topic to the same member, like Kafka's RangeAssigner does
 * for co-partitioned topics. kafkajs's RoundRobin deals topic-partitions in one sequence, so a
 * request and its primary output (same key, same partition number) could land on different members
 * and never join. Partition numbers beyond the smallest topic's count are still assigned, to the
 * member owning that number, so nothing goes unread; start-up refuses such a topology anyway.
 */
export const coPartitionAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITION_ASSIGNER,
  version: 0,
  async assign({ members, topics }) {
    const memberIds = members.map((m) => m.memberId).sort();
    const assignment: Record<string, Record<string, number[]>> = {};
    for (const id of memberIds) assignment[id] = {};
    for (const topic of topics) {
      for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
        const owner = memberIds[partitionId % memberIds.length]!;
        (assignment[owner]![topic] ??= []).push(partitionId);
      }
    }
    return memberIds.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: assignment[memberId]!, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: CO_PARTITION_ASSIGNER, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});

/** Pure helper for tests and start-up checks: which partitions each member would get. */
export function coPartitionPlan(memberIds: string[], partitions: number): Map<string, number[]> {
  const sorted = [...memberIds].sort();
  const plan = new Map<string, number[]>(sorted.map((id) => [id, []]));
  for (let p = 0; p < partitions; p++) plan.get(sorted[p % sorted.length]!)!.push(p);
  return plan;
}
