/**
 * Test entry point. Node 20's test runner runs each file in its own process and has no global
 * setup, so this starts ONE Kafka broker for the whole run, runs `node --test` with KAFKA_BROKERS
 * set, and always stops the broker. If KAFKA_BROKERS is already set, that Kafka is used instead.
 *
 *   node --import tsx test/run.ts [node --test flags, as --flag=value] [files or globs]
 *
 * Files default to test/**\/*.test.ts. Globs are expanded here because node 20 does not.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { join, normalize } from 'node:path';
import { startBroker, type Broker } from '../scripts/kafka/broker.ts';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function main(args: string[]): Promise<number> {
  const flags = args.filter((a) => a.startsWith('-'));
  const patterns = args.filter((a) => !a.startsWith('-'));
  const files = (patterns.length > 0 ? patterns : ['test/**/*.test.ts']).flatMap(expand);
  if (files.length === 0) throw new Error(`no test files match ${patterns.join(' ') || 'test/**/*.test.ts'}`);
  let broker: Broker | undefined;
  if (!process.env.KAFKA_BROKERS) broker = await startBroker();
  try {
    return await runTests(flags, files, process.env.KAFKA_BROKERS ?? broker!.brokers);
  } finally {
    await broker?.stop();
  }
}

function runTests(flags: string[], files: string[], brokers: string): Promise<number> {
  const child = spawn(process.execPath, ['--test', '--import', 'tsx', ...flags, ...files], {
    stdio: 'inherit',
    env: { ...process.env, KAFKA_BROKERS: brokers },
  });
  // Our own listeners also keep the broker's signal handler from exiting before the tests have.
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  for (const s of FORWARDED) process.on(s, forward);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, sig) => done(code ?? 128 + (sig ? constants.signals[sig] : 1)));
  });
}

/** Expands `*`, `**` and `?` in a relative path; anything else is passed through untouched. */
function expand(pattern: string): string[] {
  const path = normalize(pattern);
  const firstWild = path.search(/[*?]/);
  if (firstWild < 0) return [path];
  const base = path.slice(0, firstWild).replace(/[^/]*$/, '') || '.';
  const source = path
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*\/|\*\*|\*|\?/g, (m) => ({ '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*' })[m] ?? '[^/]');
  const re = new RegExp(`^${source}$`);
  const all = readdirSync(base, { recursive: true, encoding: 'utf8' }).map((f) => join(base, f));
  return all.filter((f) => !f.includes('node_modules') && re.test(f)).sort();
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`test run failed before the tests: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
