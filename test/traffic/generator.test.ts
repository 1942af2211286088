import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MirroredRequest, PrimaryOutput } from '../../src/contracts/index.ts';
import {
  type Envelope,
  type Traffic,
  expectedOutput,
  generateTraffic,
  loadDataset,
  mulberry32,
  readNdjson,
  rowFeatures,
  toNdjson,
  writeNdjson,
} from '../../src/traffic/index.ts';

const bc = loadDataset('breast_cancer');

const RATES = {
  missingPrimaryRate: 0.05,
  inlinePrimaryRate: 0.2,
  duplicateRate: 0.03,
  invalidRate: 0.02,
  primaryErrorRate: 0.04,
  reorderRate: 0.1,
  maxSkewMs: 40,
  ratePerSec: 500,
};
const N = 20_000;
const big: Traffic = generateTraffic({ dataset: bc, model: 'diagnosis', primaryVersion: 'v9', count: N, seed: 7, ...RATES });

/** |observed - p| within 5 binomial standard deviations (plus a tiny floor). */
function assertRate(name: string, hits: number, n: number, p: number): void {
  const observed = hits / n;
  const tol = 5 * Math.sqrt((p * (1 - p)) / n) + 1e-3;
  assert.ok(Math.abs(observed - p) <= tol, `${name}: observed ${observed.toFixed(4)} vs requested ${p} (tolerance ${tol.toFixed(4)})`);
}

const isObj = (p: Envelope['payload']): p is Record<string, unknown> => typeof p === 'object' && p !== null;

test('mulberry32 is a fixed sequence', () => {
  const a = mulberry32(1);
  const b = mulberry32(1);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
  for (const x of xs) assert.ok(x >= 0 && x < 1);
  assert.notDeepEqual(xs, Array.from({ length: 5 }, mulberry32(2)));
});

test('same seed gives byte-identical traffic; another seed does not', () => {
  const opts = { dataset: bc, model: 'diagnosis', primaryVersion: 'v9', count: 2000, seed: 1, ...RATES };
  const a = generateTraffic(opts);
  const b = generateTraffic({ ...opts });
  assert.equal(toNdjson(a.envelopes), toNdjson(b.envelopes));
  assert.deepEqual(a.truth, b.truth);
  assert.deepEqual(a.invalid, b.invalid);
  assert.deepEqual(a.arrivals, b.arrivals);
  const c = generateTraffic({ ...opts, seed: 2 });
  assert.notEqual(toNdjson(a.envelopes), toNdjson(c.envelopes));
});

test('changing a rate does not change which rows are drawn', () => {
  const base = { dataset: bc, model: 'diagnosis', primaryVersion: 'v9', count: 500, seed: 3 };
  const a = generateTraffic(base);
  const b = generateTraffic({ ...base, duplicateRate: 0.5, invalidRate: 0.3 });
  assert.deepEqual(a.truth.map((t) => t.row), b.truth.map((t) => t.row));
  assert.deepEqual(a.truth.map((t) => t.event_time), b.truth.map((t) => t.event_time));
});

test('requested rates roughly hold', () => {
  const { truth, invalid, counts } = big;
  assert.equal(truth.length, N);
  assert.equal(counts.requests, N);
  assertRate('missing', counts.missing_primaries, N, RATES.missingPrimaryRate);
  assertRate('inline', counts.inline_primaries, N, RATES.inlinePrimaryRate);
  const present = N - counts.missing_primaries;
  assertRate('primary errors', counts.primary_errors, present, RATES.primaryErrorRate);
  assertRate('duplicate requests', counts.duplicate_requests, N, RATES.duplicateRate);
  assertRate('duplicate primaries', counts.duplicate_primaries, counts.separate_primaries, RATES.duplicateRate);
  assertRate('reordered', counts.primaries_before_request, counts.separate_primaries, RATES.reorderRate);
  assertRate('invalid', invalid.length, N, RATES.invalidRate);
  // request rate: N requests over about N / ratePerSec seconds
  const first = truth[0]!.event_time;
  const last = truth[truth.length - 1]!.event_time;
  const observedRate = (N - 1) / ((last - first) / 1000);
  assert.ok(Math.abs(observedRate / RATES.ratePerSec - 1) < 0.05, `rate ${observedRate.toFixed(1)}/s`);
  // every invalid kind shows up
  assert.deepEqual(new Set(invalid.map((i) => i.kind)), new Set(['truncated_json', 'wrong_types', 'missing_request_id']));
  assert.deepEqual(new Set(invalid.map((i) => i.stream)), new Set(['requests', 'primaries']));
  // envelope bookkeeping adds up
  assert.equal(
    big.envelopes.length,
    N + counts.separate_primaries + counts.duplicate_requests + counts.duplicate_primaries + counts.invalid,
  );
});

