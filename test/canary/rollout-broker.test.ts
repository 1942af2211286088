import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { Config } from '../../src/config/index.ts';
import { createFlagPublisher, modelEntry, promoteVersion, registerVersion, startCanary, type Registry } from '../../src/registry/index.ts';
import { startServing, type Serving } from '../support/canary-serving.ts';
import { REPO, testConfig } from '../support/config.ts';
import { uniqueName, useKafka } from '../support/kafka.ts';
import { query, startInstance, TEST_API_TOKEN, waitFor, type Instance } from '../support/processes.ts';
import { createTopics } from '../support/produce.ts';

// Acceptance of the canary rollout on the real broker, with generated traffic whose truth is known:
// a serving layer follows the production flag (watchProduction), routes each request by id
// (routeVersion) and fails it with a known probability per version and segment; the real processor
// (`shadow-compare run`) writes the outcomes and the canary aggregate; `shadow-compare canary run --via`
// (a child process) reads the evidence through the processor, judges and flips the Kafka flag. Steps
// last seconds, evidence thresholds are small (config `canary:` and `--min-comparisons`), and every wait
// is on a condition with a generous deadline: no timing assertion, so a busy machine only slows it.

const V9 = join(REPO, 'fixtures/models/diagnosis/v9.onnx');
const V10 = join(REPO, 'fixtures/models/diagnosis/v10.onnx');
const DEADLINE = 240_000;

interface World {
  config: Readonly<Config>;
  configFile: string;
  reg: Registry & { close(): Promise<void> };
  processor: Instance;
  serving: Serving;
  stop(): Promise<void>;
}

const worlds: World[] = [];
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const w of worlds) await w.stop().catch(() => {});
});

async function createWorld(o: { rate: number; errorRate: (version: string, segments: Record<string, string>) => number; seed: number; canary: Record<string, unknown> }): Promise<World> {
  const brokers = (await useKafka()).split(',');
  const kafka = new Kafka({ clientId: 'canary-test', brokers, logLevel: logLevel.NOTHING });
  const topics = { requests: uniqueName('can-requests'), primaries: uniqueName('can-primaries') };
  await createTopics(kafka, topics, 2);
  const dir = mkdtempSync(join(tmpdir(), 'shadow-canary-rollout-'));
  const registryTopic = uniqueName('can-flags');
  const config = testConfig({
    kafka: { brokers, groupId: uniqueName('can-group'), topics, registryTopic, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 },
    join: { windowMs: 2000, idleMs: 500 },
    sink: { flushIntervalMs: 200, maxRows: 2000 },
    registry: { backend: 'kafka', path: join(dir, 'registry.json') },
    canary: o.canary,
  });
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const publisher = await createFlagPublisher({ brokers, topic: registryTopic }, 10_000);
  const reg = { path: config.registry.path, backend: 'kafka' as const, publisher, now: () => new Date(), close: () => publisher.close() };
  for (const [version, path] of [['v9', V9], ['v10', V10]] as const) {
    await registerVersion(reg, { model: 'diagnosis', version, artifactPath: path, featureSchemaVersion: '1', actor: 'test' });
  }
  await promoteVersion(reg, { model: 'diagnosis', version: 'v9', actor: 'test', reason: 'baseline' });
  const processor = await startInstance(config, 'canary');
  const serving = await startServing({ kafka, brokers, registryTopic, topics, rate: o.rate, errorRate: o.errorRate, seed: o.seed });
  let stopping: Promise<void> | null = null;
  const w: World = {
    config, configFile, reg, processor, serving,
    // Once: the test stops its world, and after() stops whatever a failed test left running.
    stop: () =>
      (stopping ??= (async () => {
        await serving.stop();
        processor.child.kill('SIGKILL');
        await reg.close();
      })()),
  };
  worlds.push(w);
  return w;
}

