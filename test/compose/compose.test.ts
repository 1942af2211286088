// docker-compose.yml cannot be started here (no Docker on the development machines or in CI), so its
// structure is checked instead: pinned images, dependencies that exist and can be met, the processor's
// environment and config as the code reads them, provisioning files that exist and agree with the
// dashboards, host ports that do not collide, and no secret written into a file.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { CLICKHOUSE_PLUGIN, CLICKHOUSE_PLUGIN_VERSION } from '../../scripts/dashboards/clickhouse.ts';
import { WEBHOOK_ENV } from '../../scripts/dashboards/alerts.ts';
import { PROMETHEUS_UID, SCRAPE_JOB } from '../../scripts/dashboards/health.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openStore } from '../../src/sinks/clickhouse/client.ts';
import { REPO } from '../support/config.ts';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
}

const read = (p: string) => readFileSync(join(REPO, p), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const svc = (name: string): Service => services[name] ?? assert.fail(`service ${name} missing`);

/**
 * Compose interpolation of ${VAR}, ${VAR:-default}, ${VAR-default} and ${VAR:?error}. A required
 * variable missing from `env` fails, as `docker compose config` does; the tests pass SECRETS.
 */
function interpolate(value: string, env: Record<string, string> = SECRETS): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?:(:?-|:\?)([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    if (op === ':?') return env[name] || assert.fail(`\${${name}} is required: ${arg}`);
    return env[name] ?? arg ?? '';
  });
}

/** What a user must export before `docker compose up` (the file has no default for any secret). */
const SECRETS: Record<string, string> = {
  GRAFANA_ADMIN_PASSWORD: 'g',
  CLICKHOUSE_PASSWORD: 'c',
  CLICKHOUSE_READ_PASSWORD: 'r',
  SHADOW_API_TOKEN: 't'.repeat(32),
};

/** The names src/config/load.ts and the API token reader take from the environment (env.NAME). */
const CONFIG_ENV = new Set([
  ...[...read('src/config/load.ts').matchAll(/\benv\.([A-Z0-9_]+)/g)].map((m) => m[1]!),
  ...[...read('src/ops/api-token.ts').matchAll(/TOKEN_ENV = '([A-Z0-9_]+)'/g)].map((m) => m[1]!),
]);

/** WORKDIR /app in docker/Dockerfile is the repository root: /app/x is x in the repo. */
const APP = '/app';
const inRepo = (containerPath: string) => join(REPO, posix.relative(APP, posix.resolve(APP, containerPath)));

function configArg(command: string[] | undefined): string {
  const i = command?.indexOf('--config') ?? -1;
  assert.ok(command && i >= 0 && command[i + 1], `no --config in ${JSON.stringify(command)}`);
  return command[i + 1]!;
}

/** Every string value in a parsed YAML document (provisioning interpolates values, not comments). */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

function bindMounts(s: Service): { host: string; container: string }[] {
  return (s.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([host]) => host!.startsWith('.') || host!.startsWith('/'))
    .map(([host, container]) => ({ host: host!, container: container! }));
}

