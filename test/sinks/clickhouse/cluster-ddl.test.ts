// Cluster DDL (config clickhouse.cluster, docs/scale-out.md). No cluster is available here, so the
// cluster statements are checked with the engine's own parser (formatQuery on the embedded engine) and
// by what they must contain; the single-node statements must stay the files' bytes exactly.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/index.ts';
import { loadGateSql, type GateSqlName } from '../../../src/gate/sql.ts';
import { openStore, type Store } from '../../../src/sinks/clickhouse/client.ts';
import { clusterLayout, clusterPreamble, distributedTables, readDatabase } from '../../../src/sinks/clickhouse/cluster.ts';
import { MIGRATIONS_DIR, readMigrations, renderMigration } from '../../../src/sinks/clickhouse/migrate.ts';

const layout = { cluster: 'shadow_cluster', database: 'shadow', readDatabase: 'shadow_all' };
const migrations = readMigrations();
const rendered = migrations.map((m) => ({ m, statements: renderMigration(m, 'shadow', layout, migrations) }));
const dataDir = mkdtempSync(join(tmpdir(), 'shadow-cluster-ddl-'));
let store: Store;

before(async () => {
  store = await openStore({ dataDir, database: 'shadow', username: 'default', password: '', requestTimeoutMs: 30_000 });
});