/** `canary run` as an operator starts it, reading and auditing through the processor. */
function controller(w: World): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'shadow-compare.js'), 'canary', 'run', 'diagnosis', '--via', w.processor.url, '--poll', '500ms', '--config', w.configFile, '--log-level', 'info', '--actor', 'canary-controller'], {
    cwd: REPO,
    env: { ...process.env, SHADOW_API_TOKEN: TEST_API_TOKEN },
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

function start(w: World, steps: number[], stepDurationMs: number, minComparisons: number) {
  return startCanary(w.reg, { model: 'diagnosis', version: 'v10', stepsPercent: steps, stepDurationMs, minComparisonsPerStep: minComparisons, actor: 'test', reason: 'canary test' });
}

const actions = (w: World) => modelEntry(w.config.registry.path, 'diagnosis').history.map((h) => h.action);

/** The judged decisions the controller logged (pino JSON lines). */
function decisions(out: string): { decision: string; weight: number; reasons: string[] }[] {
  return out.split('\n').filter((l) => l.includes('"canary judged"')).map((l) => JSON.parse(l) as { decision: string; weight: number; reasons: string[] });
}

describe('canary rollout on the real broker', { timeout: 900_000 }, () => {
  it('aborts at the first step, naming the segment, when the canary fails 3x as often in country=BR', async () => {
    // Production fails 5% everywhere; the canary 15% in BR (18% of the traffic) and 5% elsewhere. The
    // default margin (+0.5 pt): overall the canary is 1.8 pt worse, so the step cannot pass meanwhile.
    const w = await createWorld({
      rate: 400, seed: 1, canary: { minSegmentRequests: 50 },
      errorRate: (v, seg) => (v === 'v10' && seg.country === 'BR' ? 0.15 : 0.05),
    });
    await start(w, [25, 50, 100], 10_000, 300);
    const c = controller(w);
    const code = await exitWithin(c.exited, DEADLINE);
    assert.equal(code, 4, `controller did not abort (exit ${String(code)}):\n${c.output().slice(-3000)}`);
    const entry = modelEntry(w.config.registry.path, 'diagnosis');
    assert.equal(entry.canary?.status, 'aborted');
    assert.equal(entry.canary?.weight, 0);
    assert.equal(entry.production, 'v9');
    assert.deepEqual(actions(w).filter((a) => a !== 'canary-hold'), ['promote', 'canary-start', 'canary-abort'], 'aborted at the first step, never advanced');
    const abort = entry.history.at(-1)!;
    assert.match(abort.reason, /country=BR/, abort.reason);
    assert.doesNotMatch(abort.reason, /country=(US|DE|IN|JP|MX|FR|GB)/, abort.reason);
    assert.equal(abort.actor, 'canary-controller');
    // The evidence the judge aborted on: enough canary requests at the step, not a blip.
    const last = decisions(c.output()).at(-1)!;
    assert.equal(last.decision, 'ABORT');
    assert.equal(last.weight, 0.25);
    // Serving saw weight 0 (the flag record drops the canary) and the audit row is in promotions.
    await waitFor(async () => w.serving.seen.at(-1)?.action === 'canary-abort', 30_000, () => JSON.stringify(w.serving.seen.at(-1)));
    assert.equal(w.serving.seen.at(-1)?.canary ?? null, null);
    const rows = await query<{ action: string; weight: number; actor: string }>(w.processor.url, `SELECT action, weight, actor FROM shadow.promotions WHERE model = 'diagnosis' AND action = 'canary-abort'`);
    assert.deepEqual(rows.map((r) => ({ ...r, weight: Number(r.weight) })), [{ action: 'canary-abort', weight: 0, actor: 'canary-controller' }]);
    await w.stop();
  });

  it('ramps an equal canary through every step to production', async () => {
    const w = await createWorld({ rate: 300, seed: 2, canary: { minSegmentRequests: 50, maxErrorRateIncrease: 0.02 }, errorRate: () => 0.01 });
    await start(w, [10, 50, 100], 10_000, 300);
    const c = controller(w);
    const code = await exitWithin(c.exited, DEADLINE);
    assert.equal(code, 0, `controller did not finish (exit ${String(code)}):\n${c.output().slice(-3000)}`);
    assert.match(c.output(), /diagnosis: promoted/);
    const entry = modelEntry(w.config.registry.path, 'diagnosis');
    assert.equal(entry.production, 'v10');
    assert.deepEqual(actions(w).filter((a) => a !== 'canary-hold'), ['promote', 'canary-start', 'canary-step', 'promote']);
    assert.deepEqual(entry.history.filter((h) => h.action === 'canary-start' || h.action === 'canary-step').map((h) => h.weight), [0.1, 0.5]);
    assert.ok(decisions(c.output()).every((d) => d.decision !== 'ABORT'), 'an equal canary was judged worse');
    // The serving layer routed by the flag: weights 10% then 50%, then everything on v10.
    await waitFor(async () => w.serving.seen.at(-1)?.version === 'v10', 30_000, () => JSON.stringify(w.serving.seen.at(-1)));
    const weights = w.serving.seen.map((r) => r.canary?.weight ?? null).filter((x) => x !== null);
    assert.deepEqual([...new Set(weights)], [0.1, 0.5]);
    assert.ok((w.serving.served.get('v10')?.answered ?? 0) >= 600, 'the canary served traffic at both steps');
    await w.stop();
  });

  it('holds at 1% when the canary gets too little traffic, never advancing', async () => {
    const w = await createWorld({ rate: 100, seed: 3, canary: { minSegmentRequests: 50, maxErrorRateIncrease: 0.02 }, errorRate: () => 0.01 });
    await start(w, [1, 5, 100], 5_000, 300);
    const c = controller(w);
    // Wait until the judge has seen plenty of production traffic at 1%: the hold is thin canary traffic, not a stalled pipeline.
    let seen = '';
    await waitFor(
      async () => {
        const d = decisions(c.output()).at(-1);
        const m = d ? /(\d+) canary and (\d+) baseline requests, need 300 each/.exec(d.reasons[0] ?? '') : null;
        seen = JSON.stringify(d);
        return d?.decision === 'HOLD' && m !== null && Number(m[2]) >= 300 && Number(m[1]) < 300 && actions(w).includes('canary-hold');
      },
      DEADLINE,
      () => `last decision ${seen}\n${c.output().slice(-2000)}`,
      c.exited,
    );
    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 0);
    const entry = modelEntry(w.config.registry.path, 'diagnosis');
    assert.deepEqual({ weight: entry.canary?.weight, step: entry.canary?.step, status: entry.canary?.status, production: entry.production }, { weight: 0.01, step: 0, status: 'running', production: 'v9' });
    assert.deepEqual(actions(w), ['promote', 'canary-start', 'canary-hold'], 'one audited hold, no step');
    assert.match(entry.history.at(-1)!.reason, /^overall: \d+ canary and \d+ baseline requests, need 300 each/);
    await w.stop();
  });

  it('leaves the weight where it was when the controller is killed with SIGKILL mid-ramp', async () => {
    const w = await createWorld({ rate: 300, seed: 4, canary: { minSegmentRequests: 50, maxErrorRateIncrease: 0.02 }, errorRate: () => 0.01 });
    await start(w, [20, 50, 100], 10_000, 200);
    const c = controller(w);
    await waitFor(async () => modelEntry(w.config.registry.path, 'diagnosis').canary?.step === 1, DEADLINE, () => c.output().slice(-2000), c.exited);
    // Killed while it polls at 50% with traffic flowing: the next judgement would promote.
    c.child.kill('SIGKILL');
    await c.exited;
    const atKill = modelEntry(w.config.registry.path, 'diagnosis');
    assert.equal(atKill.canary?.weight, 0.5);
    // Longer than a step, with traffic still flowing: nothing may move the weight now.
    const servedBefore = w.serving.served.get('v10')?.answered ?? 0;
    await waitFor(async () => (w.serving.served.get('v10')?.answered ?? 0) >= servedBefore + 1500, DEADLINE, () => JSON.stringify([...w.serving.served]));
    const entry = modelEntry(w.config.registry.path, 'diagnosis');
    assert.deepEqual({ weight: entry.canary?.weight, step: entry.canary?.step, status: entry.canary?.status, production: entry.production }, { weight: 0.5, step: 1, status: 'running', production: 'v9' });
    assert.deepEqual(actions(w).filter((a) => a !== 'canary-hold'), ['promote', 'canary-start', 'canary-step']);
    assert.equal(w.serving.seen.at(-1)?.version, 'v9');
    assert.equal(w.serving.seen.at(-1)?.canary?.weight, 0.5, 'serving still routes 50% to the canary');
    await w.stop();
  });
});

/** The exit code, or 'late' after `ms`; the timer is cleared so it does not hold the test process open. */
async function exitWithin(exited: Promise<number | null>, ms: number): Promise<number | null | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([exited, new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
