import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { createFlagPublisher, modelEntry, promoteVersion, registerVersion, watchProduction, type ProductionWatch } from '../../src/registry/index.ts';
import { generateTraffic, loadDataset } from '../../src/traffic/index.ts';
import { REPO, testConfig } from '../support/config.ts';
import { uniqueName, useKafka } from '../support/kafka.ts';
import { query, startInstance, TEST_API_TOKEN, waitFor, type Instance } from '../support/processes.ts';
import { createTopics } from '../support/produce.ts';

// The post-promotion guard on the real broker. v10 was promoted over v9; the processor (guard on)
// shadows v9 against v10's logged outputs; `shadow-compare guard` gates v9 every 2 s. Healthy traffic
// first (v9 and v10 agree on ~95% of the fixture rows: the gate does not reject), then v10's logged
// answers collapse (half of them flipped, as a broken serving path would): the first REJECT must roll
// back to v9 in the same evaluation, page the contact point (a local HTTP server), be audited in
// promotions, and reach a watchProduction subscriber within 5 s of the decision.

const ds = loadDataset('breast_cancer');
const V9 = join(REPO, 'fixtures/models/diagnosis/v9.onnx');
const V10 = join(REPO, 'fixtures/models/diagnosis/v10.onnx');

const cleanups: (() => Promise<unknown> | unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
});

