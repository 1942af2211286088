import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { demotedVersion, withGuardCandidate } from '../../src/guard/candidate.ts';
import { afterGate, stillGuarding } from '../../src/guard/decide.ts';
import { pageOwner, type GuardPage } from '../../src/guard/page.ts';
import { runGuard, type GuardDeps, type GateOutcome } from '../../src/guard/run.ts';
import { createLogger } from '../../src/ops/logger.ts';
import type { ModelEntry } from '../../src/registry/types.ts';
import { REPO } from '../support/config.ts';
import { join } from 'node:path';

// The guard without services: its decisions, the candidate it makes the processor shadow, its loop
// with a fake clock and gate, and the page to a local contact point.

const MIN = 60_000;
const base = loadConfig(join(REPO, 'shadow-compare.yaml'));
const on = { ...base, guard: { ...base.guard, enabled: true } };
const artifact = (v: string) => ({ path: `/models/${v}.onnx`, sha256: v, sizeBytes: 1 });
const entry = (lineage: string[]): ModelEntry => ({
  versions: Object.fromEntries(['v8', 'v9', 'v10'].map((v) => [v, { model: 'diagnosis', version: v, artifact: artifact(v), signature: {} as never, featureSchemaVersion: '1', registeredAt: '', registeredBy: '' }])),
  production: lineage.at(-1) ?? null,
  lineage,
  history: [],
});

