import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatDiagnosis, type Diagnosis } from '../../src/diagnose/index.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { openStore, type Store } from '../../src/sinks/clickhouse/client.ts';
import { migrate } from '../../src/sinks/clickhouse/migrate.ts';
import { REPO, testConfig } from '../support/config.ts';
import { replayAndDiagnose, type Scenario } from './scenario.ts';

// Issue 15, acceptance: traffic generated with a known truth, replayed through the real pipeline into
// the real engine, diagnosed with every test corrected together (Holm across features x segments).
// A reference week of 6,000 requests, then a day of 4,000 with the effect in country=BR only.

const logger = createLogger({ level: 'warn' });
const base = { seed: 1515, referenceCount: 6000, windowCount: 4000 } as const;
const where = (d: Diagnosis) => d.findings.map((f) => `${f.dimension}=${f.value}:${f.classification}`);

describe('diagnose on generated traffic with a known truth', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-diagnose-'));
  const dataDir = join(dir, 'data');
  let store: Store | undefined;
  const run = (s: Scenario) => replayAndDiagnose(dir, dataDir, store!, logger, s);

  before(async () => {
    store = await openStore(testConfig({ clickhouse: { dataDir } }).clickhouse);
    await migrate(store);
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('flags nothing on stable traffic', async (t) => {
    const d = await run({ ...base, name: 'stable', primaryVersion: 'v9' });
    t.diagnostic(formatDiagnosis(d));
    assert.ok(d.segmentsJudged >= 10, `judged ${d.segmentsJudged}`);
    assert.ok(d.tests > 500, `tests ${d.tests}`);
    assert.deepEqual(where(d), []);
  });

  it('says "world changed" for the one segment whose inputs shifted, and flags no other', async (t) => {
    const d = await run({ ...base, name: 'world', primaryVersion: 'v10', effects: { shift: { dimension: 'country', value: 'BR', feature: 'mean_radius', rate: 0.9 } } });
    t.diagnostic(formatDiagnosis(d));
    assert.deepEqual(where(d), ['country=BR:world_changed']);
    assert.ok(d.findings[0]!.features.includes('mean_radius'));
  });

  it('says "feature pipeline problem", naming the feature, when 30 % of a segment arrives null', async (t) => {
    const d = await run({ ...base, name: 'nulls', primaryVersion: 'v10', effects: { nullFeature: { dimension: 'country', value: 'BR', feature: 'mean_texture', rate: 0.3 } } });
    t.diagnostic(formatDiagnosis(d));
    const br = d.findings.find((f) => f.dimension === 'country' && f.value === 'BR');
    assert.equal(br?.classification, 'feature_pipeline_problem');
    assert.deepEqual(br?.features, ['mean_texture']);
    assert.match(br!.evidence[0]!, /^mean_texture missing \(null\/NaN\/wrong type\) 0\.0% -> (2[5-9]|3[0-5])\.\d% /);
    // Other segments hold BR's requests too (devices, tiers): any finding they show is the same fault.
    for (const f of d.findings) assert.deepEqual([f.classification, f.features], ['feature_pipeline_problem', ['mean_texture']], `${f.dimension}=${f.value}`);
    assert.ok(!d.findings.some((f) => f.dimension === 'country' && f.value !== 'BR'), where(d).join(' '));
  });

  it('says "candidate regression" where the candidate is worse on stable inputs and labels confirm it', async (t) => {
    const d = await run({ ...base, name: 'regress', primaryVersion: 'v10', labels: true, effects: { segmentFlip: { dimension: 'country', value: 'BR', rate: 0.15 } } });
    t.diagnostic(formatDiagnosis(d));
    const br = d.findings.find((f) => f.dimension === 'country' && f.value === 'BR');
    assert.equal(br?.classification, 'candidate_regression', where(d).join(' '));
    assert.ok(br!.evidence.some((e) => /^labels \(n=\d+\): candidate accuracy 0\.8\d+ vs primary 1\.0000, McNemar p=/.test(e)), br!.evidence.join(' | '));
    assert.ok(!d.findings.some((f) => f.dimension === 'country' && f.value !== 'BR'), where(d).join(' '));
  });

  it('the CLI exits 6 when something is flagged and 0 when nothing is, with the same findings in --json', async () => {
    // The embedded engine locks its directory: the CLI opens it after this process lets go.
    await store!.close();
    store = undefined;
    const config = join(dir, 'config.yaml');
    const yaml = readFileSync(join(REPO, 'shadow-compare.yaml'), 'utf8')
      .replace('fixtures/models/diagnosis/v10.onnx', join(REPO, 'fixtures/models/diagnosis/v10.onnx'))
      .replace('dataDir: ./.shadow-data', `dataDir: ${dataDir}`);
    writeFileSync(config, yaml);
    const cli = (candidate: string, json: boolean) =>
      spawnSync(process.execPath, [join(REPO, 'bin/shadow-compare.js'), 'diagnose', '-c', config, '--candidate', candidate, '--end', '2025-03-08T00:00:00Z', '--log-level', 'warn', ...(json ? ['--json'] : [])], { encoding: 'utf8' });
    const flagged = cli('v10-nulls', true);
    assert.equal(flagged.status, 6, flagged.stderr);
    const d = JSON.parse(flagged.stdout) as Diagnosis;
    assert.equal(d.findings.find((f) => f.dimension === 'country' && f.value === 'BR')?.classification, 'feature_pipeline_problem');
    const text = cli('v10-world', false);
    assert.equal(text.status, 6, text.stderr);
    assert.match(text.stdout, /^country=BR: WORLD CHANGED \(.*mean_radius.*\)$/m);
    assert.match(text.stdout, /^ {2}→ keep the model; re-evaluate on recent traffic and plan a retrain$/m);
    const stable = cli('v10-stable', false);
    assert.equal(stable.status, 0, stable.stderr);
    assert.match(stable.stdout, /Nothing flagged/);
    assert.equal(cli('v10-never-shadowed', false).status, 7, 'no profiles at all: nothing judged');
  });
});
