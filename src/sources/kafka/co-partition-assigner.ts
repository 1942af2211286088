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
    const partitionsOf = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId)]));
    const plan = coPartitionPlan(memberIds, Math.max(0, ...[...partitionsOf.values()].flat().map((p) => p + 1)));
    const assignment: Record<string, Record<string, number[]>> = {};
    for (const [memberId, owned] of plan) {
      const mine = new Set(owned);
      assignment[memberId] = Object.fromEntries(
        [...partitionsOf].map(([topic, ids]) => [topic, ids.filter((p) => mine.has(p))] as const).filter(([, ids]) => ids.length > 0),
      );
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

/** Which partition numbers each member owns: p goes to the p-th member (mod n) in sorted id order. */
export function coPartitionPlan(memberIds: string[], partitions: number): Map<string, number[]> {
  const sorted = [...memberIds].sort();
  const plan = new Map<string, number[]>(sorted.map((id) => [id, []]));
  for (let p = 0; p < partitions; p++) plan.get(sorted[p % sorted.length]!)!.push(p);
  return plan;
}
