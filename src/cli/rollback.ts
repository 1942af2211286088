import { COMMON_HELP, parseFlags, positionalArgs, type Command } from './command.ts';
import { createContext } from './context.ts';
import { audit, recordFlips, where } from './promote.ts';
import { ShadowError } from '../errors.ts';
import { actorName, formatFeatureFlip, formatFlip, modelEntry, openRegistry, rollbackFeatureSchema, rollbackVersion } from '../registry/index.ts';

export const rollbackCommand: Command = {
  help: `Usage: shadow-compare rollback MODEL [--to VERSION] [options]
       shadow-compare rollback MODEL --features [--to SCHEMA_VERSION] [options]

Makes the version that was production before the current one production again (two rollbacks from
v10 go to v9, then v8). The target's artifact is checked first (present, sha256 unchanged, loads in
onnxruntime); a failed check changes nothing (exit 2, SHADOW_REGISTRY). The flag flips first; the
audit row in <database>.promotions follows, and a failure there is a warning, not a failed rollback.

With --features, the feature schema serving uses goes back instead (the model version stays): the
same flag record, published and audited the same way (docs/diagnose.md). The target must be
registered (\`features register\`) and carry every feature the production version reads.

Options:
      --features      roll back the feature schema, not the model
      --to VERSION    an earlier production version (or feature schema) to return to (default: the previous one)
      --reason TEXT   recorded with the rollback
      --actor NAME    recorded as who rolled back (default: OS user)
      --via URL       write the audit row through a running processor (http://HOST:PORT)
      --json          print the result as JSON
${COMMON_HELP}`,
  async run(argv) {
    const started = performance.now();
    const { values, positionals } = parseFlags(argv, {
      to: { type: 'string' }, features: { type: 'boolean', default: false }, reason: { type: 'string' }, actor: { type: 'string' }, via: { type: 'string' }, json: { type: 'boolean', default: false },
    });
    const [model] = positionalArgs(positionals, ['MODEL'], 'shadow-compare rollback MODEL [--to VERSION]');
    const ctx = createContext(values);
    const entry = modelEntry(ctx.config.registry.path, model);
    if (Object.keys(entry.versions).length === 0) {
      throw new ShadowError('SHADOW_REGISTRY', `unknown model "${model}": no version of it is registered in ${ctx.config.registry.path}`);
    }
    if (values.to !== undefined && !values.features && !(values.to in entry.versions)) {
      throw new ShadowError('SHADOW_REGISTRY', `--to ${values.to}: ${model} has no registered version ${values.to} (registered: ${Object.keys(entry.versions).join(', ')})`);
    }
    const reg = await openRegistry(ctx.config);
    let flip;
    try {
      const input = { model, to: values.to, actor: actorName(values.actor), reason: values.reason ?? '' };
      flip = values.features ? await rollbackFeatureSchema(reg, input) : await rollbackVersion(reg, input);
    } finally {
      await reg.close();
    }
    const flippedMs = performance.now() - started;
    const warning = await audit(ctx, values.via, (r) => recordFlips(ctx, r, flip.record.model));
    const totalMs = performance.now() - started;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ rolledBack: true, flip, flippedMs: Math.round(flippedMs), totalMs: Math.round(totalMs), warnings: warning ? [warning] : [] }, null, 2)}\n`);
    } else {
      process.stdout.write(values.features ? formatFeatureFlip(flip, where(ctx)) : formatFlip(flip, where(ctx)));
      process.stdout.write(`  took         ${(flippedMs / 1000).toFixed(2)} s to flip, ${(totalMs / 1000).toFixed(2)} s with the audit row\n`);
    }
    if (warning) process.stderr.write(`warning: ${warning}\n`);
    return 0;
  },
};
