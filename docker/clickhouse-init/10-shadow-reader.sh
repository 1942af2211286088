#!/bin/bash
# Run once by the ClickHouse image's entrypoint on a fresh data volume (/docker-entrypoint-initdb.d):
# creates shadow_reader, the user that the processor's POST /query (CLICKHOUSE_READ_USER) and Grafana
# read as. It may SELECT from the shadow database and nothing else, runs read-only, and may set only
# the limits the /query screen appends, within the caps below (CHANGEABLE_IN_READONLY): a query can
# lower its limits but never raise them past these, nor leave read-only mode.
# The writer ($CLICKHOUSE_USER, created by the entrypoint) owns the database; the processor, migrate
# and the gate write as it. The same statements work on any ClickHouse server (docs/security.md).
set -euo pipefail
password=${CLICKHOUSE_READ_PASSWORD:?set CLICKHOUSE_READ_PASSWORD}
# Inside a SQL string literal a quote is doubled and a backslash escaped.
literal=${password//\\/\\\\}
literal=${literal//\'/\'\'}
clickhouse client --user "${CLICKHOUSE_USER:-default}" --password "${CLICKHOUSE_PASSWORD:-}" --multiquery <<SQL
CREATE SETTINGS PROFILE IF NOT EXISTS shadow_reader SETTINGS readonly = 1, max_execution_time = 5 MAX 60 CHANGEABLE_IN_READONLY, max_memory_usage = 536870912 MAX 4294967296 CHANGEABLE_IN_READONLY, max_result_rows = 100000 MAX 10000000 CHANGEABLE_IN_READONLY, max_result_bytes = 67108864 MAX 1073741824 CHANGEABLE_IN_READONLY, result_overflow_mode = 'throw' CHANGEABLE_IN_READONLY, max_threads = 1 MAX 8 CHANGEABLE_IN_READONLY;
CREATE USER IF NOT EXISTS shadow_reader IDENTIFIED WITH sha256_password BY '${literal}' DEFAULT DATABASE shadow SETTINGS PROFILE 'shadow_reader';
GRANT SELECT ON shadow.* TO shadow_reader;
SQL
