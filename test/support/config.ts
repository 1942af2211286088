import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.ts';

export const REPO = join(import.meta.dirname, '..', '..');

/** The repo's demo config with per-test overrides (a fresh data directory unless given). */
export function testConfig(overrides: Record<string, unknown> = {}, env: Record<string, string | undefined> = {}): Readonly<Config> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shadow-test-'));
  return loadConfig(join(REPO, 'shadow-compare.yaml'), env, { clickhouse: { dataDir }, ...overrides });
}
