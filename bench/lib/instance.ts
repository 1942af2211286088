// Runs `shadow-compare run` as a child process per instance (own chDB data dir, own HTTP port), like
// test/support/processes.ts, plus what a measurement needs: the event-loop probe preloaded, an
// optional V8 CPU profile, /metrics scraping and SQL through the instance's read-only /query.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/index.ts';
import { freePort, waitFor } from '../../test/support/processes.ts';
import { parseProm, type Sample } from './prom.ts';

/** The API token bench instances are started with (their POST /query requires one). */
const BENCH_API_TOKEN = 'shadow-bench-api-token-0123456789';

export const REPO = join(import.meta.dirname, '..', '..');
export const PROBE = join(REPO, 'bench', 'probe', 'probe.mjs');

interface ManifestModel {
  model: string;
  version: string;
  path: string;
  feature_names: string[];
  input_name: string;
}

/**
 * The demo's comparison (candidate diagnosis v10 vs primary v9, as in shadow-compare.yaml) spelled
 * out here, so the bench does not break while others edit the demo file. Paths are absolute.
 */
function baseConfig(): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(join(REPO, 'fixtures/models/manifest.json'), 'utf8')) as { models: ManifestModel[] };
  const v10 = manifest.models.find((m) => m.model === 'diagnosis' && m.version === 'v10')!;
  return {
    model: 'diagnosis',
    candidate: {
      version: 'v10',
      path: join(REPO, v10.path),
      featureSchemaVersion: '1',
      inputName: v10.input_name,
      features: v10.feature_names,
      outputs: { scores: 'probabilities', label: 'label' },
      batch: { maxSize: 64, maxWaitMs: 2 },
      pricing: { perCpuSecondUsd: 0.0000139 },
    },
    task: { type: 'binary', threshold: 0.5 },
    primary: { pricing: { per1000Usd: 0.002 } },
    segments: { dimensions: ['country', 'device', 'customer_tier'], maxValuesPerDimension: 50 },
    join: { windowMs: 60000, idleMs: 5000, maxBuffered: 200000 },
    kafka: { groupId: 'shadow-bench' },
    clickhouse: { database: 'shadow', dataDir: join(REPO, '.shadow-bench-unused') },
    sink: { maxRows: 50000, flushIntervalMs: 1000, agreementSampleRate: 0.01 },
    http: { port: 0 },
  };
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev) ? merge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** The demo comparison with overrides, validated by the processor's own config schema. */
export function benchConfig(overrides: Record<string, unknown>): Readonly<Config> {
  return parseConfig(merge(baseConfig(), overrides), 'bench config');
}

export interface ProbeLine {
  kind: 'tick' | 'window-end' | 'exit';
  t: number;
  eld: { p50: number; p99: number; max: number; n: number };
  window: { p50: number; p99: number; p999: number; max: number; n: number; gcMs: number; gcMaxMs: number };
  gcMs: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  cpuUserMs: number;
  cpuSystemMs: number;
}

export interface BenchInstance {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  readonly dir: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly readyAt: number;
  output(): string;
  metrics(): Promise<Sample[]>;
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /** Probe lines written so far. */
  probe(): ProbeLine[];
  /** Starts a new event-loop-delay window; the line written closes the previous one. */
  markWindow(): void;
  /** SIGTERM (drain, commit, exit) and wait; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** Removes the data directory (keeps the profile, if any). */
  cleanup(): void;
  /** The .cpuprofile written on exit, when started with `profileDir`. */
  profileFile(): string | undefined;
}

export interface InstanceOptions {
  readonly name: string;
  readonly config: Readonly<Config>;
  /** Parent of this instance's folder (data dir, config, probe file). */
  readonly root: string;
  /** Write a V8 CPU profile of the whole run here. */
  readonly profileDir?: string;
  readonly logLevel?: string;
  /** Extra node flags for the processor (e.g. GC settings in a what-if run). */
  readonly nodeArgs?: readonly string[];
}

export async function startInstance(o: InstanceOptions): Promise<BenchInstance> {
  const dir = join(o.root, o.name);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const full = { ...o.config, http: { ...o.config.http, port }, clickhouse: { ...o.config.clickhouse, dataDir: join(dir, 'data') } };
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(full));
  const probeFile = join(dir, 'probe.ndjson');
  const nodeArgs = [...(o.nodeArgs ?? []), '--import', PROBE];
  // Default file names (CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile): every thread with a V8
  // isolate writes one, and tsx's module hooks run in a worker thread; tid 0 is the main thread.
  const profileDir = o.profileDir ? join(o.profileDir, o.name) : undefined;
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', profileDir);
  }
  const child = spawn(process.execPath, [...nodeArgs, join(REPO, 'bin', 'shadow-compare.js'), 'run', '--config', configFile, '--log-level', o.logLevel ?? 'warn'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KAFKA_BROKERS: o.config.kafka.brokers.join(','), BENCH_PROBE_FILE: probeFile, SHADOW_API_TOKEN: BENCH_API_TOKEN },
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200, 120_000, () => `instance ${o.name} not ready:\n${out.slice(-3000)}`, exited);
  const readyAt = performance.now();
  return {
    name: o.name,
    pid: child.pid!,
    url,
    dir,
    child,
    exited,
    readyAt,
    output: () => out,
    async metrics() {
      const res = await fetch(`${url}/metrics`);
      return parseProm(await res.text());
    },
    async query<T>(sql: string, params: Record<string, unknown> = {}) {
      const res = await fetch(`${url}/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_TOKEN}` },
        body: JSON.stringify({ sql, params }),
      });
      const body = (await res.json()) as { rows?: T[]; error?: unknown };
      if (!res.ok || !body.rows) throw new Error(`query on ${o.name} failed (${res.status}): ${JSON.stringify(body.error)}`);
      return body.rows;
    },
    probe() {
      if (!existsSync(probeFile)) return [];
      return readFileSync(probeFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ProbeLine);
    },
    markWindow() {
      child.kill('SIGUSR2');
    },
    async stop(timeoutMs = 60_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    cleanup() {
      rmSync(join(dir, 'data'), { recursive: true, force: true });
    },
    profileFile() {
      if (!profileDir) return undefined;
      const f = readdirSync(profileDir).find((n) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(n));
      return f ? join(profileDir, f) : undefined;
    },
  };
}

/** Sum of one SQL aggregate over several instances (each holds its own embedded store). */
export async function sumOver(instances: readonly BenchInstance[], sql: string): Promise<number> {
  let n = 0;
  for (const i of instances) {
    const [r] = await i.query<{ n: string | number }>(sql);
    n += Number(r?.n ?? 0);
  }
  return n;
}
