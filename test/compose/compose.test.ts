// docker-compose.yml cannot be started here (no Docker on the development machines or in CI), so its
// structure is checked instead: pinned images, dependencies that exist and can be met, the processor's
// environment and config as the code reads them, provisioning files that exist and agree with the
// dashboards, host ports that do not collide, and no secret written into a file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { CLICKHOUSE_PLUGIN, CLICKHOUSE_PLUGIN_VERSION } from '../../scripts/dashboards/clickhouse.ts';
import { WEBHOOK_ENV } from '../../scripts/dashboards/alerts.ts';
import { loadConfig } from '../../src/config/index.ts';
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

/** Compose interpolation of ${VAR}, ${VAR:-default} and ${VAR-default} with an empty environment. */
function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_m, name: string, def?: string) => env[name] ?? def ?? '');
}

/** The names src/config/load.ts reads from the environment (env.NAME). */
const CONFIG_ENV = new Set([...read('src/config/load.ts').matchAll(/\benv\.([A-Z0-9_]+)/g)].map((m) => m[1]!));

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
    for (const name of ['kafka', 'kafka-init', 'clickhouse', 'migrate', 'processor', 'traffic', 'grafana']) svc(name);
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

  it('takes every password from the environment, never from a literal in the file', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN/.test(k)) assert.match(v, /^\$\{[A-Z0-9_]+(:?-[^}]*)?\}$/, `${name}: ${k} must be \${VAR} or \${VAR:-demo default}`);
      }
    }
  });
});
