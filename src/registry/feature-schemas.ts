import { ShadowError } from '../errors.ts';
import { readRegistry, withRegistryLock, writeRegistry } from './file-store.ts';
import { EMPTY_MODEL, historyEvent, publishAndWrite, withModel, type FlipResult, type Registry } from './registry.ts';
import type { FeatureSchemaRecord, FeatureSpecRecord, ModelEntry } from './types.ts';

// Feature schema versions (issue 15): a model's feature list with types and expected ranges, and which
// version serving uses. That choice is a field of the same production flag record as the model version,
// flipped under the same lock, published the same way (watchProduction sees it) and audited in the same
// history, so rolling back the features is one command and leaves the model alone.

export async function registerFeatureSchema(
  reg: Registry,
  input: { model: string; version: string; features: readonly FeatureSpecRecord[]; transformation?: string | null; actor: string },
): Promise<{ record: FeatureSchemaRecord; created: boolean }> {
  checkFeatures(input.features);
  return withRegistryLock(reg.path, async () => {
    const data = readRegistry(reg.path);
    const entry = data.models[input.model] ?? EMPTY_MODEL;
    const existing = entry.featureSchemas?.[input.version];
    if (existing) {
      // Immutable like model versions: the same name must always mean the same features.
      if (JSON.stringify(existing.features) === JSON.stringify(input.features)) return { record: existing, created: false };
      throw new ShadowError('SHADOW_REGISTRY', `${input.model} feature schema ${input.version} is already registered with other features; register the change as a new version`);
    }
    const record: FeatureSchemaRecord = {
      model: input.model, version: input.version, features: input.features, transformation: input.transformation ?? null, registeredAt: reg.now().toISOString(), registeredBy: input.actor,
    };
    writeRegistry(reg.path, withModel(data, input.model, { ...entry, featureSchemas: { ...entry.featureSchemas, [input.version]: record } }));
    return { record, created: true };
  });
}

/** Makes `version` the feature schema serving uses (the model version stays). */
export async function promoteFeatureSchema(reg: Registry, input: { model: string; version: string; actor: string; reason: string }): Promise<FlipResult> {
  return withRegistryLock(reg.path, async () => {
    const data = readRegistry(reg.path);
    const entry = data.models[input.model] ?? EMPTY_MODEL;
    const current = servingFeatureSchema(entry);
    if (current === input.version) throw new ShadowError('SHADOW_REGISTRY', `feature schema ${input.version} is already what ${input.model} serves with`);
    const lineage = [...lineageOf(entry), input.version];
    return flipFeatures(reg, data, entry, { ...input, action: 'features-promote', from: current, lineage });
  });
}

/** Returns serving to the feature schema used before the current one (or `to`, further back). */
export async function rollbackFeatureSchema(reg: Registry, input: { model: string; to?: string; actor: string; reason: string }): Promise<FlipResult> {
  return withRegistryLock(reg.path, async () => {
    const data = readRegistry(reg.path);
    const entry = data.models[input.model] ?? EMPTY_MODEL;
    const lineage = lineageOf(entry);
    const earlier = lineage.slice(0, -1);
    const index = input.to === undefined ? earlier.length - 1 : earlier.lastIndexOf(input.to);
    if (index < 0) {
      throw new ShadowError(
        'SHADOW_REGISTRY',
        input.to === undefined
          ? `${input.model} has no previous feature schema to roll back to (lineage: ${lineage.join(' -> ') || 'empty'})`
          : `feature schema ${input.to} was not used by ${input.model} before ${lineage.at(-1)} (lineage: ${lineage.join(' -> ')})`,
      );
    }
    const version = earlier[index] as string;
    return flipFeatures(reg, data, entry, { ...input, version, action: 'features-rollback', from: servingFeatureSchema(entry), lineage: earlier.slice(0, index + 1) });
  });
}

async function flipFeatures(
  reg: Registry,
  data: ReturnType<typeof readRegistry>,
  entry: ModelEntry,
  f: { model: string; version: string; actor: string; reason: string; action: 'features-promote' | 'features-rollback'; from: string | null; lineage: string[] },
): Promise<FlipResult> {
  const problem = deployProblem(entry, f.version);
  if (problem) throw new ShadowError('SHADOW_REGISTRY', `${f.model}: ${problem}`);
  const event = historyEvent(reg, entry, { action: f.action, from: f.from, to: f.version, actor: f.actor, reason: f.reason });
  return publishAndWrite(reg, data, f.model, { ...entry, featureSchemaProduction: f.version, featureSchemaLineage: f.lineage }, event);
}

/** The feature schema serving uses: the promoted one, else the production version's pin. */
export function servingFeatureSchema(entry: ModelEntry): string | null {
  if (entry.featureSchemaProduction) return entry.featureSchemaProduction;
  const prod = entry.production ? entry.versions[entry.production] : undefined;
  return prod?.featureSchemaVersion ?? null;
}