function pager(): Promise<{ server: Server; url: string; pages: unknown[] }> {
  const pages: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      pages.push(JSON.parse(body));
      res.writeHead(202).end();
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/page`, pages })));
}

describe('post-promotion guard on the real broker', { timeout: 600_000 }, () => {
  it('rolls back a promoted version whose agreement with the demoted one collapses, pages the owner, and serving sees the old version within 5 s', async () => {
    const brokers = (await useKafka()).split(',');
    const kafka = new Kafka({ clientId: 'guard-test', brokers, logLevel: logLevel.NOTHING });
    const topics = { requests: uniqueName('guard-requests'), primaries: uniqueName('guard-primaries') };
    await createTopics(kafka, topics, 2);
    const registryTopic = uniqueName('guard-flags');
    const dir = mkdtempSync(join(tmpdir(), 'shadow-guard-'));
    const page = await pager();
    cleanups.push(() => new Promise((r) => page.server.close(r)));
    const config = testConfig({
      kafka: { brokers, groupId: uniqueName('guard-group'), topics, registryTopic, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 },
      join: { windowMs: 2000, idleMs: 500 },
      sink: { flushIntervalMs: 200, maxRows: 2000 },
      registry: { backend: 'kafka', path: join(dir, 'registry.json') },
      // The logged primary is what is judged (no re-scoring), as after a promotion with a new serving path.
      primary: { reproduce: false },
      guard: { enabled: true, periodSeconds: 2, durationMinutes: 30, contact: page.url },
      gate: {
        window: '10m', subWindow: '10m', evidence: { minComparisons: 300, minPerSubWindow: 300 }, agreement: { min: 0.9 },
        cost: { maxVsPrimary: null }, latency: { maxP99Ms: 10_000, maxP99VsPrimary: 1000 },
      },
    });
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));

    const publisher = await createFlagPublisher({ brokers, topic: registryTopic }, 10_000);
    cleanups.push(() => publisher.close());
    const reg = { path: config.registry.path, backend: 'kafka' as const, publisher, now: () => new Date() };
    for (const [version, path] of [['v9', V9], ['v10', V10]] as const) await registerVersion(reg, { model: 'diagnosis', version, artifactPath: path, featureSchemaVersion: '1', actor: 'test' });
    await promoteVersion(reg, { model: 'diagnosis', version: 'v9', actor: 'test', reason: 'first' });
    await promoteVersion(reg, { model: 'diagnosis', version: 'v10', actor: 'test', reason: 'v10 passed its gate' });

    let sawV9At: number | null = null;
    const watch: ProductionWatch = await watchProduction('diagnosis', (r) => {
      if (r.version === 'v9' && r.action === 'rollback' && sawV9At === null) sawV9At = Date.now();
    }, { brokers, topic: registryTopic });
    cleanups.push(() => watch.stop());

    const processor: Instance = await startInstance(config, 'guard');
    cleanups.push(() => processor.child.kill('SIGKILL'));
    assert.match(processor.output(), /guard on: shadowing the demoted version as the candidate/);

    // v10 serves every request; `flipRate` of its logged answers are flipped once the collapse starts.
    let flipRate = 0;
    let stopped = false;
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const serving = (async () => {
      for (let chunk = 0; !stopped; chunk++) {
        const t = generateTraffic({
          dataset: ds, model: 'diagnosis', primaryVersion: 'v10', count: 75, seed: 900 + chunk, startTime: Date.now(), ratePerSec: 300, idPrefix: `g${chunk}-`,
          missingPrimaryRate: 0, inlinePrimaryRate: 0, duplicateRate: 0, invalidRate: 0, primaryErrorRate: 0, reorderRate: 0, primaryFlipRate: flipRate,
        });
        await producer.sendBatch({
          acks: -1,
          topicMessages: (['requests', 'primaries'] as const).map((s) => ({
            topic: topics[s],
            messages: t.envelopes.filter((e) => e.stream === s).map((e) => ({ key: e.key, value: JSON.stringify(e.payload) })),
          })),
        });
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    cleanups.push(async () => {
      stopped = true;
      await serving;
      await producer.disconnect();
    });

    const child = spawn(process.execPath, [join(REPO, 'bin', 'shadow-compare.js'), 'guard', 'diagnosis', '--via', processor.url, '--config', configFile, '--log-level', 'info'], {
      cwd: REPO, env: { ...process.env, SHADOW_API_TOKEN: TEST_API_TOKEN },
    });
    cleanups.push(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const evaluations = () => out.split('\n').filter((l) => l.includes('"guard evaluated"')).map((l) => JSON.parse(l) as { decision: string; action: string; time: number });

    // Healthy: the gate has judged enough comparisons and does not reject (PROMOTE, or HOLD on some criterion).
    await waitFor(async () => evaluations().filter((e) => e.decision !== 'REJECT').length >= 3 && (await comparisons(processor.url)) >= 600, 240_000, () => out.slice(-3000), exited);
    assert.ok(evaluations().every((e) => e.decision !== 'REJECT'), `healthy traffic rejected:\n${out.slice(-3000)}`);
    assert.equal(modelEntry(config.registry.path, 'diagnosis').production, 'v10');

    flipRate = 0.5;
    const code = await exitWithin(exited, 300_000);
    assert.equal(code, 4, `guard did not roll back (exit ${String(code)}):\n${out.slice(-3000)}`);

    // Within one evaluation period: the first REJECT is the one that rolled back.
    const evals = evaluations();
    assert.equal(evals.filter((e) => e.decision === 'REJECT').length, 1);
    assert.deepEqual(evals.at(-1), { ...evals.at(-1)!, decision: 'REJECT', action: 'rollback' });
    assert.match(out, /"code":"SHADOW_GUARD_ROLLBACK".*GUARD ROLLED BACK production/);

    const entry = modelEntry(config.registry.path, 'diagnosis');
    assert.equal(entry.production, 'v9');
    const event = entry.history.at(-1)!;
    assert.equal(event.action, 'rollback');
    assert.equal(event.actor, 'guard');
    assert.match(event.reason, /^guard: gate REJECT of v10 against v9 \(decision [0-9a-f-]{36}\): .*agreement/);
    assert.ok(event.gateDecisionId);

    // The page: delivered to the contact point, with what a human needs.
    await waitFor(async () => page.pages.length === 1, 10_000, () => JSON.stringify(page.pages));
    const p = page.pages[0] as { code: string; from: string; to: string; reason: string; detectedAt: string; detectionToFlipMs: number; owner: string; gateDecisionId: string };
    assert.deepEqual({ code: p.code, from: p.from, to: p.to, owner: p.owner, gateDecisionId: p.gateDecisionId }, { code: 'SHADOW_GUARD_ROLLBACK', from: 'v10', to: 'v9', owner: 'ml-platform@example.com', gateDecisionId: event.gateDecisionId });
    assert.equal(p.detectionToFlipMs, event.flipMs);

    // Serving sees v9 within 5 s of the decision (same host, same wall clock).
    await waitFor(async () => sawV9At !== null, 10_000, () => 'subscriber never saw v9');
    const decisionToSeenMs = sawV9At! - Date.parse(p.detectedAt);
    console.log(`# guard: detection -> flag flip ${p.detectionToFlipMs} ms; detection -> watchProduction subscriber sees v9 ${decisionToSeenMs} ms`);
    assert.ok(decisionToSeenMs >= 0 && decisionToSeenMs < 5_000, `${decisionToSeenMs} ms`);

    // Audited: the rollback row in promotions carries the guard as actor and the reason.
    const rows = await query<{ action: string; actor: string; reason: string; to_version: string }>(processor.url, `SELECT * FROM shadow.promotions WHERE model = 'diagnosis' AND action = 'rollback'`);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.equal(rows[0]!.actor, 'guard');
    assert.match(rows[0]!.reason, /^guard: gate REJECT/);
    const decisions = await query<{ decision: string }>(processor.url, `SELECT decision FROM shadow.gate_decisions WHERE decision_id = {id:String}`, { id: event.gateDecisionId });
    assert.deepEqual(decisions.map((d) => d.decision), ['REJECT']);
  });
});

async function comparisons(url: string): Promise<number> {
  const rows = await query<{ n: string | number }>(url, `SELECT sum(compared) AS n FROM shadow.stats_1m WHERE model = 'diagnosis' AND candidate_version = 'v9' AND dimension = '__all__'`).catch(() => [{ n: 0 }]);
  return Number(rows[0]?.n ?? 0);
}

/** The exit code, or 'late' after `ms`; the timer is cleared so it does not hold the test process open. */
async function exitWithin(exited: Promise<number | null>, ms: number): Promise<number | null | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([exited, new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
