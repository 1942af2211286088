import { ShadowError } from '../errors.ts';
import { loadGateSql } from '../gate/index.ts';
import type { QueryRunner } from '../query/index.ts';
import { modelEntry } from '../registry/index.ts';

export interface VersionRef {
  readonly model: string;
  readonly version: string;
  /** How the user named the version, for the message: `--candidate` or `VERSION`. */
  readonly label: string;
}

/**
 * A version is known when it is registered, is the config's candidate, or has ever been shadowed
 * (rows in stats_1m). Anything else is a typo: judging it would find no data and say HOLD, which
 * reads as "wait" when the answer is "no such version".
 */
export async function ensureKnownVersion(
  runner: QueryRunner,
  opts: { database: string; registryPath: string; configured: { model: string; version: string } },
  ref: VersionRef,
): Promise<void> {
  const entry = modelEntry(opts.registryPath, ref.model);
  if (ref.version in entry.versions) return;
  if (ref.model === opts.configured.model && ref.version === opts.configured.version) return;
  const rows = await runner.query<{ version: string }>(loadGateSql('known_versions', opts.database), { model: ref.model });
  const shadowed = rows.map((r) => r.version);
  if (shadowed.includes(ref.version)) return;
  const known = [...new Set([...Object.keys(entry.versions), ...shadowed])].sort();
  if (known.length === 0 && ref.model !== opts.configured.model) {
    throw new ShadowError('SHADOW_INPUT', `unknown model "${ref.model}": not in the registry (${opts.registryPath}) and never shadowed`);
  }
  throw new ShadowError(
    'SHADOW_INPUT',
    `${ref.label} ${ref.version}: ${ref.model} has no such version: not registered in ${opts.registryPath} and never shadowed (known: ${known.join(', ') || 'none'})`,
  );
}
