#!/bin/bash
# One-shot job of docker-compose.yml (service kafka-init): creates the two mirrored-traffic topics with
# the same partition count, as the processor requires (it refuses to start otherwise: SHADOW_TOPOLOGY).
# Idempotent: an existing topic is left as it is, and the final check fails if the counts differ.
set -euo pipefail
: "${BOOTSTRAP:?}" "${REQUESTS_TOPIC:?}" "${PRIMARIES_TOPIC:?}" "${PARTITIONS:?}"
KT=/opt/kafka/bin/kafka-topics.sh

for topic in "$REQUESTS_TOPIC" "$PRIMARIES_TOPIC"; do
  "$KT" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor 1
done

partitions() {
  "$KT" --bootstrap-server "$BOOTSTRAP" --describe --topic "$1" | grep -c 'Partition: '
}
req=$(partitions "$REQUESTS_TOPIC")
prim=$(partitions "$PRIMARIES_TOPIC")
if [ "$req" != "$prim" ]; then
  echo "topics are not co-partitioned: $REQUESTS_TOPIC has $req partitions, $PRIMARIES_TOPIC has $prim" >&2
  exit 1
fi
echo "topics ready: $REQUESTS_TOPIC and $PRIMARIES_TOPIC with $req partitions each"
