/**
 * Benchmark (not a test): wall time from starting `shadow-compare rollback` to a `watchProduction`
 * subscriber seeing the previous version, on a local broker. Target (issue #4): under 5 s, command
 * included. The command is spawned as an operator would run it (node + tsx start-up, config load,
 * artifact sha256 + onnxruntime load, Kafka connect and publish, then the audit row in embedded ClickHouse).
 *
 *   npx tsx scripts/bench-rollback.ts [--runs N] [--features]      (uses KAFKA_BROKERS, or starts a broker)
 *
 * --features (issue 15): the same for `rollback --features`: the subscriber waits for the flag record's
 * featureSchemaVersion to return to the previous feature schema (the model version stays).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createFlagPublisher, promoteFeatureSchema, promoteVersion, registerFeatureSchema, registerVersion, watchProduction, type ProductionRecord } from '../src/registry/index.ts';
import { startBroker } from './kafka/broker.ts';

const REPO = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, features: { type: 'boolean', default: false } } });
const features = values.features;
const runs = Number(values.runs);

const broker = process.env.KAFKA_BROKERS ? undefined : await startBroker();
const brokers = (process.env.KAFKA_BROKERS ?? broker!.brokers).split(',');
const dir = mkdtempSync(join(tmpdir(), 'bench-rollback-'));
const topic = `bench-production-versions-${Date.now()}`;
const configPath = join(dir, 'config.yaml');
writeFileSync(
  configPath,
  [
    'model: diagnosis',
    `candidate: { version: v10, path: ${join(REPO, 'fixtures/models/diagnosis/v10.onnx')}, featureSchemaVersion: "1", features: [a], outputs: { label: label } }`,
    'task: { type: binary }',
    `kafka: { brokers: ${JSON.stringify(brokers)}, registryTopic: ${topic} }`,
    `clickhouse: { dataDir: ${join(dir, 'data')} }`,
    `registry: { backend: kafka, path: ${join(dir, 'registry.json')} }`,
  ].join('\n'),
);

const publisher = await createFlagPublisher({ brokers, topic }, 10_000);
const reg = { path: join(dir, 'registry.json'), backend: 'kafka' as const, publisher, now: () => new Date() };
for (const v of ['v9', 'v10']) {
  await registerVersion(reg, { model: 'diagnosis', version: v, artifactPath: join(REPO, `fixtures/models/diagnosis/${v}.onnx`), featureSchemaVersion: '1', actor: 'bench' });
}
await promoteVersion(reg, { model: 'diagnosis', version: 'v9', actor: 'bench', reason: 'setup' });
if (features) {
  const spec = Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, type: 'numeric' as const }));
  await registerFeatureSchema(reg, { model: 'diagnosis', version: '1', features: spec, actor: 'bench' });
  await registerFeatureSchema(reg, { model: 'diagnosis', version: '2', features: spec, actor: 'bench' });
}

let onSeen: ((r: ProductionRecord) => void) | undefined;
const watch = await watchProduction('diagnosis', (r) => onSeen?.(r), { brokers, topic });

const results: { seenMs: number; exitMs: number; took: string }[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const [target, back] = features ? ['2', '1'] : ['v10', 'v9'];
    const field = (r: ProductionRecord | null | undefined) => (features ? r?.featureSchemaVersion : r?.version);
    if (features) await promoteFeatureSchema(reg, { model: 'diagnosis', version: target, actor: 'bench', reason: 'setup' });
    else await promoteVersion(reg, { model: 'diagnosis', version: target, actor: 'bench', reason: 'setup' });
    while (field(watch.current()) !== target) await new Promise((r) => setTimeout(r, 10));
    const seen = new Promise<number>((resolve) => (onSeen = (r) => field(r) === back && resolve(performance.now())));
    const t0 = performance.now();
    const args = ['rollback', 'diagnosis', ...(features ? ['--features'] : []), '--config', configPath, '--reason', 'bench', '--log-level', 'warn'];
    const child = spawn(process.execPath, [join(REPO, 'bin/shadow-compare.js'), ...args], { cwd: REPO });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => (code === 0 ? resolve(performance.now()) : (console.error(out), process.exit(1)))));
    const [seenAt, exitAt] = await Promise.all([seen, exited]);
    results.push({ seenMs: seenAt - t0, exitMs: exitAt - t0, took: /took\s+(.*)/.exec(out)?.[1] ?? '?' });
    console.log(`run ${i + 1}: subscriber saw ${features ? `feature schema ${back}` : back} ${(seenAt - t0).toFixed(0)} ms after start; command exited after ${(exitAt - t0).toFixed(0)} ms (command says: ${results.at(-1)!.took})`);
  }
} finally {
  await watch.stop();
  await publisher.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
}
const seen = results.map((r) => r.seenMs).sort((a, b) => a - b);
const median = seen[Math.floor(seen.length / 2)]!;
console.log(`rollback${features ? ' --features' : ''} -> subscriber sees previous ${features ? 'feature schema' : 'version'}: median ${(median / 1000).toFixed(2)} s, max ${(seen.at(-1)! / 1000).toFixed(2)} s over ${runs} runs (target < 5 s)`);
