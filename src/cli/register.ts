import { COMMON_HELP, parseFlags, positionalArgs, type Command } from './command.ts';
import { createContext } from './context.ts';
import { ShadowError } from '../errors.ts';
import { actorName, registerVersion, type TensorSpec } from '../registry/index.ts';

export const registerCommand: Command = {
  help: `Usage: shadow-compare register MODEL VERSION ARTIFACT [options]

Hashes ARTIFACT, loads it in onnxruntime to read its input/output signature, and records the version
in the registry file (registry.path). Registering the same version with the same file again is a
no-op; with a different file it is refused (versions are immutable).

Options:
      --feature-schema N   feature schema version the model expects
      --actor NAME         recorded as who registered (default: OS user)
${COMMON_HELP}`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { 'feature-schema': { type: 'string' }, actor: { type: 'string' } });
    const [model, version, artifactPath] = positionalArgs(positionals, ['MODEL', 'VERSION', 'ARTIFACT'], 'shadow-compare register MODEL VERSION ARTIFACT [--feature-schema N]');
    const ctx = createContext(values);
    const reg = { path: ctx.config.registry.path, backend: 'file' as const, publisher: null, now: () => new Date() };
    const { record, created } = await registerVersion(reg, {
      model,
      version,
      artifactPath,
      featureSchemaVersion: values['feature-schema'] ?? null,
      actor: actorName(values.actor),
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
        `  registered      ${record.registeredAt} by ${record.registeredBy}\n` +
        `  registry        ${ctx.config.registry.path}\n`,
    );
    return 0;
  },
};

function tensor(t: TensorSpec): string {
  return `${t.name} ${t.type}[${t.shape.map((d) => d ?? '?').join(',')}]`;
}
