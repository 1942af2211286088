import { ShadowError } from '../errors.ts';
import type { QueryRunner } from '../query/index.ts';
import { promotionRow } from './audit.ts';
import { modelEntry } from './registry.ts';

/**
 * Copies a model's promotion and rollback history from the registry file into `promotions`, skipping
 * events already there. The registry is what `promote` and `rollback` write under their lock, so the
 * audit table can be filled by a process that holds the store (`run`) without accepting rows from the
 * network. Returns how many events were added.
 */
export async function syncPromotions(runner: QueryRunner, opts: { registryPath: string; database: string; backend: string; model: string }): Promise<number> {
  const entry = modelEntry(opts.registryPath, opts.model);
  if (Object.keys(entry.versions).length === 0) {
    throw new ShadowError('SHADOW_SINK_DATA', `model "${opts.model}" is not in the registry at ${opts.registryPath}`);
  }
  const seen = await runner.query<{ id: string }>(
    `SELECT toString(promotion_id) AS id FROM ${opts.database}.promotions WHERE model = {model:String}`,
    { model: opts.model },
  );
  const known = new Set(seen.map((r) => r.id));
  const rows = entry.history
    .filter((e) => !known.has(e.promotionId))
    .flatMap((event) => {
      // A feature-schema flip names schema versions; its row carries the production model's artifact.
      const record = entry.versions[event.to] ?? (event.action.startsWith('features-') && entry.production ? entry.versions[entry.production] : undefined);
      return record ? [promotionRow({ event, record, published: null }, opts.backend)] : [];
    });
  if (rows.length > 0) await runner.insert('promotions', rows);
  return rows.length;
}
