// A registry whose production flag lives on a real broker (a fresh compacted topic per file), with the
// fixture models registered and one of them in production: the set-up the registry tests share.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFlagPublisher, promoteVersion, registerVersion, watchProduction, type FlagPublisher, type ProductionRecord, type ProductionWatch, type Registry } from '../../src/registry/index.ts';
import { REPO } from './config.ts';
import { uniqueName, useKafka } from './kafka.ts';

export const MODELS = {
  v9: join(REPO, 'fixtures/models/diagnosis/v9.onnx'),
  v10: join(REPO, 'fixtures/models/diagnosis/v10.onnx'),
} as const;

export interface BrokerRegistry {
  readonly brokers: string[];
  readonly topic: string;
  readonly dir: string;
  readonly publisher: FlagPublisher;
  readonly reg: Registry;
  /** A watchProduction subscriber pushing every record it sees into `seen`; stopped by close(). */
  watch(model: string, seen: ProductionRecord[]): Promise<ProductionWatch>;
  close(): Promise<void>;
}

export interface BrokerRegistryOptions {
  /** Prefix of the flag topic and temp directory. */
  readonly name: string;
  /** Feature schema pinned per version (default '1' for both). */
  readonly featureSchemas?: Partial<Record<keyof typeof MODELS, string>>;
  readonly actor?: string;
}

/** v9 and v10 of the diagnosis model registered, v9 promoted. */
export async function openBrokerRegistry(o: BrokerRegistryOptions): Promise<BrokerRegistry> {
  const actor = o.actor ?? 'tester';
  const brokers = (await useKafka()).split(',');
  const topic = uniqueName(o.name);
  const dir = mkdtempSync(join(tmpdir(), `shadow-${o.name}-`));
  const publisher = await createFlagPublisher({ brokers, topic }, 10_000);
  const reg: Registry = { path: join(dir, 'registry.json'), backend: 'kafka', publisher, now: () => new Date() };
  for (const [version, path] of Object.entries(MODELS)) {
    const featureSchemaVersion = o.featureSchemas?.[version as keyof typeof MODELS] ?? '1';
    await registerVersion(reg, { model: 'diagnosis', version, artifactPath: path, featureSchemaVersion, actor });
  }
  await promoteVersion(reg, { model: 'diagnosis', version: 'v9', actor, reason: 'initial' });
  const watches: ProductionWatch[] = [];
  return {
    brokers,
    topic,
    dir,
    publisher,
    reg,
    async watch(model, seen) {
      const w = await watchProduction(model, (r) => seen.push(r), { brokers, topic });
      watches.push(w);
      return w;
    },
    async close() {
      for (const w of watches) await w.stop();
      await publisher.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it holds; throws naming `what` after `timeoutMs` (generous: busy machines). */
export async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
