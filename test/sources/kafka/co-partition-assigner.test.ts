import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AssignerProtocol, type Cluster, type GroupMember, type Logger } from 'kafkajs';
import { CO_PARTITION_ASSIGNER, coPartitionAssigner, coPartitionPlan } from '../../../src/sources/kafka/co-partition-assigner.ts';

const REQ = 'shadow.requests';
const PRIM = 'shadow.primaries';

/** Plain stub of the one cluster-metadata call the assigner makes (not a Kafka mock). */
function fakeCluster(partitions: Record<string, number>): Cluster {
  return {
    findTopicPartitionMetadata: (topic: string) => {
      // Metadata lists partitions in no particular order.
      const ids = Array.from({ length: partitions[topic] ?? 0 }, (_, i) => i).reverse();
      return ids.map((partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0, offlineReplicas: [] }));
    },
  } as unknown as Cluster;
}

const silent = { info() {}, warn() {}, error() {}, debug() {}, namespace() { return silent; }, setLogLevel() {} } as unknown as Logger;

function members(n: number): GroupMember[] {
  // Member ids as kafkajs makes them (clientId-uuid), listed out of order.
  return Array.from({ length: n }, (_, i) => ({
    memberId: `shadow-compare-${String.fromCharCode(97 + ((i * 7) % 26))}${i}`,
    memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: [REQ, PRIM], userData: Buffer.alloc(0) }),
  })).reverse();
}

async function assign(memberCount: number, partitions: number, topics = [REQ, PRIM]) {
  const assigner = coPartitionAssigner({ cluster: fakeCluster({ [REQ]: partitions, [PRIM]: partitions }), groupId: 'g', logger: silent });
  const result = await assigner.assign({ members: members(memberCount), topics });
  return result.map(({ memberId, memberAssignment }) => {
    const decoded = AssignerProtocol.MemberAssignment.decode(memberAssignment);
    assert.ok(decoded, `assignment of ${memberId} decodes`);
    return { memberId, assignment: decoded.assignment };
  });
}

describe('coPartitionAssigner', () => {
  it('is registered under its own protocol name and advertises the subscribed topics', () => {
    const assigner = coPartitionAssigner({ cluster: fakeCluster({}), groupId: 'g', logger: silent });
    assert.equal(assigner.name, CO_PARTITION_ASSIGNER);
    const state = assigner.protocol({ topics: [REQ, PRIM] });
    assert.equal(state.name, CO_PARTITION_ASSIGNER);
    assert.deepEqual(AssignerProtocol.MemberMetadata.decode(state.metadata)?.topics, [REQ, PRIM]);
  });

  for (let m = 1; m <= 5; m++) {
    for (let p = 1; p <= 12; p++) {
      it(`gives partition p of both topics to the same member and every topic-partition to exactly one member (${m} members, ${p} partitions)`, async () => {
        const result = await assign(m, p);
        assert.equal(result.length, m, 'one assignment per member');
        assert.deepEqual(new Set(result.map((r) => r.memberId)), new Set(members(m).map((x) => x.memberId)));
        const owner: Record<string, Map<number, string>> = { [REQ]: new Map(), [PRIM]: new Map() };
        for (const { memberId, assignment } of result) {
          for (const [topic, parts] of Object.entries(assignment)) {
            for (const part of parts) {
              assert.ok(!owner[topic]!.has(part), `${topic}/${part} assigned twice`);
              owner[topic]!.set(part, memberId);
            }
          }
        }
        for (const topic of [REQ, PRIM]) assert.deepEqual([...owner[topic]!.keys()].sort((a, b) => a - b), [...Array(p).keys()], `${topic} fully assigned`);
        for (let part = 0; part < p; part++) assert.equal(owner[REQ]!.get(part), owner[PRIM]!.get(part), `partition ${part}`);
        // Balanced: member loads differ by at most one partition number.
        const loads = result.map((r) => (r.assignment[REQ] ?? []).length);
        assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `loads ${loads}`);
      });
    }
  }

  it('agrees with coPartitionPlan for the same members', async () => {
    const result = await assign(3, 8);
    const plan = coPartitionPlan(members(3).map((x) => x.memberId), 8);
    for (const { memberId, assignment } of result) {
      assert.deepEqual([...(assignment[REQ] ?? [])].sort((a, b) => a - b), plan.get(memberId));
      assert.deepEqual([...(assignment[PRIM] ?? [])].sort((a, b) => a - b), plan.get(memberId));
    }
  });

  it('gives the same assignment whatever order the members are listed in', async () => {
    const assigner = coPartitionAssigner({ cluster: fakeCluster({ [REQ]: 6, [PRIM]: 6 }), groupId: 'g', logger: silent });
    const ms = members(4);
    const a = await assigner.assign({ members: ms, topics: [REQ, PRIM] });
    const b = await assigner.assign({ members: [...ms].reverse(), topics: [REQ, PRIM] });
    const norm = (xs: typeof a) => Object.fromEntries(xs.map((x) => [x.memberId, AssignerProtocol.MemberAssignment.decode(x.memberAssignment)?.assignment]));
    assert.deepEqual(norm(a), norm(b));
  });
});

describe('coPartitionPlan', () => {
  it('deals partition numbers round-robin over the sorted member ids', () => {
    const plan = coPartitionPlan(['c', 'a', 'b'], 7);
    assert.deepEqual([...plan.keys()], ['a', 'b', 'c']);
    assert.deepEqual(plan.get('a'), [0, 3, 6]);
    assert.deepEqual(plan.get('b'), [1, 4]);
    assert.deepEqual(plan.get('c'), [2, 5]);
  });

  it('lists members with no partitions when there are more members than partitions', () => {
    const plan = coPartitionPlan(['m1', 'm2', 'm3'], 2);
    assert.deepEqual(plan.get('m3'), []);
    assert.equal([...plan.values()].flat().length, 2);
  });

  it('assigns every partition exactly once for 1..5 members and 1..12 partitions', () => {
    for (let m = 1; m <= 5; m++) {
      for (let p = 1; p <= 12; p++) {
        const plan = coPartitionPlan(Array.from({ length: m }, (_, i) => `member-${i}`), p);
        assert.deepEqual([...plan.values()].flat().sort((a, b) => a - b), [...Array(p).keys()], `${m} members, ${p} partitions`);
      }
    }
  });
});
