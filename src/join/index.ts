// Join: requests x primary outputs of one partition by request id, whatever the arrival order.
// Output: pair / unmatched / duplicate events; each input record appears in exactly one event.
// Bounded by the caller: it pauses a stream when `size` reaches the limit.
export { PartitionJoin, type JoinEvent, type JoinOptions } from './partition-join.ts';
