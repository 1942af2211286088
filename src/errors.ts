// Stable error codes: operators grep for them, dashboards count them, tests assert them.
// `retryable` is decided where the error is classified (the adapter), never by the caller.
export const ERROR_CODES = [
  'SHADOW_CONFIG',
  'SHADOW_MODEL',
  'SHADOW_KAFKA',
  'SHADOW_TOPOLOGY',
  'SHADOW_SINK',
  'SHADOW_SINK_DATA',
  'SHADOW_STORE_LOCKED',
  'SHADOW_MIGRATION',
  'SHADOW_INPUT',
  'SHADOW_GATE',
  'SHADOW_REGISTRY',
  'SHADOW_AUTH',
  'SHADOW_BUSY',
  'SHADOW_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class ShadowError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ShadowError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
  }
}

export function isShadowError(err: unknown): err is ShadowError {
  return err instanceof ShadowError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// Errors the user fixes by changing what they typed or pointed at (a flag, the config, a file, a
// model or version name): the CLI exits 2 with one line and no stack. Everything else (a store or
// broker that is down or locked, a bug) is a failure: exit 1. A retryable error is never the input's
// fault (the registry lock held by another command is SHADOW_REGISTRY but retryable). A missing or
// wrong API token (SHADOW_AUTH) is fixed by setting SHADOW_API_TOKEN: an input error too.
const INPUT_CODES: ReadonlySet<ErrorCode> = new Set(['SHADOW_CONFIG', 'SHADOW_INPUT', 'SHADOW_MODEL', 'SHADOW_REGISTRY', 'SHADOW_AUTH']);

export function isInputError(err: unknown): boolean {
  return isShadowError(err) && INPUT_CODES.has(err.code) && !err.retryable;
}
