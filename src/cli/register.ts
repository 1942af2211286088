import { COMMON_HELP, parseFlags, positionalArgs, type Command } from './command.ts';
import { createContext } from './context.ts';
import { ShadowError, errorMessage } from '../errors.ts';
import { DEFAULT_LATENCY_RUNS, actorName, formatLatency, inspectArtifact, measureSingleRequestLatency, registerVersion, type TensorSpec } from '../registry/index.ts';

export const registerCommand: Command = {
  help: `Usage: shadow-compare register MODEL VERSION ARTIFACT [options]

Hashes ARTIFACT, loads it in onnxruntime to read its input/output signature, and records the version
in the registry file (registry.path). Registering the same version with the same file again is a
no-op; with a different file it is refused (versions are immutable).

Also measures the artifact's single-request latency on this machine (batch 1, p50/p99 over
--latency-runs session.run calls, 1 intra-op thread as the processor runs it) and stores it in the
record; \`gate\` prints it beside the primary's.

Options:
      --feature-schema N   feature schema version the model expects
      --latency-runs N     timed batch-1 runs (default ${DEFAULT_LATENCY_RUNS}; 0 = do not measure)
      --actor NAME         recorded as who registered (default: OS user)
${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { 'feature-schema': { type: 'string' }, actor: { type: 'string' }, 'latency-runs': { type: 'string' } });
    const [model, version, artifactPath] = positionalArgs(positionals, ['MODEL', 'VERSION', 'ARTIFACT'], 'shadow-compare register MODEL VERSION ARTIFACT [--feature-schema N]');
    const ctx = createContext(values);
    const reg = { path: ctx.config.registry.path, backend: 'file' as const, publisher: null, now: () => new Date() };
    const runs = latencyRuns(values['latency-runs']);
    await inspectArtifact(artifactPath); // a missing or unreadable artifact is the error, before any timing
    // A model this tool cannot time (several inputs, strings) is still registrable: it just has no latency.
    const latency = runs === 0 ? undefined : await measureSingleRequestLatency(artifactPath, { runs }).catch((err: unknown) => {
      process.stderr.write(`warning: single-request latency not measured: ${errorMessage(err)}\n`);
      return undefined;
    });
    const { record, created } = await registerVersion(reg, {
      model,
      version,
      artifactPath,
      featureSchemaVersion: values['feature-schema'] ?? null,
      actor: actorName(values.actor),
      ...(latency ? { latency } : {}),
    });
    const a = record.artifact;
    process.stdout.write(
      `${created ? 'registered' : 'already registered'} ${model} ${version}\n` +
        `  artifact        ${a.path}\n` +
        `  sha256          ${a.sha256}\n` +
        `  size            ${a.sizeBytes} bytes\n` +
        `  inputs          ${record.signature.inputs.map(tensor).join(', ')}\n` +
        `  outputs         ${record.signature.outputs.map(tensor).join(', ')}\n` +
        `  feature schema  ${record.featureSchemaVersion ?? '(not given)'}\n` +
        `  latency         ${record.latency ? formatLatency(record.latency) : '(not measured)'}\n` +
        `  registered      ${record.registeredAt} by ${record.registeredBy}\n` +
        `  registry        ${ctx.config.registry.path}\n`,
    );
    return 0;
  },
};

export function latencyRuns(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LATENCY_RUNS;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new ShadowError('SHADOW_CONFIG', `--latency-runs: expected a whole number >= 0, got ${text}`);
  return n;
}

function tensor(t: TensorSpec): string {
  return `${t.name} ${t.type}[${t.shape.map((d) => d ?? '?').join(',')}]`;
}
