import { pino, type Logger } from 'pino';

export type { Logger };

// Secrets reach the logger only by accident (a config object, an error with a URL in it);
// redaction by path is the net under that accident, and redactUrl covers free text.
const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  '*.*.*.password',
  'sasl',
  '*.sasl',
  '*.*.sasl',
  'ssl.key',
  '*.ssl.key',
  '*.*.ssl.key',
  'authorization',
  '*.authorization',
  '*.*.authorization',
  'readPassword',
  '*.readPassword',
  '*.*.readPassword',
  'token',
  '*.token',
  '*.*.token',
];

export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  return pino({
    name: 'shadow-compare',
    level: opts.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: undefined,
  });
}

/** Removes `user:password@` from URLs embedded in text (error messages of HTTP clients carry them). */
export function redactUrl(text: string): string {
  return text.replace(/(\w+:\/\/)([^/@\s:]+)(:[^/@\s]*)?@/g, '$1[redacted]@');
}
