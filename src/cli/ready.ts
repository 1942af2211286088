import { dirname, resolve } from 'node:path';
import { COMMON_HELP, parseFlags, positionalArgs, type Command } from './command.ts';
import { EXIT } from './exit-codes.ts';
import { createContext } from './context.ts';
import { ShadowError } from '../errors.ts';
import { DEFAULT_LATENCY_RUNS, kafkaOptions, measureSingleRequestLatency, modelEntry, readProduction, readinessChecklist, recordLatency } from '../registry/index.ts';
import { latencyRuns } from './register.ts';

/** Measures production and the rollback target where their artifacts still load; a failure is left to the checklist. */
async function refreshLatency(path: string, model: string, runs: number): Promise<void> {
  const entry = modelEntry(path, model);
  const previous = entry.lineage.length >= 2 ? entry.lineage[entry.lineage.length - 2] : undefined;
  const reg = { path, backend: 'file' as const, publisher: null, now: () => new Date() };
  for (const v of [entry.production, previous]) {
    const record = v ? entry.versions[v] : undefined;
    if (!v || !record) continue;
    const latency = await measureSingleRequestLatency(record.artifact.path, { runs }).catch(() => undefined);
    if (latency) await recordLatency(reg, model, v, latency);
  }
}

export const readyCommand: Command = {
  help: `Usage: shadow-compare ready MODEL [options]

Checks, and prints as pass/fail: production recorded; previous production version registered and
loadable (artifact present, sha256 unchanged, loads in onnxruntime); gate thresholds configured
(gate: section); alert thresholds configured (alerts: section); an owner named (owner:); the runbook
file present (runbook:, relative to the config file); with registry.backend: kafka, the flag topic
reachable and agreeing with the registry file; the single-request latency (batch 1, p50/p99) of
production and of the rollback target, measured now on this machine and stored in their records.
A MODEL the registry does not know is an error.
Exit code: 0 all pass (READY), 5 any fails (NOT READY), 2 usage or input error, 1 failure.

Options:
      --json          print as JSON
      --latency-runs N  timed batch-1 runs per version (default ${DEFAULT_LATENCY_RUNS}; 0 = keep what is recorded)
${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean', default: false }, 'latency-runs': { type: 'string' } });
    const [model] = positionalArgs(positionals, ['MODEL'], 'shadow-compare ready MODEL [options]');
    const ctx = createContext(values);
    const runs = latencyRuns(values['latency-runs']);
    if (runs > 0) await refreshLatency(ctx.config.registry.path, model, runs);
    const entry = modelEntry(ctx.config.registry.path, model);
    if (Object.keys(entry.versions).length === 0) {
      throw new ShadowError('SHADOW_REGISTRY', `unknown model "${model}": no version of it is registered in ${ctx.config.registry.path}`);
    }
    const published =
      ctx.config.registry.backend === 'kafka'
        ? await readProduction(model, { ...kafkaOptions(ctx.config), readyTimeoutMs: 15_000 }).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))
        : undefined;
    const items = await readinessChecklist({ model, entry, config: ctx.config, configDir: dirname(resolve(values.config ?? 'shadow-compare.yaml')), published });
    const ok = items.every((i) => i.ok);
    if (values.json) process.stdout.write(`${JSON.stringify({ model, ready: ok, items }, null, 2)}\n`);
    else {
      const width = Math.max(...items.map((i) => i.id.length));
      process.stdout.write(`rollback readiness of ${model}\n`);
      for (const i of items) process.stdout.write(`  ${i.ok ? 'PASS' : 'FAIL'}  ${i.id.padEnd(width)}  ${i.detail}\n`);
      process.stdout.write(ok ? 'READY\n' : `NOT READY: ${items.filter((i) => !i.ok).length} item(s) failing\n`);
    }
    return ok ? EXIT.OK : EXIT.NOT_READY;
  },
};
