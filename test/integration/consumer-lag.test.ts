import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createScenario, produceAll, waitUntilAllWritten } from '../support/scenario.ts';
import { REPO } from '../support/config.ts';
import { startInstance, waitFor, type Instance, TEST_API_TOKEN } from '../support/processes.ts';

// Lag and caught-up come from the group's committed offsets and the log end, so they are right on
// every instance, including one the group gave no partition: topics with one partition, two
// instances. The owner is frozen (SIGSTOP, shorter than the session timeout, so the group does not
// move the partition) while records arrive: the idle instance must report them as lag and say "not
// caught up"; after SIGCONT both report lag 0 and caught up, and `status --via` says so.

/** Every sample of a metric on an instance's /metrics, with its labels. */
async function samples(i: Instance, name: string): Promise<{ labels: string; value: number }[]> {
  const text = await (await fetch(`${i.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .map((l) => ({ labels: /\{(.*)\}/.exec(l)?.[1] ?? '', value: Number(l.split(' ').pop()) }));
}

const sum = (xs: { value: number }[]) => xs.reduce((a, b) => a + b.value, 0);

describe('consumer lag and caught-up with two instances, one without partitions', () => {
  const running: Instance[] = [];
  after(() => {
    for (const i of running) {
      if (i.child.exitCode !== null || i.child.signalCode !== null) continue;
      i.child.kill('SIGCONT');
      i.child.kill('SIGKILL');
    }
  });

  it('reports the group lag and caught_up on the instance with no partitions too', async () => {
    // A long session timeout: the owner stays a member while frozen, so the partition does not move.
    const s = await createScenario({ count: 300, seed: 1701, partitions: 1, config: { kafka: { sessionTimeoutMs: 60_000 } } });
    const a = await startInstance(s.config, 'lag-a');
    running.push(a);
    const b = await startInstance(s.config, 'lag-b');
    running.push(b);
    const both = () => `a:\n${a.output().slice(-1500)}\nb:\n${b.output().slice(-1500)}`;

    // One instance owns partition 0 of both topics, the other owns nothing.
    let owner: Instance | undefined;
    let idle: Instance | undefined;
    await waitFor(
      async () => {
        const [ia, ib] = [sum(await samples(a, 'shadow_consumer_assigned_partitions')), sum(await samples(b, 'shadow_consumer_assigned_partitions'))];
        [owner, idle] = ia === 2 && ib === 0 ? [a, b] : ia === 0 && ib === 2 ? [b, a] : [undefined, undefined];
        return owner !== undefined;
      },
      30_000,
      both,
    );
    const idleAssigned = await samples(idle!, 'shadow_consumer_assigned_partitions');
    assert.deepEqual(idleAssigned.map((x) => x.value), [0, 0], 'the idle instance exports its (empty) assignment per topic');

    await produceAll(s);
    await waitUntilAllWritten(s, owner!);
    const caughtUpEverywhere = async () => {
      for (const i of [a, b]) {
        if (sum(await samples(i, 'shadow_consumer_lag_records')) !== 0) return false;
        if (sum(await samples(i, 'shadow_consumer_caught_up')) !== 1) return false;
      }
      return true;
    };
    await waitFor(caughtUpEverywhere, 30_000, both);
    const lagLines = await samples(idle!, 'shadow_consumer_lag_records');
    assert.deepEqual(lagLines.map((x) => x.labels).sort(), [`topic="${s.topics.primaries}",partition="0"`, `topic="${s.topics.requests}",partition="0"`]);

    // Freeze the owner, then add 40 requests: only the group's offsets can tell the idle instance.
    owner!.child.kill('SIGSTOP');
    const producer = s.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: s.topics.requests, acks: -1, messages: Array.from({ length: 40 }, (_, n) => ({ key: `late-${n}`, value: '{}' })) });
    await producer.disconnect();
    let seen = '';
    await waitFor(
      async () => {
        const lag = await samples(idle!, 'shadow_consumer_lag_records');
        const [caughtUp, behind] = [sum(await samples(idle!, 'shadow_consumer_caught_up')), sum(await samples(idle!, 'shadow_consumer_behind_records'))];
        seen = JSON.stringify({ lag, caughtUp, behind });
        return sum(lag) === 40 && caughtUp === 0 && behind === 40;
      },
      40_000,
      () => `idle instance reports ${seen}\n${both()}`,
    );

    owner!.child.kill('SIGCONT');
    await waitFor(caughtUpEverywhere, 40_000, both);

    const status = await statusVia(s.config, idle!.url);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^ {2}caught up {3}yes, 0 records behind \\(group ${s.config.kafka.groupId}, from the processor at ${idle!.url}\\)$`, 'm'));
  });
});

function statusVia(config: object, via: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'shadow-status-')), 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [join(REPO, 'bin', 'shadow-compare.js'), 'status', 'diagnosis', '--via', via, '--config', file, '--log-level', 'warn'], { cwd: REPO, env: { ...process.env, SHADOW_API_TOKEN: TEST_API_TOKEN } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
