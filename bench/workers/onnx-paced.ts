// onnxruntime spinning on vs off: a model runs one batch every `intervalMs` (a micro-batcher under a
// steady, light load), then sits idle; the process's CPU shows what idle intra-op threads burn.
import { Tensor } from 'onnxruntime-node';
import { openSession, signatureOf } from '../../src/score/session.ts';
import { workerArgs, workerResult } from '../lib/child.ts';

interface Args {
  model: string;
  batchSize: number;
  width: number;
  intervalMs: number;
  seconds: number;
  idleSeconds: number;
  intraOpThreads: number;
  allowSpinning: boolean;
  outputs: string[];
}

const a = workerArgs<Args>();
const session = await openSession(a.model, { intraOpThreads: a.intraOpThreads, allowSpinning: a.allowSpinning });
const inputName = signatureOf(session).inputs[0]!.name;
const data = new Float32Array(a.batchSize * a.width).map((_, i) => (i % 7) + 0.5);
const tensor = new Tensor('float32', data, [a.batchSize, a.width]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < 20; i++) await session.run({ [inputName]: tensor }, a.outputs);

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let calls = 0;
while (performance.now() - t0 < a.seconds * 1000) {
  await session.run({ [inputName]: tensor }, a.outputs);
  calls++;
  await sleep(a.intervalMs);
}
const busyWall = (performance.now() - t0) / 1000;
const busyCpu = process.cpuUsage(cpu0);
const cpu1 = process.cpuUsage();
const t1 = performance.now();
await sleep(a.idleSeconds * 1000);
const idleWall = (performance.now() - t1) / 1000;
const idleCpu = process.cpuUsage(cpu1);
await session.release();
workerResult({
  ...a,
  calls,
  pacedCores: (busyCpu.user + busyCpu.system) / 1e6 / busyWall,
  idleCores: (idleCpu.user + idleCpu.system) / 1e6 / idleWall,
});
