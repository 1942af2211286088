import { existsSync } from 'node:fs';
import type { Config } from '../config/index.ts';
import { modelEntry } from '../registry/index.ts';

/**
 * Which artifact reproduces the primary for the noise floor: primary.path, else the registry's
 * production artifact of this model, else none. `reproduce: false` turns it off.
 */
export function primaryArtifact(config: Readonly<Config>): { path: string; source: 'config' | 'registry' } | null {
  if (!config.primary.reproduce) return null;
  if (config.primary.path) return { path: config.primary.path, source: 'config' };
  if (!existsSync(config.registry.path)) return null;
  const entry = modelEntry(config.registry.path, config.model);
  const record = entry.production ? entry.versions[entry.production] : undefined;
  return record ? { path: record.artifact.path, source: 'registry' } : null;
}
