// Runs a bench worker (bench/workers/*.ts) in its own process, so each measurement has a fresh heap
// and JIT and its CPU is its own. A worker prints one line `BENCH_RESULT <json>` before it exits.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './instance.ts';

export interface WorkerRun<T> {
  result: T;
  pid: number;
  output: string;
}

export interface WorkerOptions {
  readonly nodeArgs?: readonly string[];
  readonly env?: Record<string, string>;
  /** Called once the process is spawned (e.g. to sample its CPU from outside). */
  readonly onSpawn?: (pid: number) => void;
  readonly timeoutMs?: number;
}

export function runWorker<T>(name: string, args: unknown, opts: WorkerOptions = {}): Promise<WorkerRun<T>> {
  const file = join(REPO, 'bench', 'workers', `${name}.ts`);
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', file, JSON.stringify(args)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  opts.onSpawn?.(child.pid!);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code !== 0 || !line) return reject(new Error(`worker ${name} exited with ${code}:\n${out.slice(-3000)}`));
      resolve({ result: JSON.parse(line.slice('BENCH_RESULT '.length)) as T, pid: child.pid!, output: out });
    });
  });
}

/** For workers: their JSON arguments, and the way to hand back a result. */
export function workerArgs<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

export function workerResult(result: unknown): void {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}
