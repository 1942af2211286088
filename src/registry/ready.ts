import { featureSchemaReadiness } from './feature-schemas.ts';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/index.ts';
import { errorMessage } from '../errors.ts';
import { verifyArtifact } from './artifact.ts';
import { formatLatency } from './format.ts';
import type { ModelEntry, ProductionRecord } from './types.ts';

// The rollback-readiness checklist behind `shadow-compare ready M`. Every item is checked, none assumed.

export interface ReadinessItem {
  readonly id: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ReadinessInput {
  readonly model: string;
  readonly entry: ModelEntry;
  readonly config: Readonly<Config>;
  /** Directory of the config file: a relative `runbook` path is read from there. */
  readonly configDir: string;
  /** Kafka backend only: what the flag topic says (undefined = not checked, Error = unreachable). */
  readonly published?: ProductionRecord | null | Error;
}

export async function readinessChecklist(input: ReadinessInput): Promise<ReadinessItem[]> {
  const { entry, config, model } = input;
  const items: ReadinessItem[] = [];
  const previous = entry.lineage.length >= 2 ? (entry.lineage[entry.lineage.length - 2] as string) : null;
  items.push({
    id: 'production_recorded',
    ok: entry.production !== null,
    detail: entry.production ? `production is ${entry.production}` : `${model} has no production version in the registry`,
  });
  const prevRecord = previous ? entry.versions[previous] : undefined;
  items.push({
    id: 'previous_registered',
    ok: prevRecord !== undefined,
    detail: previous
      ? prevRecord ? `rollback target ${previous} is registered (${prevRecord.artifact.path})` : `rollback target ${previous} is not registered`
      : 'no previous production version: rollback has nowhere to go',
  });
  let loadable: ReadinessItem = { id: 'previous_loadable', ok: false, detail: 'no previous version to check' };
  if (prevRecord) {
    try {
      await verifyArtifact(`${model} ${previous}`, prevRecord.artifact);
      loadable = { id: 'previous_loadable', ok: true, detail: `${previous}: artifact present, sha256 unchanged, loads in onnxruntime` };
    } catch (err) {
      loadable = { id: 'previous_loadable', ok: false, detail: errorMessage(err) };
    }
  }
  items.push(loadable);
  items.push({
    id: 'gate_thresholds',
    ok: config.gate !== undefined,
    detail: config.gate ? `gate: agreement >= ${config.gate.agreement.min}, window ${config.gate.window} judged per ${config.gate.subWindow}` : 'no `gate:` section in the config (defaults are not a reviewed choice)',
  });
  // Alert rules are provisioned to Grafana from a file generated with the gate's thresholds.
  const rules = config.alerts ? (isAbsolute(config.alerts.rulesFile) ? config.alerts.rulesFile : resolve(input.configDir, config.alerts.rulesFile)) : null;
  items.push({
    id: 'alert_thresholds',
    ok: rules !== null && existsSync(rules),
    detail: rules === null ? 'no `alerts.rulesFile` in the config' : existsSync(rules) ? `alert rules ${rules}` : `alert rules ${rules} do not exist`,
  });
  items.push({ id: 'owner', ok: Boolean(config.owner?.trim()), detail: config.owner?.trim() ? `owner: ${config.owner}` : 'no `owner:` in the config' });
  const runbook = config.runbook ? (isAbsolute(config.runbook) ? config.runbook : resolve(input.configDir, config.runbook)) : null;
  items.push({
    id: 'runbook',
    ok: runbook !== null && existsSync(runbook),
    detail: runbook === null ? 'no `runbook:` in the config' : existsSync(runbook) ? `runbook ${runbook}` : `runbook ${runbook} does not exist`,
  });
  items.push(latencyItem(entry, previous));
  const features = featureSchemaReadiness(entry);
  if (features) items.push(features);
  if (input.published !== undefined) items.push(flagItem(input.published, entry));
  return items;
}

/** The batch-1 latency of production (and of the rollback target, when there is one) is on record. */
function latencyItem(entry: ModelEntry, previous: string | null): ReadinessItem {
  const versions = [entry.production, previous].filter((v): v is string => v !== null);
  const parts = versions.map((v) => {
    const l = entry.versions[v]?.latency;
    return l ? `${v} ${formatLatency(l)}` : `${v} not measured`;
  });
  const ok = versions.length > 0 && versions.every((v) => entry.versions[v]?.latency !== undefined);
  return { id: 'single_request_latency', ok, detail: parts.length ? parts.join('; ') : 'no production version to measure' };
}

function flagItem(published: ProductionRecord | null | Error, entry: ModelEntry): ReadinessItem {
  if (published instanceof Error) return { id: 'flag_topic', ok: false, detail: `flag topic unreachable: ${published.message}` };
  const version = published?.version ?? null;
  return {
    id: 'flag_topic',
    ok: version === entry.production,
    detail: version === entry.production ? `flag topic says ${version ?? '(none)'}, as the registry file` : `flag topic says ${version ?? '(none)'}, registry file says ${entry.production ?? '(none)'}`,
  };
}