describe('docker-compose.yml', () => {
  it('has the stack the README promises', () => {
    for (const name of ['kafka', 'kafka-init', 'clickhouse', 'migrate', 'processor', 'traffic', 'grafana', 'prometheus']) svc(name);
  });

  it('pins every image to a version (or builds it from a Dockerfile in the repo)', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) {
        assert.ok(existsSync(join(REPO, s.build.context, s.build.dockerfile)), `${name}: ${s.build.dockerfile} missing`);
        continue;
      }
      assert.ok(s.image, `${name}: no image and no build`);
      const tag = /^[a-z0-9./_-]+:([\w.-]+)$/.exec(s.image!)?.[1];
      assert.ok(tag && tag !== 'latest' && /\d/.test(tag), `${name}: image ${s.image} is not pinned to a version`);
    }
    const from = /^FROM\s+(\S+)/m.exec(read('docker/Dockerfile'))?.[1] ?? '';
    assert.match(from, /^node:20\.\d+\.\d+-/, 'docker/Dockerfile base image pinned to a Node 20 release');
  });

  it('runs the Kafka version the test suite runs against (scripts/kafka/pom.xml)', () => {
    const version = /<kafka\.version>([^<]+)</.exec(read('scripts/kafka/pom.xml'))?.[1];
    assert.equal(svc('kafka').image, `apache/kafka:${version}`);
    assert.equal(svc('kafka-init').image, svc('kafka').image);
  });

  it('depends only on services that exist, with conditions they can meet', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = services[dep] ?? assert.fail(`${name} depends on unknown service ${dep}`);
        if (condition === 'service_healthy') assert.ok(target.healthcheck, `${name} waits for ${dep} to be healthy, but it has no healthcheck`);
        else if (condition === 'service_completed_successfully') assert.equal(target.restart, 'no', `${name} waits for one-shot ${dep}, which must not restart`);
        else assert.equal(condition, 'service_started', `${name} -> ${dep}`);
      }
    }
    assert.equal(svc('processor').depends_on?.['kafka-init']?.condition, 'service_completed_successfully', 'topics exist before the processor starts');
    assert.equal(svc('processor').depends_on?.migrate?.condition, 'service_completed_successfully');
    assert.equal(svc('traffic').depends_on?.['kafka-init']?.condition, 'service_completed_successfully');
  });

  it('gives the processor, migrate and traffic jobs only environment names src/config/load.ts reads', () => {
    for (const name of ['processor', 'migrate', 'traffic']) {
      const env = Object.keys(svc(name).environment ?? {});
      for (const k of env) assert.ok(CONFIG_ENV.has(k), `${name}: ${k} is not read by src/config/load.ts (reads ${[...CONFIG_ENV].join(', ')})`);
    }
    for (const k of ['KAFKA_BROKERS', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD']) assert.ok(svc('processor').environment?.[k], `processor: ${k}`);
    assert.ok(svc('traffic').environment?.KAFKA_BROKERS);
  });

  it('runs `node bin/shadow-compare.js run|migrate|traffic` with a config that loads with the compose environment', () => {
    assert.deepEqual(svc('processor').command?.slice(0, 3), ['node', 'bin/shadow-compare.js', 'run']);
    assert.deepEqual(svc('migrate').command?.slice(0, 3), ['node', 'bin/shadow-compare.js', 'migrate']);
    assert.deepEqual(svc('traffic').command?.slice(0, 3), ['node', 'bin/shadow-compare.js', 'traffic']);
    assert.ok(svc('traffic').command?.includes('--continuous'));
    const file = configArg(svc('processor').command);
    for (const name of ['migrate', 'traffic']) assert.equal(configArg(svc(name).command), file, `${name} uses the processor's config`);
    const env = Object.fromEntries(Object.entries(svc('processor').environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
    const config = loadConfig(inRepo(file), env);
    assert.deepEqual(config.kafka.brokers, ['kafka:19092']);
    assert.equal(config.clickhouse.url, 'http://clickhouse:8123');
    assert.ok(existsSync(config.candidate.path), `candidate model ${config.candidate.path} is in the image`);
    // Topics: the ones kafka-init creates, co-partitioned by construction (one PARTITIONS value).
    const init = svc('kafka-init').environment ?? {};
    // The labels topic is optional (read only when it exists), so kafka-init need not create it.
    const { requests, primaries } = config.kafka.topics;
    assert.deepEqual({ requests, primaries }, { requests: init.REQUESTS_TOPIC, primaries: init.PRIMARIES_TOPIC });
    assert.ok(Number(init.PARTITIONS) >= 1);
    const script = read(posix.relative('.', bindMounts(svc('kafka-init'))[0]!.host));
    assert.ok(script.includes('"$REQUESTS_TOPIC" "$PRIMARIES_TOPIC"') && script.includes('--partitions "$PARTITIONS"'), 'one partition count for both topics');
    // The HTTP endpoint listens on the interface and port compose publishes.
    assert.equal(config.http.host, '0.0.0.0');
    assert.ok(svc('processor').ports?.some((p) => p.split(':').at(-1) === String(config.http.port)), 'http.port published');
  });

  it('copies into the image everything the config and the CLI need', () => {
    const copies = [...read('docker/Dockerfile').matchAll(/^COPY\s+(.+)\s+(\S+)$/gm)].map((m) => m[1]!.split(/\s+/)).flat();
    for (const src of copies) assert.ok(existsSync(join(REPO, src)), `COPY source ${src} missing`);
    for (const needed of ['bin', 'src', 'schemas', 'fixtures/models', 'fixtures/data', 'package-lock.json', configArg(svc('processor').command)]) {
      assert.ok(copies.includes(needed), `docker/Dockerfile does not copy ${needed}`);
    }
    // The runbook the container config names (relative to the config file) is in the image, at that path.
    const config = loadConfig(inRepo(configArg(svc('processor').command)), { CLICKHOUSE_URL: 'http://clickhouse:8123' });
    assert.ok(config.runbook, 'the container config names a runbook');
    const runbook = posix.relative(REPO, config.runbook!);
    assert.equal(runbook, 'docs/rollback-runbook.md');
    assert.ok(copies.includes(runbook) && existsSync(config.runbook!), `docker/Dockerfile copies the runbook ${runbook}, which exists`);
  });

  it('mounts provisioning files that exist, where Grafana and the dashboard provider look for them', () => {
    const mounts = bindMounts(svc('grafana'));
    for (const name of Object.keys(services)) {
      for (const m of bindMounts(svc(name))) assert.ok(existsSync(join(REPO, m.host)), `${name}: mounted ${m.host} does not exist`);
    }
    const at = (container: string) => mounts.find((m) => m.container === container) ?? assert.fail(`grafana: nothing mounted at ${container}`);
    for (const kind of ['datasources', 'dashboards', 'alerting']) at(`/etc/grafana/provisioning/${kind}`);
    const provider = parse(read('dashboards/provisioning/dashboards/shadow-compare.yaml')) as { providers: { options: { path: string } }[] };
    const jsonMount = at(provider.providers[0]!.options.path);
    assert.equal(posix.normalize(jsonMount.host), posix.normalize('./dashboards/json'));
    const home = svc('grafana').environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    assert.ok(existsSync(join(REPO, 'dashboards/json', posix.relative(jsonMount.container, home))), `home dashboard ${home}`);
  });

  it('runs Prometheus scraping every processor replica on its HTTP port, with the processor alert rules loaded', () => {
    const p = svc('prometheus');
    const configFlag = p.command?.find((c) => c.startsWith('--config.file='))?.split('=')[1];
    const mount = (container: string) => bindMounts(p).find((m) => m.container === container) ?? assert.fail(`prometheus: nothing mounted at ${container}`);
    const prom = parse(read(posix.normalize(mount(configFlag ?? '').host))) as {
      rule_files: string[];
      scrape_configs: { job_name: string; metrics_path: string; dns_sd_configs: { names: string[]; type: string; port: number }[] }[];
    };
    const job = prom.scrape_configs.find((j) => j.job_name === SCRAPE_JOB) ?? assert.fail(`no scrape job ${SCRAPE_JOB}`);
    assert.equal(job.metrics_path, '/metrics');
    const processorConfig = loadConfig(inRepo(configArg(svc('processor').command)), { CLICKHOUSE_URL: 'http://clickhouse:8123' });
    // DNS discovery of the compose service name finds every replica, not only the first.
    assert.deepEqual(job.dns_sd_configs, [{ names: ['processor'], type: 'A', port: processorConfig.http.port, refresh_interval: '30s' }]);
    // The rule glob points into the mounted rules directory, which holds rule files.
    const [glob] = prom.rule_files;
    const rulesMount = mount(posix.dirname(glob!));
    const ruleFiles = readdirSync(join(REPO, rulesMount.host)).filter((f) => f.endsWith(posix.extname(glob!)));
    assert.ok(ruleFiles.length > 0, `no rule files in ${rulesMount.host}`);
    for (const f of ruleFiles) assert.ok((parse(read(posix.join(rulesMount.host, f))) as { groups: unknown[] }).groups.length > 0, f);
    assert.ok(p.volumes?.some((v) => v.startsWith('prometheus-data:')) && compose.volumes && 'prometheus-data' in compose.volumes, 'its TSDB on a named volume');
  });

  it('provisions Grafana with both the ClickHouse and the Prometheus data source', () => {
    const dir = bindMounts(svc('grafana')).find((m) => m.container === '/etc/grafana/provisioning/datasources')!.host;
    const sources = readdirSync(join(REPO, dir)).flatMap((f) => (parse(read(posix.join(dir, f))) as { datasources: { type: string; uid: string; url?: string }[] }).datasources);
    assert.deepEqual(sources.map((s) => s.type).sort(), [CLICKHOUSE_PLUGIN, 'prometheus'].sort());
    const prom = sources.find((s) => s.type === 'prometheus')!;
    assert.equal(prom.uid, PROMETHEUS_UID);
    const url = new URL(prom.url ?? '');
    assert.ok(services[url.hostname], `data source URL ${prom.url} names a compose service`);
    assert.equal(url.port, '9090', 'Prometheus listens on 9090 inside the network');
  });

  it('installs the ClickHouse plugin version the dashboards are written for', () => {
    assert.equal(svc('grafana').environment?.GF_INSTALL_PLUGINS, `${CLICKHOUSE_PLUGIN} ${CLICKHOUSE_PLUGIN_VERSION}`);
  });

  it("sets every variable Grafana's provisioning files interpolate", () => {
    const env = svc('grafana').environment ?? {};
    const files = ['dashboards/provisioning/datasources/clickhouse.yaml', 'dashboards/provisioning/dashboards/shadow-compare.yaml'];
    const referenced = new Set(files.flatMap((f) => strings(parse(read(f))).flatMap((v) => [...v.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!))));
    referenced.add(WEBHOOK_ENV); // the alert contact point's URL
    for (const name of referenced) assert.ok(env[name] !== undefined && interpolate(env[name]!) !== '', `grafana: ${name} not set`);
  });

  it('publishes no host port twice', () => {
    const hostPorts = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, port: p.split(':').slice(-2, -1)[0] ?? p })));
    const seen = new Map<string, string>();
    for (const { name, port } of hostPorts) {
      assert.ok(!seen.has(port), `host port ${port} published by ${seen.get(port)} and ${name}`);
      seen.set(port, name);
    }
    assert.ok(seen.size >= 4);
  });

  it('takes every password and token from the environment, with no default to fall back on', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN/.test(k)) assert.match(v, /^\$\{[A-Z0-9_]+:\?[^}]*\}$/, `${name}: ${k} must be \${VAR:?message} (required, no default)`);
      }
    }
  });

  it('publishes every port on 127.0.0.1 only', () => {
    const ports = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, p })));
    assert.ok(ports.length >= 4);
    for (const { name, p } of ports) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${name}: port ${p} is published beyond 127.0.0.1`);
  });

  it('gives Grafana no anonymous access and no default admin password, and reads ClickHouse as the SELECT-only user', () => {
    const env = svc('grafana').environment ?? {};
    assert.equal(env.GF_AUTH_ANONYMOUS_ENABLED, 'false');
    assert.ok(!('GF_AUTH_ANONYMOUS_ORG_ROLE' in env));
    assert.match(env.GF_SECURITY_ADMIN_PASSWORD ?? '', /^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
    assert.throws(() => interpolate(env.GF_SECURITY_ADMIN_PASSWORD!, {}), /GRAFANA_ADMIN_PASSWORD\} is required/);
    assert.equal(env.CLICKHOUSE_USER, 'shadow_reader');
  });

  it('starts the processor with an API token and a SELECT-only ClickHouse user for /query', () => {
    const env = Object.fromEntries(Object.entries(svc('processor').environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
    assert.equal(env.SHADOW_API_TOKEN, SECRETS.SHADOW_API_TOKEN);
    assert.equal(env.CLICKHOUSE_READ_USER, 'shadow_reader');
    const config = loadConfig(inRepo(configArg(svc('processor').command)), env);
    assert.equal(config.clickhouse.readUsername, 'shadow_reader');
    assert.equal(config.clickhouse.readPassword, SECRETS.CLICKHOUSE_READ_PASSWORD);
  });

  it('creates the read user with SQL the engine parses: SELECT on the database only, read-only, capped limits', async () => {
    const mount = bindMounts(svc('clickhouse')).find((m) => m.container === '/docker-entrypoint-initdb.d') ?? assert.fail('no init scripts mounted');
    const script = read(join(posix.relative('.', mount.host), '10-shadow-reader.sh'));
    const statements = (script.split('<<SQL\n')[1] ?? '').split('\nSQL')[0]!.replace('${literal}', "it''s").split(';\n').map((x) => x.trim()).filter(Boolean);
    assert.equal(statements.length, 3);
    const dir = mkdtempSync(join(tmpdir(), 'shadow-compose-'));
    const store = await openStore({ dataDir: join(dir, 'data'), database: 'shadow', username: 'default', password: '', requestTimeoutMs: 30_000 });
    try {
      const formatted: string[] = [];
      for (const sql of statements) {
        const rs = await store.client.query({ query: 'SELECT formatQuery({s:String}) AS f', query_params: { s: sql }, format: 'JSONEachRow' });
        formatted.push(((await rs.json<{ f: string }>())[0] ?? assert.fail('no answer')).f);
      }
      assert.match(formatted[0]!, /readonly = 1, max_execution_time = 5 MAX 60 CHANGEABLE_IN_READONLY/);
      assert.match(formatted[1]!, /^CREATE USER IF NOT EXISTS shadow_reader IDENTIFIED WITH sha256_password BY 'it\\'s' DEFAULT DATABASE shadow/);
      assert.equal(formatted[2], 'GRANT SELECT ON shadow.* TO shadow_reader');
      // The caps the read user accepts must hold the limits the processor appends by default.
      const q = loadConfig(join(REPO, 'shadow-compare.yaml')).http.query;
      const cap = (name: string) => Number(new RegExp(`${name} = \\d+ MAX (\\d+)`).exec(formatted[0]!)?.[1]);
      assert.ok(q.maxExecutionSeconds <= cap('max_execution_time') && q.maxMemoryBytes <= cap('max_memory_usage') && q.maxResultRows <= cap('max_result_rows') && q.maxResultBytes <= cap('max_result_bytes') && q.maxThreads <= cap('max_threads'));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
