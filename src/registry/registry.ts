import { randomUUID } from 'node:crypto';
import { ShadowError } from '../errors.ts';
import { inspectArtifact, verifyArtifact } from './artifact.ts';
import { readRegistry, withRegistryLock, writeRegistry } from './file-store.ts';
import type { FlagPublisher } from '../kafka/registry-topic.ts';
import type { SingleRequestLatency } from './latency.ts';
import type { HistoryEvent, ModelEntry, ProductionRecord, RegistryData, VersionRecord } from './types.ts';

// Registry operations. Each flip runs under the registry file's lock: verify the target artifact,
// publish the flag (Kafka backend; acks = all), then write the file. A failed check or publish leaves
// production as it was.

export interface Registry {
  /** Registry file (versions, production, lineage, history). */
  readonly path: string;
  readonly backend: 'file' | 'kafka';
  /** Required for the kafka backend. */
  readonly publisher: FlagPublisher | null;
  readonly now: () => Date;
}

export interface FlipResult {
  readonly event: HistoryEvent;
  readonly record: VersionRecord;
  readonly published: { readonly topicPartition: number; readonly offset: string } | null;
}

export const EMPTY_MODEL: ModelEntry = { versions: {}, production: null, lineage: [], history: [] };

export function modelEntry(path: string, model: string): ModelEntry {
  return readRegistry(path).models[model] ?? EMPTY_MODEL;
}

export async function registerVersion(
  reg: Registry,
  input: { model: string; version: string; artifactPath: string; featureSchemaVersion: string | null; actor: string; latency?: SingleRequestLatency },
): Promise<{ record: VersionRecord; created: boolean }> {
  const info = await inspectArtifact(input.artifactPath);
  return withRegistryLock(reg.path, async () => {
    const data = readRegistry(reg.path);
    const entry = data.models[input.model] ?? EMPTY_MODEL;
    const existing = entry.versions[input.version];
    if (existing) {
      // Versions are immutable: the same name must always mean the same bytes.
      if (existing.artifact.sha256 === info.sha256) return { record: existing, created: false };
      throw new ShadowError(
        'SHADOW_REGISTRY',
        `${input.model} ${input.version} is already registered with a different artifact (sha256 ${existing.artifact.sha256.slice(0, 12)}…); register the new file as a new version`,
      );
    }
    const record: VersionRecord = {
      model: input.model,
      version: input.version,
      artifact: { path: info.path, sha256: info.sha256, sizeBytes: info.sizeBytes },
      signature: info.signature,
      featureSchemaVersion: input.featureSchemaVersion,
      registeredAt: reg.now().toISOString(),
      registeredBy: input.actor,
      ...(input.latency ? { latency: input.latency } : {}),
    };
    writeRegistry(reg.path, withModel(data, input.model, { ...entry, versions: { ...entry.versions, [input.version]: record } }));
    return { record, created: true };
  });
}

/**
 * Stores a fresh single-request latency in an existing version record. The only field of a record that
 * may change: it describes this machine at a time, not the artifact, which stays immutable.
 */
export async function recordLatency(reg: Registry, model: string, version: string, latency: SingleRequestLatency): Promise<VersionRecord> {
  return withRegistryLock(reg.path, async () => {
    const data = readRegistry(reg.path);
    const entry = data.models[model] ?? EMPTY_MODEL;
    const existing = entry.versions[version];
    if (!existing) throw new ShadowError('SHADOW_REGISTRY', `${model} ${version} is not registered`);
    const record: VersionRecord = { ...existing, latency };
    writeRegistry(reg.path, withModel(data, model, { ...entry, versions: { ...entry.versions, [version]: record } }));
    return record;
  });
}

export async function promoteVersion(
  reg: Registry,
  input: { model: string; version: string; actor: string; reason: string; gateDecisionId?: string; promotionId?: string },
): Promise<FlipResult> {
  return withRegistryLock(reg.path, async () => {
    const data = readRegistry(reg.path);
    const entry = data.models[input.model] ?? EMPTY_MODEL;
    if (entry.production === input.version) {
      throw new ShadowError('SHADOW_REGISTRY', `${input.version} is already the production version of ${input.model}`);
    }
    const lineage = [...entry.lineage, input.version];
    return flip(reg, data, entry, { ...input, action: 'promote', lineage });
  });
}

/**
 * `startedMs`: when the decision to roll back was taken (epoch ms); the event's flipMs is measured from
 * it (the guard's detection-to-flip time). Default: the moment the lock is held.
 */
