import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { COMMON_HELP, parseFlags, positionalArgs, type Command } from './command.ts';
import { createContext } from './context.ts';
import { audit, recordFlips, where } from './promote.ts';
import { formatIssues } from '../config/index.ts';
import { ShadowError, errorMessage } from '../errors.ts';
import { actorName, formatFeatureFlip, openRegistry, promoteFeatureSchema, registerFeatureSchema } from '../registry/index.ts';

const FeatureFile = z
  .object({
    transformation: z.string().optional(),
    features: z
      .array(
        z
          .object({ name: z.string().min(1), type: z.enum(['numeric', 'categorical']), min: z.number().optional(), max: z.number().optional(), values: z.array(z.string()).optional() })
          .strict(),
      )
      .min(1),
  })
  .strict();

export const featuresCommand: Command = {
  help: `Usage: shadow-compare features register MODEL SCHEMA_VERSION FILE.json [options]
       shadow-compare features promote MODEL SCHEMA_VERSION [--reason TEXT] [options]

Feature schema versions of a model (docs/diagnose.md, docs/registry.md). \`register\` records a version's
feature list from FILE.json: {"transformation"?: "...", "features": [{"name", "type": "numeric"|"categorical",
"min"?, "max"?, "values"?}]}; versions are immutable. \`promote\` makes it the feature schema serving uses:
the production flag record's featureSchemaVersion flips (watchProduction sees it), the model stays, and
the flip is audited in <database>.promotions. \`rollback MODEL --features\` goes back.

Options:
      --reason TEXT   recorded with the flip
      --actor NAME    recorded as who did it (default: OS user)
      --via URL       write the audit row through a running processor (http://HOST:PORT)
${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { reason: { type: 'string' }, actor: { type: 'string' }, via: { type: 'string' } });
    const [sub, ...rest] = positionals;
    if (sub === 'register') {
      const [model, version, file] = positionalArgs(rest, ['MODEL', 'SCHEMA_VERSION', 'FILE.json'], 'shadow-compare features register MODEL SCHEMA_VERSION FILE.json');
      const parsed = FeatureFile.safeParse(readJson(file));
      if (!parsed.success) throw new ShadowError('SHADOW_INPUT', formatIssues(parsed.error, `FILE.json ${file}`));
      const ctx = createContext(values);
      const reg = { path: ctx.config.registry.path, backend: 'file' as const, publisher: null, now: () => new Date() };
      const { record, created } = await registerFeatureSchema(reg, { model, version, features: parsed.data.features, transformation: parsed.data.transformation ?? null, actor: actorName(values.actor) });
      process.stdout.write(`${created ? 'registered' : 'already registered'} ${model} feature schema ${version}: ${record.features.map((f) => f.name).join(', ')}\n`);
      return 0;
    }
    if (sub === 'promote') {
      const [model, version] = positionalArgs(rest, ['MODEL', 'SCHEMA_VERSION'], 'shadow-compare features promote MODEL SCHEMA_VERSION');
      const ctx = createContext(values);
      const reg = await openRegistry(ctx.config);
      let flip;
      try {
        flip = await promoteFeatureSchema(reg, { model, version, actor: actorName(values.actor), reason: values.reason ?? '' });
      } finally {
        await reg.close();
      }
      const warning = await audit(ctx, values.via, (r) => recordFlips(ctx, r, model));
      process.stdout.write(formatFeatureFlip(flip, where(ctx)));
      if (warning) process.stderr.write(`warning: ${warning}\n`);
      return 0;
    }
    throw new ShadowError('SHADOW_CONFIG', `features: expected a subcommand, register or promote, got ${sub === undefined ? 'none' : `"${sub}"`}`);
  },
};

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ShadowError('SHADOW_INPUT', `FILE.json ${file}: ${errorMessage(err)}`);
  }
}
