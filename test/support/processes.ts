// Runs `shadow-compare run` as child processes: the embedded ClickHouse locks its data directory to
// one process, so each instance is its own process with its own directory, as in production.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/index.ts';
import { REPO } from './config.ts';

/** The API token every test instance is started with (its POST endpoints require one). */
export const TEST_API_TOKEN = 'shadow-test-api-token-0123456789';

export interface Instance {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface InstanceOptions {
  /** Keep the data directory across restarts (default: a fresh one). */
  readonly dataDir?: string;
  readonly env?: Record<string, string>;
  /** Resolve once the process runs, without waiting for /readyz (for runs that kill themselves early). */
  readonly noWait?: boolean;
}

/** Starts one processor with `config` (its own data dir and HTTP port); resolves once /readyz answers. */
const READY_TIMEOUT_MS = 120_000;

function headTail(out: string): string {
  return out.length <= 4500 ? out : `${out.slice(0, 1500)}\n[…]\n${out.slice(-3000)}`;
}

export async function startInstance(config: Readonly<Config>, name: string, opts: InstanceOptions = {}): Promise<Instance> {
  const dir = mkdtempSync(join(tmpdir(), `shadow-${name}-`));
  const port = await freePort();
  const full = { ...config, http: { ...config.http, port }, clickhouse: { ...config.clickhouse, dataDir: opts.dataDir ?? join(dir, 'data') } };
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(full));
  const child = spawn(process.execPath, [join(REPO, 'bin', 'shadow-compare.js'), 'run', '--config', file, '--log-level', 'info'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KAFKA_BROKERS: config.kafka.brokers.join(','), SHADOW_API_TOKEN: TEST_API_TOKEN, ...opts.env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  if (opts.noWait) return { child, url, output: () => out, exited };
  // A liveness bound, not a timing assertion: generous, and the message shows the start of the log
  // as well as its end (its phases are timed), so a slow start-up says where the time went.
  await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200, READY_TIMEOUT_MS, () => `instance ${name} not ready:\n${headTail(out)}`, exited);
  return { child, url, output: () => out, exited };
}

export async function stopInstance(i: Instance, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (i.child.exitCode !== null) return i.child.exitCode;
  i.child.kill(signal);
  return i.exited;
}

export async function query<T>(url: string, sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_TOKEN}` },
    body: JSON.stringify({ sql, params }),
  });
  const body = (await res.json()) as { rows?: T[]; error?: unknown };
  if (!res.ok || !body.rows) throw new Error(`query failed (${res.status}): ${JSON.stringify(body.error)}`);
  return body.rows;
}

export async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, describe: () => string, abort?: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let aborted = false;
  void abort?.then(() => (aborted = true));
  while (Date.now() < deadline) {
    if (await cond()) return;
    if (aborted) throw new Error(`process exited early: ${describe()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
}