describe('guard', () => {
  it('is off by default and leaves the configured candidate alone', () => {
    assert.equal(base.guard.enabled, false);
    assert.equal(withGuardCandidate(base, entry(['v9', 'v10'])), base);
  });

  it('makes the processor shadow the version the last promotion demoted', () => {
    assert.deepEqual(demotedVersion(on, entry(['v8', 'v9', 'v10'])), { version: 'v9', path: '/models/v9.onnx' });
    const c = withGuardCandidate(on, entry(['v9', 'v10']));
    assert.deepEqual({ version: c.candidate.version, path: c.candidate.path, features: c.candidate.features }, { version: 'v9', path: '/models/v9.onnx', features: base.candidate.features });
    assert.equal(demotedVersion(on, entry(['v10'])), null, 'nothing demoted: nothing to guard with');
  });

  it('rolls back only on REJECT, and stops when production moved or the period is over', () => {
    const s = { guarded: 'v10', demoted: 'v9', production: 'v10', elapsedMs: 5 * MIN, durationMs: 60 * MIN };
    assert.deepEqual(stillGuarding(s), { action: 'watch' });
    assert.equal(stillGuarding({ ...s, production: 'v11' }).action, 'stop');
    assert.equal(stillGuarding({ ...s, elapsedMs: 60 * MIN }).action, 'stop');
    assert.deepEqual(afterGate(s, { decision: 'HOLD', decisionId: 'd', reasons: ['x'] }), { action: 'watch' });
    assert.deepEqual(afterGate(s, { decision: 'PROMOTE', decisionId: 'd', reasons: [] }), { action: 'watch' });
    const r = afterGate(s, { decision: 'REJECT', decisionId: 'd1', reasons: ['overall: agreement 61% is below 90%'] });
    assert.deepEqual(r, { action: 'rollback', reason: 'guard: gate REJECT of v10 against v9 (decision d1): overall: agreement 61% is below 90%' });
  });

  it('evaluates every period and rolls back at the first REJECT, measuring detection to flip from the decision', async () => {
    let now = Date.parse('2026-12-02T00:00:00Z');
    const verdicts: GateOutcome[] = [
      { decision: 'HOLD', decisionId: 'a', reasons: ['not enough'] },
      { decision: 'PROMOTE', decisionId: 'b', reasons: [] },
      { decision: 'REJECT', decisionId: 'c', reasons: ['overall: agreement collapsed'] },
      { decision: 'REJECT', decisionId: 'd', reasons: ['never reached'] },
    ];
    const calls: string[] = [];
    const pages: GuardPage[] = [];
    const deps: GuardDeps = {
      production: () => 'v10',
      gate: async () => {
        now += 400; // the gate's own time
        calls.push(`gate@${now}`);
        return verdicts.shift()!;
      },
      rollback: async (reason, id, detectedMs) => {
        now += 150;
        calls.push(`rollback ${id} ${reason}`);
        return { promotionId: 'p1', flipMs: now - detectedMs };
      },
      page: async (p) => void pages.push(p),
      now: () => now,
      sleep: async (ms) => void (now += ms),
      log: () => {},
    };
    const start = now;
    const out = await runGuard(deps, { model: 'diagnosis', guarded: 'v10', demoted: 'v9', promotedMs: start, periodMs: 2000, durationMs: 30 * MIN, owner: 'team', runbook: null });
    assert.equal(out.outcome, 'rolled-back');
    assert.deepEqual(calls, [`gate@${start + 400}`, `gate@${start + 2800}`, `gate@${start + 5200}`, 'rollback c guard: gate REJECT of v10 against v9 (decision c): overall: agreement collapsed']);
    assert.equal(out.outcome === 'rolled-back' && out.detectionToFlipMs, 150);
    assert.equal(pages.length, 1);
    assert.deepEqual({ code: pages[0]!.code, from: pages[0]!.from, to: pages[0]!.to, gate: pages[0]!.gateDecisionId, ms: pages[0]!.detectionToFlipMs }, { code: 'SHADOW_GUARD_ROLLBACK', from: 'v10', to: 'v9', gate: 'c', ms: 150 });
  });

  it('stops without acting when production changed or the period ended', async () => {
    let now = 0;
    const deps = (production: string): GuardDeps => ({
      production: () => production, gate: async () => ({ decision: 'HOLD', decisionId: 'x', reasons: [] }), rollback: async () => assert.fail('rolled back'),
      page: async () => assert.fail('paged'), now: () => now, sleep: async (ms) => void (now += ms), log: () => {},
    });
    const o = { model: 'diagnosis', guarded: 'v10', demoted: 'v9', promotedMs: 0, periodMs: 60_000, durationMs: 10 * MIN, owner: null, runbook: null };
    assert.deepEqual(await runGuard(deps('v11'), o), { outcome: 'stopped', why: 'production is v11 now, not v10: nothing to guard' });
    assert.equal((await runGuard(deps('v10'), o)).outcome, 'stopped');
    assert.equal(now, 10 * MIN);
  });

  it('pages the contact point with a JSON POST, and logs fatal with the stable code when there is none', async () => {
    const got: unknown[] = [];
    const server = createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        got.push(JSON.parse(b));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook/secret-token`;
    const page: GuardPage = { code: 'SHADOW_GUARD_ROLLBACK', model: 'diagnosis', from: 'v10', to: 'v9', reason: 'r', gateDecisionId: 'g', promotionId: 'p', detectedAt: '2026-12-02T00:00:00.000Z', detectionToFlipMs: 12, owner: 'o', runbook: null };
    const lines: string[] = [];
    const log = createLogger({ level: 'info' });
    const capture = { ...log, warn: (o: object, m: string) => lines.push(`warn ${m} ${JSON.stringify(o)}`), fatal: (o: object, m: string) => lines.push(`fatal ${m} ${JSON.stringify(o)}`) } as unknown as typeof log;
    try {
      assert.deepEqual(await pageOwner(page, { contact: url, timeoutMs: 2000, log: capture }), { delivered: true, detail: 'contact answered 200' });
      assert.deepEqual(got, [page]);
      assert.doesNotMatch(lines.join('\n'), /secret-token/, 'the webhook path is not logged');
      const none = await pageOwner(page, { timeoutMs: 2000, log: capture });
      assert.equal(none.delivered, false);
      assert.match(lines.at(-1)!, /^fatal .*"code":"SHADOW_GUARD_ROLLBACK"/);
    } finally {
      server.close();
    }
  });
});