after(async () => {
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The engine's own parser: throws on a syntax error, returns the canonical text otherwise. */
/** The statement without its `--` comments (which name tables in prose). */
const code = (sql: string) => sql.replace(/--.*$/gm, '');

async function formatQuery(sql: string): Promise<string> {
  const rs = await store.client.query({ query: 'SELECT formatQuery({s:String}) AS f', query_params: { s: sql }, format: 'JSONEachRow' });
  const [row] = await rs.json<{ f: string }>();
  return row!.f;
}

describe('single-node migrations', () => {
  it('render every file byte for byte, with only ${db} substituted', () => {
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
    assert.equal(migrations.length, files.length);
    for (const [i, file] of files.entries()) {
      const expected = readFileSync(join(MIGRATIONS_DIR, file), 'utf8').replaceAll('${db}', 'analytics');
      assert.deepEqual(renderMigration(migrations[i]!, 'analytics', null, migrations), [expected], file);
    }
  });

  it('read the configured database itself when no cluster is configured', () => {
    assert.equal(readDatabase({ database: 'shadow' }), 'shadow');
    assert.equal(clusterLayout({ database: 'shadow' }), null);
    assert.equal(loadGateSql('window_totals', readDatabase({ database: 'shadow' })).includes('FROM shadow.stats_1m'), true);
  });
});

describe('cluster migrations', () => {
  it('parse and format with the engine parser, every statement of every migration', async () => {
    const all = [...clusterPreamble(layout), ...rendered.flatMap((r) => r.statements)];
    for (const sql of all) {
      const formatted = await formatQuery(sql).catch((err: unknown) => assert.fail(`${sql}\n-> ${String(err)}`));
      assert.match(formatted, /ON CLUSTER shadow_cluster/, sql);
    }
    assert.ok(all.length > migrations.length + 3, 'twins and preamble are rendered too');
  });

  it('put ON CLUSTER right after the object name of every statement', () => {
    for (const { m, statements } of rendered) {
      for (const s of statements) assert.match(s, /^(CREATE|ALTER|DROP) [A-Z ]*?(IF (NOT )?EXISTS )?shadow(_all)?\.[a-z0-9_]+ ON CLUSTER shadow_cluster\b/m, m.name);
    }
  });

  it('replace every MergeTree engine by its Replicated form and move the dedup window to the replicated setting', () => {
    let replicated = 0;
    for (const { m, statements } of rendered) {
      const local = statements[0]!;
      assert.doesNotMatch(local, /^ENGINE = (\w*)MergeTree$/m, m.name);
      assert.doesNotMatch(local, /non_replicated_deduplication_window/, m.name);
      if (/non_replicated_deduplication_window = 10000/.test(m.sql)) assert.match(local, /SETTINGS replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = 604800$/m, m.name);
      const engine = /^ENGINE = (\w*)MergeTree$/m.exec(m.sql);
      if (!engine) continue;
      replicated++;
      const path = m.name.endsWith('partition_fence') ? "'/clickhouse/tables/all/{database}/{table}'" : "'/clickhouse/tables/{shard}/{database}/{table}'";
      assert.ok(local.includes(`ENGINE = Replicated${engine[1]}MergeTree(${path}, '{replica}')`), m.name);
    }
    assert.ok(replicated >= 10, `${replicated} replicated tables`);
    assert.match(rendered.find((r) => r.m.name.endsWith('create_stats_1m'))!.statements[0]!, /ReplicatedAggregatingMergeTree/);
  });

  it('give every replicated table but the fence a Distributed twin in the read database', () => {
    const twins = distributedTables(migrations);
    for (const t of ['outcomes', 'stats_1m', 'disagreements', 'rejects', 'gate_decisions', 'promotions', 'latency_1m', 'noise_1m', 'labels']) assert.ok(twins.has(t), t);
    assert.ok(!twins.has('partition_fence') && !twins.has('outcomes_entry'));
    for (const { m, statements } of rendered) {
      const created = /^CREATE TABLE IF NOT EXISTS \$\{db\}\.([a-z0-9_]+)/m.exec(m.sql)?.[1];
      if (!created) continue;
      if (twins.has(created)) {
        assert.equal(statements.length, 2, m.name);
        assert.equal(
          statements[1],
          `CREATE TABLE IF NOT EXISTS shadow_all.${created} ON CLUSTER shadow_cluster AS shadow.${created}\nENGINE = Distributed(shadow_cluster, shadow, ${created})`,
        );
      } else {
        assert.equal(statements.length, 1, m.name);
      }
    }
  });

  it('alter the Distributed twin with its table, and only where there is one', () => {
    for (const { m, statements } of rendered) {
      const altered = /^ALTER TABLE \$\{db\}\.([a-z0-9_]+)/m.exec(m.sql)?.[1];
      if (!altered) continue;
      if (altered === 'outcomes_entry') {
        assert.equal(statements.length, 1, m.name);
        continue;
      }
      assert.equal(statements.length, 2, m.name);
      assert.ok(statements[1]!.startsWith(`ALTER TABLE shadow_all.${altered} ON CLUSTER shadow_cluster`), m.name);
      assert.equal(statements[1]!.split('ON CLUSTER shadow_cluster')[1], statements[0]!.split('ON CLUSTER shadow_cluster')[1], m.name);
    }
  });

  it('drop a replaced view in both databases: a materialized view is local, an analyst view is in the read database', () => {
    const drops = rendered.filter(({ m }) => /^DROP VIEW/m.test(m.sql));
    assert.ok(drops.length >= 5, `${drops.length} drops`);
    for (const { m, statements } of drops) {
      const name = /^DROP VIEW IF EXISTS \$\{db\}\.([a-z0-9_]+)/m.exec(m.sql)![1];
      assert.deepEqual(
        statements.map((s) => code(s).trim()),
        [`DROP VIEW IF EXISTS shadow.${name} ON CLUSTER shadow_cluster`, `DROP VIEW IF EXISTS shadow_all.${name} ON CLUSTER shadow_cluster`],
        m.name,
      );
    }
  });

  it('keep materialized views on the local tables and put analyst views on the Distributed ones', () => {
    for (const { m, statements } of rendered) {
      const [s] = statements;
      if (/^CREATE MATERIALIZED VIEW/m.test(m.sql)) {
        assert.doesNotMatch(s!, /shadow_all\./, m.name);
      } else if (/^CREATE VIEW/m.test(m.sql)) {
        assert.doesNotMatch(code(s!), /\bshadow\./, m.name);
        assert.match(s!, /^CREATE VIEW IF NOT EXISTS shadow_all\.[a-z_]+ ON CLUSTER shadow_cluster AS$/m, m.name);
      }
    }
  });
});

describe('reads with a cluster', () => {
  it('gate and status SQL read the Distributed tables and still parse', async () => {
    const read = readDatabase({ database: 'shadow', cluster: 'shadow_cluster' });
    assert.equal(read, 'shadow_all');
    const names: GateSqlName[] = ['window_totals', 'sub_windows', 'latency', 'noise', 'labels', 'labels_summary', 'status_candidates', 'status_decisions', 'known_versions'];
    for (const name of names) {
      const sql = loadGateSql(name, read);
      assert.doesNotMatch(code(sql), /\bshadow\./, name);
      assert.match(sql, /shadow_all\./, name);
      await formatQuery(sql);
    }
  });

  it('config accepts a cluster with a server URL and refuses it on the embedded engine', () => {
    const base = {
      model: 'm',
      task: { type: 'binary' },
      candidate: { version: 'v2', path: 'm.onnx', featureSchemaVersion: '1', features: ['amount'], outputs: { label: 'label' } },
    };
    const ok = parseConfig({ ...base, clickhouse: { url: 'http://ch:8123', cluster: 'shadow_cluster' } }, 'x.yaml');
    assert.equal(ok.clickhouse.cluster, 'shadow_cluster');
    assert.throws(() => parseConfig({ ...base, clickhouse: { cluster: 'shadow_cluster' } }, 'x.yaml'), /clickhouse\.cluster.*needs clickhouse\.url/);
    assert.throws(() => parseConfig({ ...base, clickhouse: { url: 'http://ch:8123', cluster: 'a-b' } }, 'x.yaml'), /clickhouse\.cluster/);
  });
});

describe('docs/scale-out.md', () => {
  it('links only to files that exist and names the settings the cluster DDL sets', () => {
    const root = join(import.meta.dirname, '..', '..', '..');
    const page = readFileSync(join(root, 'docs', 'scale-out.md'), 'utf8');
    for (const [, target] of page.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)) {
      assert.ok(existsSync(join(root, 'docs', target!)), `docs/scale-out.md links to missing ${target}`);
    }
    for (const s of ['replicated_deduplication_window = 10000', 'replicated_deduplication_window_seconds = 604800', 'deduplicate_blocks_in_dependent_materialized_views', '<database>_all']) {
      assert.ok(page.includes(s), s);
    }
  });
});
