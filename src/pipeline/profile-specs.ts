import { existsSync } from 'node:fs';
import type { Config } from '../config/index.ts';
import type { FeatureSpec } from '../profiles/index.ts';
import { modelEntry } from '../registry/index.ts';

/**
 * Bins of the profiles (issue 15): the expected ranges and categories of the candidate's pinned feature
 * schema in the registry (`features register`), overridden per feature by `profiles.specs`. Schema
 * versions are immutable, so a restart rebuilds the same cells for the same records (the block tokens
 * need that); a schema registered while the processor runs applies from its next start.
 */
export function profileSpecs(config: Readonly<Config>): Record<string, FeatureSpec> {
  const fromRegistry: Record<string, FeatureSpec> = {};
  if (existsSync(config.registry.path)) {
    const schema = modelEntry(config.registry.path, config.model).featureSchemas?.[config.candidate.featureSchemaVersion];
    for (const f of schema?.features ?? []) {
      if (f.type === 'categorical' && f.values?.length) fromRegistry[f.name] = { values: f.values };
      else if (f.type === 'numeric' && f.min !== undefined && f.max !== undefined && f.max > f.min) fromRegistry[f.name] = { min: f.min, max: f.max };
    }
  }
  return { ...fromRegistry, ...config.profiles.specs };
}
