import { z } from 'zod';

// `registry:` in the config file. Defaults documented in docs/registry.md and docs/configuration-reference.md.
export const RegistryConfigSchema = z
  .object({
    /**
     * Where the production flag is published. `file`: only the registry file (single host, no Kafka).
     * `kafka`: the file (versions and history) plus a record keyed by model name on the compacted topic
     * `kafka.registryTopic`, which serving code follows with `watchProduction`. Explicit, never guessed:
     * `kafka.brokers` has a default, so "Kafka is configured" cannot be told from the config.
     */
    backend: z.enum(['file', 'kafka']).default('file'),
    /** Registry file: registered versions, current production and full history. Relative to the config file. */
    path: z.string().min(1).default('./.shadow-registry/registry.json'),
    /** Longest wait for the broker to acknowledge the flag (acks = all) before promote/rollback fail. */
    publishTimeoutMs: z.number().int().min(100).default(10_000),
  })
  .strict();

export type RegistryConfig = z.output<typeof RegistryConfigSchema>;