export async function rollbackVersion(
  reg: Registry,
  input: { model: string; to?: string; actor: string; reason: string; gateDecisionId?: string; startedMs?: number; expectProduction?: string },
): Promise<FlipResult> {
  return withRegistryLock(reg.path, async () => {
    const data = readRegistry(reg.path);
    const entry = data.models[input.model] ?? EMPTY_MODEL;
    if (!entry.production) throw new ShadowError('SHADOW_REGISTRY', `${input.model} has no production version to roll back from`);
    // An automatic rollback decided on one production version must not undo a newer one a human promoted meanwhile.
    if (input.expectProduction !== undefined && entry.production !== input.expectProduction) {
      throw new ShadowError('SHADOW_REGISTRY', `${input.model}: production is ${entry.production}, not ${input.expectProduction}; rollback not applied`);
    }
    const earlier = entry.lineage.slice(0, -1);
    const index = input.to === undefined ? earlier.length - 1 : earlier.lastIndexOf(input.to);
    if (index < 0) {
      throw new ShadowError(
        'SHADOW_REGISTRY',
        input.to === undefined
          ? `${input.model} has no previous production version (production ${entry.production} is the first)`
          : `${input.to} was not a production version of ${input.model} before ${entry.production} (lineage: ${entry.lineage.join(' -> ')})`,
      );
    }
    const version = earlier[index] as string;
    const { expectProduction: _, ...fields } = input;
    return flip(reg, data, entry, { ...fields, version, action: 'rollback', lineage: earlier.slice(0, index + 1) });
  });
}

async function flip(
  reg: Registry,
  data: RegistryData,
  entry: ModelEntry,
  f: { model: string; version: string; actor: string; reason: string; action: 'promote' | 'rollback'; lineage: string[]; gateDecisionId?: string; promotionId?: string; startedMs?: number },
): Promise<FlipResult> {
  const record = entry.versions[f.version];
  if (!record) {
    throw new ShadowError('SHADOW_REGISTRY', `${f.model} ${f.version} is not registered; run \`shadow-compare register ${f.model} ${f.version} ARTIFACT\` first`);
  }
  await verifyArtifact(`${f.model} ${f.version}`, record.artifact);
  const { startedMs, ...fields } = f;
  const event = historyEvent(reg, entry, { ...fields, from: entry.production, to: f.version });
  // A promote or rollback ends any canary: all traffic goes to the new production version.
  return publishAndWrite(reg, data, f.model, { ...entry, production: f.version, lineage: f.lineage, canary: null }, event, startedMs);
}

/** A history event stamped now; `flipMs` is filled in once the flag has flipped. */
export function historyEvent(
  reg: Registry,
  entry: ModelEntry,
  f: { action: HistoryEvent['action']; from: string | null; to: string; actor: string; reason: string; gateDecisionId?: string; promotionId?: string; weight?: number },
): HistoryEvent {
  return {
    promotionId: f.promotionId ?? randomUUID(),
    action: f.action,
    from: f.from,
    to: f.to,
    at: reg.now().toISOString(),
    actor: f.actor,
    reason: f.reason,
    gateDecisionId: f.gateDecisionId ?? null,
    ...(f.weight === undefined ? {} : { weight: f.weight }),
  };
}

/**
 * Publishes the flag for `next` (Kafka backend; acks = all), then writes the registry file with the
 * event appended. The production record carries the canary, so serving code sees both in one record.
 */
export async function publishAndWrite(reg: Registry, data: RegistryData, model: string, next: ModelEntry, event: HistoryEvent, startedMs?: number): Promise<FlipResult> {
  const production = next.production ? next.versions[next.production] : undefined;
  if (!production) throw new ShadowError('SHADOW_REGISTRY', `${model} has no production version`);
  const started = startedMs ?? reg.now().getTime();
  let published: FlipResult['published'] = null;
  if (reg.backend === 'kafka') {
    if (!reg.publisher) throw new ShadowError('SHADOW_INTERNAL', 'registry backend kafka without a publisher');
    const p = await reg.publisher.publish(productionRecord(production, event, next));
    published = { topicPartition: p.partition, offset: p.offset };
  }
  const stamped: HistoryEvent = { ...event, flipMs: Math.max(0, reg.now().getTime() - started) };
  writeRegistry(reg.path, withModel(data, model, { ...next, history: [...next.history, stamped] }));
  return { event: stamped, record: next.versions[event.to] ?? production, published };
}

export function productionRecord(record: VersionRecord, event: HistoryEvent, entry?: ModelEntry): ProductionRecord {
  const c = entry?.canary;
  const canaryRecord = c ? entry?.versions[c.version] : undefined;
  return {
    model: record.model,
    version: record.version,
    artifact: record.artifact,
    // The feature schema serving should use: the promoted one (rollback --features flips it), else the pin.
    featureSchemaVersion: entry?.featureSchemaProduction ?? record.featureSchemaVersion,
    action: event.action,
    previous: event.from,
    at: event.at,
    actor: event.actor,
    promotionId: event.promotionId,
    canary: c && canaryRecord && c.weight > 0 ? { version: c.version, weight: c.weight, artifact: canaryRecord.artifact } : null,
  };
}

export function withModel(data: RegistryData, model: string, entry: ModelEntry): RegistryData {
  return { ...data, models: { ...data.models, [model]: entry } };
}