test('every primary output matches a request id; missing ones have none', () => {
  const requestIds = new Set(big.truth.map((t) => t.request_id));
  const invalidKeys = new Set(big.invalid.map((i) => i.key));
  const primariesById = new Map<string, number>();
  for (const e of big.envelopes) {
    if (invalidKeys.has(e.key)) {
      assert.ok(!requestIds.has(e.key), 'invalid keys never collide with request ids');
      continue;
    }
    assert.ok(isObj(e.payload));
    assert.equal(e.payload.request_id, e.key, 'key is the request id');
    assert.ok(requestIds.has(e.key), `${e.stream} ${e.key} has a request`);
    if (e.stream === 'primaries') primariesById.set(e.key, (primariesById.get(e.key) ?? 0) + 1);
  }
  for (const t of big.truth) {
    const req = big.envelopes[t.request_index]!;
    assert.equal(req.stream, 'requests');
    assert.equal(req.key, t.request_id);
    const inline = (req.payload as Record<string, unknown>).primary_output;
    const separate = primariesById.get(t.request_id) ?? 0;
    if (t.primary === 'missing') {
      assert.equal(separate, 0);
      assert.equal(inline, undefined);
      assert.equal(t.primary_output, null);
    } else if (t.primary === 'inline') {
      assert.equal(separate, 0);
      assert.ok(inline);
    } else {
      assert.equal(separate, t.primary_duplicated ? 2 : 1);
      assert.equal(inline, undefined);
      const prim = big.envelopes[t.primary_index!]!;
      assert.equal(prim.stream, 'primaries');
      assert.equal(prim.key, t.request_id);
      assert.equal(t.primary_before_request, t.primary_index! < t.request_index);
    }
  }
});

test('ground truth rows are in range and reproduce features, segments and primary outputs', () => {
  for (const t of big.truth) {
    assert.ok(Number.isInteger(t.row) && t.row >= 0 && t.row < bc.rows.length, `row ${t.row}`);
    const req = big.envelopes[t.request_index]!.payload as Record<string, any>;
    assert.deepEqual(req.features, rowFeatures(bc, t.row));
    assert.deepEqual(req.segments, bc.segments[t.row]);
    if (t.primary === 'missing') continue;
    const out = t.primary === 'inline' ? req.primary_output : (big.envelopes[t.primary_index!]!.payload as Record<string, any>);
    if (t.primary_error) {
      assert.deepEqual(out.output, {});
      assert.ok(out.error && typeof out.error.code === 'string');
    } else {
      assert.deepEqual(out.output, expectedOutput(bc, 'diagnosis', 'v9', t.row));
      assert.deepEqual(out.output, t.primary_output);
      assert.equal(out.error, null);
    }
  }
});

test('the candidate disagrees with the primary on a real, uneven fraction of traffic', () => {
  const byCountry = new Map<string, { n: number; dis: number }>();
  let dis = 0;
  for (const t of big.truth) {
    const p = expectedOutput(bc, 'diagnosis', 'v9', t.row);
    const c = expectedOutput(bc, 'diagnosis', 'v10', t.row);
    const d = (p.score! >= 0.5) !== (c.score! >= 0.5) ? 1 : 0;
    dis += d;
    const k = bc.segments[t.row]!.country!;
    const e = byCountry.get(k) ?? { n: 0, dis: 0 };
    e.n++;
    e.dis += d;
    byCountry.set(k, e);
  }
  const rate = dis / big.truth.length;
  assert.ok(rate > 0.02 && rate < 0.12, `overall disagreement ${rate}`);
  const rates = [...byCountry.values()].map((e) => e.dis / e.n);
  assert.ok(Math.max(...rates) > 2 * rate, 'disagreement concentrates in some countries');
});

