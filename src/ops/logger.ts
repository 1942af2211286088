import { pino, type DestinationStream, type Logger } from 'pino';

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

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * Logs always go to stderr, so that stdout carries only what a command prints (`--json` output can be
 * piped into jq). `pretty` (the CLI passes `process.stderr.isTTY`) prints one readable line per
 * entry for a person at a terminal; otherwise JSON lines for a collector. Synchronous writes: a
 * command that calls process.exit right after logging must not lose the line.
 */
export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const destination: DestinationStream = opts.pretty ? prettyStream((line) => process.stderr.write(line)) : pino.destination({ fd: 2, sync: true });
  return pino(
    {
      name: 'shadow-compare',
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
    },
    destination,
  );
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

// A few lines instead of pino-pretty: a terminal needs time, level, stage, message and the fields,
// and one less dependency (with its own transport worker thread) is worth more than colours.
export function prettyStream(write: (line: string) => void): DestinationStream {
  return {
    write(json: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(json) as Record<string, unknown>;
      } catch {
        write(json);
        return;
      }
      write(`${prettyLine(entry)}\n`);
    },
  };
}

export function prettyLine(entry: Record<string, unknown>): string {
  const { level, time, msg, stage, name: _name, ...rest } = entry;
  const clock = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const head = [clock, (LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5), stage ? `[${String(stage)}]` : '', String(msg ?? '')].filter(Boolean).join(' ');
  return fields ? `${head}  ${fields}` : head;
}

/** Removes `user:password@` from URLs embedded in text (error messages of HTTP clients carry them). */
export function redactUrl(text: string): string {
  return text.replace(/(\w+:\/\/)([^/@\s:]+)(:[^/@\s]*)?@/g, '$1[redacted]@');
}
