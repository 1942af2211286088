import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commands } from '../../src/cli/commands.ts';

// The CLI's conventions, checked on every command as a user meets them: a typo in a flag, value,
// path, model or version exits 2 with exactly one line on stderr that names what was wrong and what
// was expected, nothing on stdout and no stack trace. The exit-code table is in docs/cli.md.

const REPO = join(import.meta.dirname, '..', '..');
const BIN = join(REPO, 'bin', 'shadow-compare.js');

let dir: string;
let config: string;
let badModelConfig: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shadow-cli-'));
  // The repo's config with the model path made absolute; everything else relative to this copy, so
  // the data directory and registry land in `dir`.
  const text = readFileSync(join(REPO, 'shadow-compare.yaml'), 'utf8').replace('fixtures/models/diagnosis/v10.onnx', join(REPO, 'fixtures/models/diagnosis/v10.onnx'));
  config = join(dir, 'config.yaml');
  writeFileSync(config, text);
  badModelConfig = join(dir, 'bad-model', 'config.yaml');
  mkdirSync(join(dir, 'bad-model'));
  writeFileSync(badModelConfig, text.replace(join(REPO, 'fixtures/models/diagnosis/v10.onnx'), 'models/v10.onnx'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

interface Case {
  readonly command: string;
  readonly args: (c: { config: string; badModelConfig: string }) => string[];
  readonly env?: Record<string, string>;
  /** Matched against the single stderr line. */
  readonly message: RegExp;
}

const CASES: readonly Case[] = [
  { command: 'gate', args: (c) => ['gate', '--window', '7x', '-c', c.config], message: /^error SHADOW_CONFIG: --window: expected a duration like 30m, 12h or 7d, got "7x"$/ },
  { command: 'gate', args: (c) => ['gate', '--end', 'yesterday', '-c', c.config], message: /^error SHADOW_CONFIG: --end: expected an ISO 8601 time .*got "yesterday"$/ },
  { command: 'gate', args: (c) => ['gate', '--via', 'localhost', '-c', c.config], message: /^error SHADOW_CONFIG: --via: expected the URL of a running processor, http:\/\/HOST:PORT, got "localhost"$/ },
  { command: 'features', args: (c) => ['features', 'frobnicate', '-c', c.config], message: /^error SHADOW_CONFIG: features: expected a subcommand, register or promote, got "frobnicate"$/ },
  { command: 'diagnose', args: (c) => ['diagnose', '--window', '7x', '-c', c.config], message: /^error SHADOW_CONFIG: --window: expected a duration like 30m, 12h or 7d, got "7x"$/ },
  { command: 'diagnose', args: (c) => ['diagnose', '--segment', 'country', '-c', c.config], message: /^error SHADOW_CONFIG: --segment: expected DIM=VALUE like country=BR, got "country"$/ },
  { command: 'diagnose', args: (c) => ['diagnose', '--reference-from', '2025-03-01T00:00:00Z', '-c', c.config], message: /^error SHADOW_CONFIG: --reference-from and --reference-to go together$/ },
  { command: 'traffic', args: (c) => ['traffic', '--count', '10', '--rate', '-1', '-c', c.config], message: /^error SHADOW_CONFIG: --rate: its value starts with "-"; write it as --rate=VALUE$/ },
  // --log-level warn: the embedded store is migrated (info lines) before the version can be looked up.
  { command: 'gate', args: (c) => ['gate', '--candidate', 'v99', '--log-level', 'warn', '-c', c.config], message: /^error SHADOW_INPUT: --candidate v99: diagnosis has no such version: .*never shadowed/ },
  { command: 'gate', args: (c) => ['gate', '--windo', '7d', '-c', c.config], message: /^error SHADOW_CONFIG: unknown flag --windo / },
  { command: 'demo', args: (c) => ['demo', '--count', 'many', '-c', c.config], message: /^error SHADOW_CONFIG: --count: expected a whole number >= 1, got "many"$/ },
  { command: 'demo', args: (c) => ['demo', '--json=yes', '-c', c.config], message: /^error SHADOW_CONFIG: --json: takes no value$/ },
  { command: 'run', args: (c) => ['run', '--port', '70000', '-c', c.config], message: /^error SHADOW_CONFIG: --port: expected 0\.\.65535, got "70000"$/ },
  { command: 'run', args: (c) => ['run', '-c', c.badModelConfig], message: /^error SHADOW_MODEL: candidate\.path: model file .*bad-model\/models\/v10\.onnx does not exist/ },
  { command: 'replay', args: (c) => ['replay', 'no/such/path', '-c', c.config], message: /^error SHADOW_INPUT: FILE\.ndjson: no\/such\/path does not exist/ },
  { command: 'replay', args: (c) => ['replay', '-c', c.config], message: /^error SHADOW_CONFIG: missing FILE\.ndjson; usage: shadow-compare replay/ },
  { command: 'migrate', args: (c) => ['migrate', 'now', '-c', c.config], message: /^error SHADOW_CONFIG: unexpected argument "now"/ },
  { command: 'migrate', args: (c) => ['migrate', '-c', c.config], env: { CLICKHOUSE_URL: 'clickhouse:8123' }, message: /^error SHADOW_CONFIG: invalid environment: clickhouse\.url \(from environment variable CLICKHOUSE_URL\): must be an http\(s\) URL/ },
  { command: 'migrate', args: () => ['migrate', '-c', 'no-such.yaml'], message: /^error SHADOW_CONFIG: config file not found: no-such\.yaml/ },
  { command: 'traffic', args: (c) => ['traffic', '--count', '10', '--rate=-1', '-c', c.config], message: /^error SHADOW_CONFIG: --rate: expected a positive number, got "-1"$/ },
  { command: 'traffic', args: (c) => ['traffic', '-c', c.config], message: /^error SHADOW_CONFIG: give exactly one of --count N and --continuous$/ },
  { command: 'register', args: (c) => ['register', 'diagnosis', 'v1', 'no/such.onnx', '-c', c.config], message: /^error SHADOW_REGISTRY: artifact .*no\/such\.onnx does not exist/ },
  { command: 'register', args: (c) => ['register', 'diagnosis', '-c', c.config], message: /^error SHADOW_CONFIG: missing VERSION ARTIFACT; usage: / },
  { command: 'promote', args: (c) => ['promote', 'diagnosis', 'v99', '-c', c.config], message: /^error SHADOW_REGISTRY: VERSION v99: diagnosis v99 is not registered/ },
  { command: 'promote', args: (c) => ['promote', 'diagnosis', 'v99', '--window', '7x', '-c', c.config], message: /^error SHADOW_CONFIG: --window: / },
  { command: 'rollback', args: (c) => ['rollback', 'fraud', '-c', c.config], message: /^error SHADOW_REGISTRY: unknown model "fraud": no version of it is registered/ },
  { command: 'status', args: (c) => ['status', '-c', c.config], message: /^error SHADOW_CONFIG: missing MODEL; usage: shadow-compare status MODEL/ },
  { command: 'status', args: (c) => ['status', 'diagnosis', '--history=-1', '-c', c.config], message: /^error SHADOW_CONFIG: --history: expected a whole number >= 0, got "-1"$/ },
  { command: 'status', args: (c) => ['status', 'fraud', '-c', c.config], message: /^error SHADOW_INPUT: unknown model "fraud"/ },
  { command: 'canary', args: (c) => ['canary', 'start', 'diagnosis', '-c', c.config], message: /^error SHADOW_CONFIG: usage: shadow-compare canary start MODEL VERSION/ },
  { command: 'canary', args: (c) => ['canary', 'start', 'diagnosis', 'v10', '--steps', '5,1', '-c', c.config], message: /^error SHADOW_CONFIG: --steps: must be ascending percentages in \(0, 100\], e\.g\. 1,5,25,50,100; got 5,1$/ },
  { command: 'canary', args: (c) => ['canary', 'run', 'diagnosis', '--poll', 'soon', '-c', c.config], message: /^error SHADOW_CONFIG: --poll: must be a duration like 500ms, 30s, 30m or 2h, got soon$/ },
  { command: 'canary', args: (c) => ['canary', 'abort', 'diagnosis', '-c', c.config], message: /^error SHADOW_REGISTRY: diagnosis has no running canary to abort$/ },
  { command: 'guard', args: (c) => ['guard', 'diagnosis', '-c', c.config], message: /^error SHADOW_CONFIG: guard\.enabled is false: the guard is opt-in/ },
  { command: 'ready', args: (c) => ['ready', 'fraud', '-c', c.config], message: /^error SHADOW_REGISTRY: unknown model "fraud"/ },
  { command: 'ready', args: (c) => ['ready', 'diagnosis', '--log-level', 'loud', '-c', c.config], message: /^error SHADOW_CONFIG: --log-level: expected one of trace\|debug\|info\|warn\|error\|fatal\|silent, got "loud"$/ },
];

describe('CLI conventions', () => {
  it('the table covers every subcommand', () => {
    const covered = new Set(CASES.map((c) => c.command));
    assert.deepEqual(commands.map((c) => c.name).filter((n) => !covered.has(n)), []);
  });

  for (const c of CASES) {
    const shown = c.args({ config: 'CONFIG', badModelConfig: 'BAD_MODEL_CONFIG' }).join(' ');
    it(`${shown}${c.env ? ` (with ${Object.keys(c.env).join(', ')})` : ''} exits 2 with one line naming the problem`, async () => {
      const r = await cli(c.args({ config, badModelConfig }), c.env);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '', 'nothing on stdout');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`);
      assert.match(lines[0]!, c.message);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    });
  }

  it('checks the model file before the store: a missing model leaves no data directory behind', async () => {
    const r = await cli(['replay', join(REPO, 'fixtures/traffic/sample.ndjson'), '-c', badModelConfig]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(existsSync(join(dir, 'bad-model', '.shadow-data')), false, 'no migrations ran');
  });

  it('--debug adds the stack trace', async () => {
    const r = await cli(['gate', '--window', '7x', '--debug', '-c', config]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error SHADOW_CONFIG: --window: /);
    assert.match(r.stderr, /^\s+at .*gate\.ts:\d+/m);
  });

  it('an unknown command exits 2 with one line; no command prints the usage on stderr', async () => {
    const unknown = await cli(['promte']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'error SHADOW_CONFIG: unknown command "promte"; shadow-compare --help lists the commands\n');
    const none = await cli([]);
    assert.equal(none.code, 2);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /^Usage: shadow-compare <command>/m);
    assert.match(none.stderr, /^Exit codes: 0 ok \(gate: PROMOTE\), 1 failure, 2 usage or input error, 3 HOLD, 4 REJECT, 5 NOT READY/m);
  });

  it('replay --json writes only JSON to stdout; the logs go to stderr', async () => {
    const r = await cli(['replay', join(REPO, 'fixtures/traffic/sample.ndjson'), '--json', '-c', config]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { replay: { records: number } };
    assert.ok(out.replay.records > 0);
    assert.match(r.stderr, /"msg":"replay finished"/, 'JSON log lines on stderr (not a terminal)');
    // The relative default data directory resolved against the config file, not the working directory.
    assert.ok(existsSync(join(dir, '.shadow-data')));
  });
});