test('valid messages satisfy the contracts; invalid ones do not', () => {
  const invalidIdx = new Set(big.invalid.map((i) => i.index));
  big.envelopes.forEach((e, i) => {
    const schema = e.stream === 'requests' ? MirroredRequest : PrimaryOutput;
    if (invalidIdx.has(i)) {
      let json: unknown;
      try {
        json = typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload;
      } catch {
        return; // truncated JSON
      }
      assert.equal(schema.safeParse(json).success, false, `invalid envelope ${i} must not validate`);
    } else {
      const r = schema.safeParse(e.payload);
      assert.ok(r.success, `envelope ${i} (${e.stream} ${e.key}): ${r.success ? '' : r.error.message}`);
    }
  });
  for (const inv of big.invalid) {
    const e = big.envelopes[inv.index]!;
    assert.equal(e.key, inv.key);
    assert.equal(e.stream, inv.stream);
    assert.equal(typeof e.payload === 'string', inv.kind === 'truncated_json');
    if (inv.kind === 'missing_request_id') assert.ok(isObj(e.payload) && !('request_id' in e.payload));
  }
});

test('arrival order is realistic: sorted, primaries within maxSkewMs of their request', () => {
  for (let i = 1; i < big.arrivals.length; i++) assert.ok(big.arrivals[i]! >= big.arrivals[i - 1]!);
  for (const t of big.truth) {
    if (t.primary !== 'separate') continue;
    const gap = big.arrivals[t.primary_index!]! - big.arrivals[t.request_index]!;
    assert.ok(Math.abs(gap) <= RATES.maxSkewMs + 0.01, `gap ${gap}`);
    assert.ok(t.primary_event_time! > t.event_time);
  }
});

test('regression and multiclass data sets produce value / scores outputs', () => {
  const db = loadDataset('diabetes');
  const r = generateTraffic({ dataset: db, model: 'progression', primaryVersion: 'v3', count: 200, seed: 5, primaryErrorRate: 0 });
  for (const t of r.truth) if (t.primary_output) assert.equal(typeof t.primary_output.value, 'number');
  const dg = loadDataset('digits');
  const m = generateTraffic({ dataset: dg, model: 'digits', primaryVersion: 'v1', count: 200, seed: 5, primaryErrorRate: 0 });
  for (const t of m.truth) {
    if (!t.primary_output) continue;
    assert.equal(t.primary_output.scores!.length, 10);
    const s = t.primary_output.scores!;
    assert.equal(t.primary_output.label, s.indexOf(Math.max(...s)));
  }
  assert.throws(() => generateTraffic({ dataset: db, model: 'progression', primaryVersion: 'v99', count: 1, seed: 1 }), /v99/);
  assert.throws(() => generateTraffic({ dataset: db, model: 'progression', primaryVersion: 'v3', count: 1, seed: 1, missingPrimaryRate: 2 }));
});

test('writeNdjson / readNdjson round trip and `shadow-compare traffic --out` write the same traffic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'traffic-'));
  try {
    const t = generateTraffic({ dataset: bc, model: 'diagnosis', primaryVersion: 'v9', count: 300, seed: 11, invalidRate: 0.05 });
    const p = join(dir, 'a', 'traffic.ndjson');
    writeNdjson(p, t.envelopes);
    assert.deepEqual(readNdjson(p), t.envelopes);
    const cliOut = join(dir, 'cli.ndjson');
    const truthOut = join(dir, 'truth.json');
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'shadow-compare.js');
    const config = join(import.meta.dirname, '..', '..', 'shadow-compare.yaml');
    const run = (args: string[]) => spawnSync(process.execPath, [bin, 'traffic', '--config', config, ...args], { encoding: 'utf8' });
    const r = run(['--dataset', 'breast_cancer', '--model', 'diagnosis', '--primary', 'v9', '--count', '300', '--seed', '11', '--invalid-rate', '0.05', '--out', cliOut, '--truth', truthOut]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(cliOut, 'utf8'), readFileSync(p, 'utf8'));
    const truth = JSON.parse(readFileSync(truthOut, 'utf8'));
    assert.deepEqual(truth.truth, t.truth);
    assert.equal(run(['--dataset', 'breast_cancer', '--out', cliOut]).status, 2, 'no --count');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
