// Soak run (not a CI test): steady mirrored traffic for N minutes into a private broker, with the
// processor SIGKILLed and the broker restarted periodically. Reports processor RSS over time, how long
// the written counts take to catch up after each fault, and the final exact-count check (the fault
// suite's oracle). Usage:
//   npx tsx scripts/soak.ts [--minutes 30] [--rate 300] [--kill-every 120] [--broker-every 420] [--out FILE.md]
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from './kafka/broker.ts';
import { createHttpRunner } from '../src/query/index.ts';
import { generateTraffic, loadDataset } from '../src/traffic/index.ts';
import { testConfig } from '../test/support/config.ts';
import { groundTruth, type Figures, type Truth } from '../test/support/ground-truth.ts';
import { checkCounts, writtenIdentities } from '../test/support/oracle.ts';
import { startInstance, stopInstance, waitFor, TEST_API_TOKEN, type Instance } from '../test/support/processes.ts';
import { acknowledgedRecords, createTopics, produceEnvelopes } from '../test/support/produce.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '300' },
    'kill-every': { type: 'string', default: '120' },
    'broker-every': { type: 'string', default: '420' },
    out: { type: 'string', default: 'bench/results/soak.md' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const killEvery = Number(values['kill-every']) * 1000;
const brokerEvery = Number(values['broker-every']) * 1000;
const log = (m: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const ds = loadDataset('breast_cancer');
const brokerDir = mkdtempSync(join(tmpdir(), 'soak-broker-'));
let broker: Broker = await startBroker({ dataDir: brokerDir, log });
const ports = broker.ports;
const kafka = new Kafka({ clientId: 'soak', brokers: [broker.brokers], logLevel: logLevel.NOTHING });
const topics = { requests: `soak-requests-${Date.now()}`, primaries: `soak-primaries-${Date.now()}` };
await createTopics(kafka, topics, 3);
const config = testConfig({
  kafka: { brokers: [broker.brokers], groupId: `soak-${Date.now()}`, topics, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000 },
  join: { windowMs: 5000, idleMs: 1000 },
});
const dataDir = join(mkdtempSync(join(tmpdir(), 'soak-data-')), 'data');
let instance: Instance = await startInstance(config, 'soak', { dataDir });

const truth: Truth = { overall: zero(), segments: new Map(), rejects: 0 };
let producedTotal = 0;
let brokerDown = false;
const rss: { minute: number; mb: number }[] = [];
const recoveries: { fault: string; at: number; catchUpSeconds: number }[] = [];
const started = Date.now();
const deadline = started + minutes * 60_000;

function zero(): Figures {
  return { compared: 0, agreements: 0, both_ok: 0, candidate_errors: 0, primary_errors: 0, unmatched_requests: 0, unmatched_primaries: 0, duplicates: 0 };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function written(i: Instance): Promise<number> {
  const w = await writtenIdentities(createHttpRunner(i.url, { token: TEST_API_TOKEN }), 'shadow').catch(() => null);
  return w ? w.reqIds + w.primIds : -1;
}

/** Time until the written identities reach what had been produced when the fault ended. */
async function measureCatchUp(fault: string): Promise<void> {
  const t0 = Date.now();
  // Let traffic produced after the fault arrive too: catching up means writing that as well.
  await new Promise((r) => setTimeout(r, 2000));
  const target = producedTotal;
  await waitFor(async () => (await written(instance)) >= target, 300_000, () => `catch-up after ${fault}`);
  recoveries.push({ fault, at: Math.round((t0 - started) / 1000), catchUpSeconds: (Date.now() - t0) / 1000 });
  log(`${fault}: caught up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function produceLoop(): Promise<void> {
  for (let second = 0; Date.now() < deadline; second++) {
    const tick = Date.now();
    const traffic = generateTraffic({ dataset: ds, model: 'diagnosis', primaryVersion: 'v9', count: rate, seed: second + 1, startTime: tick, ratePerSec: rate, idPrefix: `s${second}-` });
    // The mirror buffers while the broker is down (a send in flight when it went down is retried).
    for (;;) {
      while (brokerDown) await new Promise((r) => setTimeout(r, 200));
      try {
        await produceEnvelopes(kafka, topics, traffic.envelopes);
        break;
      } catch (err) {
        log(`produce failed (${String(err).slice(0, 80)}); retrying`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const t = groundTruth(traffic, ds, 'diagnosis', 'v10');
    for (const k of Object.keys(truth.overall) as (keyof Figures)[]) truth.overall[k] += t.overall[k];
    truth.rejects += t.rejects;
    producedTotal += traffic.envelopes.length;
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tick))));
  }
}

async function faultLoop(): Promise<void> {
  let nextKill = started + killEvery;
  let nextBroker = started + brokerEvery;
  while (Date.now() < deadline - 30_000) {
    await new Promise((r) => setTimeout(r, 1000));
    if (Math.floor((Date.now() - started) / 10_000) > rss.length) rss.push({ minute: (Date.now() - started) / 60_000, mb: rssMb(instance.child.pid!) });
    if (Date.now() >= nextKill) {
      nextKill += killEvery;
      log('SIGKILL processor');
      instance.child.kill('SIGKILL');
      await instance.exited;
      instance = await startInstance(config, 'soak', { dataDir });
      await measureCatchUp('processor SIGKILL');
    } else if (Date.now() >= nextBroker) {
      nextBroker += brokerEvery;
      log('broker stop (15 s, longer than the session timeout)');
      brokerDown = true;
      await broker.stop();
      await new Promise((r) => setTimeout(r, 15_000));
      broker = await startBroker({ dataDir: brokerDir, ports, log });
      brokerDown = false;
      await measureCatchUp('broker restart');
    }
  }
}

try {
  await Promise.all([produceLoop(), faultLoop()]);
  const acked = await acknowledgedRecords(kafka, topics);
  await waitFor(async () => (await written(instance)) >= acked.requests + acked.primaries, 300_000, () => 'final catch-up');
  await new Promise((r) => setTimeout(r, 3000));
  const violations = await checkCounts(createHttpRunner(instance.url, { token: TEST_API_TOKEN }), 'shadow', truth, acked);
  const report = [
    `# Soak run: ${minutes} min at ${rate} requests/s (${new Date(started).toISOString()})`,
    '',
    `Records produced and acknowledged: ${acked.requests} requests, ${acked.primaries} primary outputs.`,
    `Final exact-count check: ${violations.length === 0 ? 'PASS (no violation)' : `FAIL\n\n- ${violations.join('\n- ')}`}`,
    '',
    '| fault | at (s) | catch-up (s) |',
    '| --- | --- | --- |',
    ...recoveries.map((r) => `| ${r.fault} | ${r.at} | ${r.catchUpSeconds.toFixed(1)} |`),
    '',
    '| minute | processor RSS (MB) |',
    '| --- | --- |',
    ...rss.filter((_, i) => i % 6 === 0).map((r) => `| ${r.minute.toFixed(1)} | ${r.mb.toFixed(0)} |`),
    '',
  ].join('\n');
  mkdirSync(dirname(values.out!), { recursive: true });
  writeFileSync(values.out!, report);
  process.stdout.write(report);
  process.exitCode = violations.length === 0 ? 0 : 1;
} finally {
  await stopInstance(instance).catch(() => {});
  await broker.stop();
}
