import type { Config } from '../config/index.ts';
import type { ModelEntry } from '../registry/types.ts';

// Reverse shadow: with the guard on, the version the processor scores as its candidate is the one the
// last promotion demoted (the previous entry of the registry's lineage), so the old model keeps being
// compared with the new primary's outputs and a rollback decision has data. Same inputs and outputs as
// the configured candidate (features, inputName, outputs): versions of one model share a signature.

/** The demoted version and its artifact, or null when the guard is off or nothing was demoted. */
export function demotedVersion(config: Readonly<Config>, entry: ModelEntry): { version: string; path: string } | null {
  if (!config.guard.enabled || !entry.production) return null;
  const previous = entry.lineage.at(-2);
  const record = previous ? entry.versions[previous] : undefined;
  return previous && record ? { version: previous, path: record.artifact.path } : null;
}

/** The config with its candidate swapped for the demoted version (unchanged when there is none). */
export function withGuardCandidate(config: Readonly<Config>, entry: ModelEntry): Readonly<Config> {
  const demoted = demotedVersion(config, entry);
  if (!demoted) return config;
  return Object.freeze({ ...config, candidate: { ...config.candidate, version: demoted.version, path: demoted.path } });
}