/** The feature schema the current one replaced (what `rollback --features` returns to), if any. */
export function previousFeatureSchema(entry: ModelEntry): string | null {
  const l = lineageOf(entry);
  return l.length >= 2 ? (l[l.length - 2] as string) : null;
}

/**
 * Why `version` cannot be served now, or null: it must be registered, and every input of the production
 * model (its pinned schema's features) must be in it, so the model still gets what it reads.
 */
export function deployProblem(entry: ModelEntry, version: string): string | null {
  const schema = entry.featureSchemas?.[version];
  if (!schema) return `feature schema ${version} is not registered (registered: ${Object.keys(entry.featureSchemas ?? {}).join(', ') || 'none'})`;
  if (!entry.production) return `no production version to serve feature schema ${version} with`;
  const pin = entry.versions[entry.production]?.featureSchemaVersion;
  const pinned = pin ? entry.featureSchemas?.[pin] : undefined;
  if (pinned) {
    const have = new Set(schema.features.map((x) => x.name));
    const missing = pinned.features.map((x) => x.name).filter((n) => !have.has(n));
    if (missing.length) return `feature schema ${version} lacks ${missing.join(', ')}, which production ${entry.production} reads (pinned to ${pin})`;
  }
  return null;
}

/**
 * `promote` refuses a version pinned to another feature schema than the one serving uses: the model would
 * receive features it was not built for. Null when fine (no schema known on either side counts as fine).
 */
export function pinMismatch(entry: ModelEntry, version: string): string | null {
  const pin = entry.versions[version]?.featureSchemaVersion ?? null;
  const serving = servingFeatureSchema(entry);
  if (pin === null || serving === null || pin === serving) return null;
  return `${version} is pinned to feature schema ${pin}, but production serves feature schema ${serving}; promote the features first (promote --features ${pin}) or pass --allow-feature-schema-change`;
}

function lineageOf(entry: ModelEntry): readonly string[] {
  if (entry.featureSchemaLineage && entry.featureSchemaLineage.length > 0) return entry.featureSchemaLineage;
  // Before the first feature flip, the lineage starts at the production version's pin.
  const pin = servingFeatureSchema(entry);
  return pin ? [pin] : [];
}

function checkFeatures(features: readonly FeatureSpecRecord[]): void {
  if (features.length === 0) throw new ShadowError('SHADOW_INPUT', 'a feature schema needs at least one feature');
  const seen = new Set<string>();
  for (const f of features) {
    if (seen.has(f.name)) throw new ShadowError('SHADOW_INPUT', `feature ${f.name} is listed twice`);
    seen.add(f.name);
    if (f.type === 'numeric' && f.min !== undefined && f.max !== undefined && !(f.max > f.min)) throw new ShadowError('SHADOW_INPUT', `feature ${f.name}: max must be greater than min`);
  }
}

/** Terminal lines of a feature-schema flip (the model version did not change). */
export function formatFeatureFlip(flip: FlipResult, where: { backend: 'file' | 'kafka'; path: string; topic: string }): string {
  const e = flip.event;
  const dest = where.backend === 'kafka' && flip.published ? `published to ${where.topic} (partition ${flip.published.topicPartition}, offset ${flip.published.offset}); registry file ${where.path}` : `registry file ${where.path}`;
  return (
    `${e.action === 'features-promote' ? 'promoted' : 'rolled back'} the feature schema of ${flip.record.model}: ${e.from ?? '(none)'} -> ${e.to}\n` +
    `  model        ${flip.record.version} (unchanged)\n` +
    `  flag         ${dest}\n` +
    `  promotion id ${e.promotionId}\n` +
    `  by           ${e.actor} at ${e.at}${e.reason ? ` — ${e.reason}` : ''}\n`
  );
}

/**
 * Readiness (issue 15): `rollback --features` must have somewhere to go. Null when the model has no
 * registered feature schema (nothing to check, and older registries stay READY as they were).
 */
export function featureSchemaReadiness(entry: ModelEntry): { id: string; ok: boolean; detail: string } | null {
  if (!entry.featureSchemas || Object.keys(entry.featureSchemas).length === 0) return null;
  const serving = servingFeatureSchema(entry);
  const previous = previousFeatureSchema(entry);
  if (previous === null) return { id: 'previous_feature_schema', ok: true, detail: `serving feature schema ${serving ?? '(none)'}; no earlier one to roll back to yet` };
  const problem = deployProblem(entry, previous);
  return problem
    ? { id: 'previous_feature_schema', ok: false, detail: problem }
    : { id: 'previous_feature_schema', ok: true, detail: `${previous}: registered, carries every feature production ${entry.production ?? ''} reads (serving ${serving})` };
}
