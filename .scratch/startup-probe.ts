import { Kafka, logLevel } from 'kafkajs';
import { useKafka, uniqueName } from '../test/support/kafka.ts';
import { createTopics } from '../test/support/produce.ts';
import { testConfig } from '../test/support/config.ts';
import { startInstance, stopInstance } from '../test/support/processes.ts';

const brokers = await useKafka();
const kafka = new Kafka({ clientId: 'probe', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
for (const parts of [[3, 3], [3, 2]]) {
  const topics = { requests: uniqueName('requests'), primaries: uniqueName('primaries') };
  await createTopics(kafka, topics, parts[0], parts[1]);
  const config = testConfig({ kafka: { brokers: brokers.split(','), groupId: uniqueName('group'), topics } });
  const t0 = Date.now();
  const i = await startInstance(config, 'probe', { noWait: true });
  let ready = false;
  while (!ready && i.child.exitCode === null) {
    ready = (await fetch(`${i.url}/readyz`).catch(() => null))?.status === 200;
    await new Promise((r) => setTimeout(r, 100));
  }
  const t1 = Date.now();
  const lines = i.output().split('\n').filter(Boolean);
  const times = lines.map((l) => { try { const j = JSON.parse(l); return [j.time - t0, j.msg ?? '', j.stage ?? ''] as const; } catch { return [NaN, l.slice(0, 100), ''] as const; } });
  const first = times.find((t) => /applied 0000/.test(String(t[1])));
  const lastMig = [...times].reverse().find((t) => /applied 0000/.test(String(t[1])));
  console.log(JSON.stringify({ parts, readyOrExitMs: t1 - t0, exit: i.child.exitCode, firstLog: times[0], firstMig: first, lastMig, n: lines.length }));
  for (const t of times.filter((t) => !/applied 0000/.test(String(t[1])))) console.log('  ', t[0], String(t[1]).slice(0, 140));
  await stopInstance(i);
}
process.exit(0);
