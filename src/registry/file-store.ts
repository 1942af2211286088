import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ShadowError, errorMessage } from '../errors.ts';
import type { RegistryData } from './types.ts';

// The registry file: one JSON document, replaced atomically (write a temp file, fsync, rename) so a
// reader never sees half a file, under a lock file so two commands never interleave read-modify-write.

const EMPTY: RegistryData = { formatVersion: 1, models: {} };

export function readRegistry(path: string): RegistryData {
  const abs = resolve(path);
  if (!existsSync(abs)) return EMPTY;
  try {
    const data = JSON.parse(readFileSync(abs, 'utf8')) as RegistryData;
    if (data.formatVersion !== 1 || typeof data.models !== 'object') throw new Error(`unknown format ${String(data.formatVersion)}`);
    return data;
  } catch (err) {
    throw new ShadowError('SHADOW_REGISTRY', `registry file ${abs} is unreadable: ${errorMessage(err)}`, { cause: err });
  }
}

export function writeRegistry(path: string, data: RegistryData): void {
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = `${abs}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(data, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, abs);
}

/** Runs `fn` holding `<path>.lock`; a lock left by a dead process is taken over. */
export async function withRegistryLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const lock = `${resolve(path)}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new ShadowError('SHADOW_REGISTRY', `cannot lock ${lock}: ${errorMessage(err)}`, { cause: err });
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (holder && !alive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new ShadowError('SHADOW_REGISTRY', `registry file is locked by process ${holder || '?'} (${lock}); retry when it finishes`, { retryable: true });
      }
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
