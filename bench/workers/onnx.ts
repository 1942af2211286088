// Ceiling 3 of 3 and the batch-size sweep: raw onnxruntime throughput of a model, with the session
// options the scorer uses (src/score/session.ts), over real feature rows, per batch size.
import { Tensor } from 'onnxruntime-node';
import { openSession, signatureOf } from '../../src/score/session.ts';
import { rowFeatures } from '../../src/traffic/index.ts';
import { benchDataset } from '../lib/backlog.ts';
import { workerArgs, workerResult } from '../lib/child.ts';
import { quantile } from '../lib/stats.ts';

interface Args {
  model: string;
  batchSizes: number[];
  seconds: number;
  intraOpThreads: number;
  allowSpinning: boolean;
  features: string[];
  outputs: string[];
}

const a = workerArgs<Args>();
const ds = benchDataset();
const session = await openSession(a.model, { intraOpThreads: a.intraOpThreads, allowSpinning: a.allowSpinning });
const inputName = signatureOf(session).inputs[0]!.name;
const width = a.features.length;
const rows = ds.rows.map((_, i) => {
  const f = rowFeatures(ds, i);
  return a.features.map((n) => Number(f[n]));
});

const points = [];
for (const b of a.batchSizes) {
  // Distinct tensors over the data set, built before timing: packing is measured by the decode worker.
  const tensors = Array.from({ length: 16 }, (_, k) => {
    const data = new Float32Array(b * width);
    for (let r = 0; r < b; r++) data.set(rows[(k * b + r) % rows.length]!, r * width);
    return new Tensor('float32', data, [b, width]);
  });
  const run = (k: number) => session.run({ [inputName]: tensors[k % tensors.length]! }, a.outputs);
  const warm = performance.now();
  let k = 0;
  while (performance.now() - warm < 200) await run(k++);
  const calls: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < a.seconds * 1000) {
    const s = performance.now();
    await run(k++);
    calls.push(performance.now() - s);
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  calls.sort((x, y) => x - y);
  points.push({
    batchSize: b,
    rowsPerSec: (calls.length * b) / wall,
    usPerRow: (wall * 1e6) / (calls.length * b),
    cpuUsPerRow: ((cpu.user + cpu.system) / (calls.length * b)),
    callMs: { p50: quantile(calls, 0.5), p99: quantile(calls, 0.99), max: calls[calls.length - 1] },
    calls: calls.length,
  });
}
await session.release();
workerResult({ model: a.model, intraOpThreads: a.intraOpThreads, allowSpinning: a.allowSpinning, points });
