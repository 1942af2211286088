/**
 * A real single-node Apache Kafka broker (KRaft, 127.0.0.1) for tests and local runs.
 * Jars come from Maven Central through scripts/kafka/pom.xml into .cache/kafka/<version>/libs.
 *
 *   npx tsx scripts/kafka/broker.ts fetch                     download the jars only
 *   npx tsx scripts/kafka/broker.ts start [--data-dir DIR]    run in the foreground until SIGINT/SIGTERM
 *   npx tsx scripts/kafka/broker.ts stop [--all]              stop what .cache/kafka/current.json names
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const POM = join(ROOT, 'scripts/kafka/pom.xml');
export const CACHE_DIR = join(ROOT, '.cache/kafka');
const CURRENT_FILE = join(CACHE_DIR, 'current.json');
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;
const FETCH_LOCK_TIMEOUT_MS = 10 * 60_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const JAVA = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

type Log = (line: string) => void;
export interface BrokerOptions {
  /** Keep the broker's data here across runs (formatted once, never deleted). Default: a fresh folder removed on stop. */
  dataDir?: string;
  /** Listen on these ports (a restarted broker must keep its address and controller quorum). Default: free ones. */
  ports?: { broker: number; controller: number };
  log?: Log;
}
export interface Broker {
  brokers: string;
  ports: { broker: number; controller: number };
  pid: number;
  runDir: string;
  /** Settles when the JVM exits, for whatever reason. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

const defaultLog: Log = (line) => process.stderr.write(`[kafka] ${line}\n`);

// ---------------------------------------------------------------- jars

function pomInfo(): { version: string; hash: string } {
  const pom = readFileSync(POM, 'utf8');
  const version = /<kafka\.version>([\w.-]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error(`no <kafka.version> in ${POM}`);
  return { version, hash: createHash('sha256').update(pom).digest('hex') };
}

/** Returns the folder of broker jars, fetching them with Maven unless this exact pom's set is cached. */
export async function ensureJars(log: Log = defaultLog): Promise<string> {
  const { version, hash } = pomInfo();
  const dir = join(CACHE_DIR, version);
  const libs = join(dir, 'libs');
  // Written last, so a fetch that died half-way never counts as cached.
  const marker = join(dir, 'pom.sha256');
  const cached = () => existsSync(marker) && readFileSync(marker, 'utf8') === hash;
  if (cached()) return libs;
  await withLock(join(CACHE_DIR, `${version}.lock`), async () => {
    if (cached()) return; // another process fetched them while we waited
    const tmp = `${libs}.tmp-${process.pid}`;
    const t0 = Date.now();
    log(`fetching Kafka ${version} jars with Maven (first run only)...`);
    await rm(tmp, { recursive: true, force: true });
    await run('mvn', ['-B', '-q', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`]);
    await rm(marker, { force: true });
    await rm(libs, { recursive: true, force: true });
    await rename(tmp, libs);
    await writeFile(marker, hash);
    log(`jars cached in ${libs} (${seconds(t0)})`);
  });
  return libs;
}

/** mkdir is atomic, so a lock folder holding its owner's pid serialises fetches across processes. */
async function withLock(lock: string, fn: () => Promise<void>): Promise<void> {
  await mkdir(CACHE_DIR, { recursive: true });
  const deadline = Date.now() + FETCH_LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => '0'));
    if (owner && !isAlive(owner)) {
      await rm(lock, { recursive: true, force: true }); // its owner died mid-fetch
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (pid ${owner}); delete it if stale`);
    await sleep(500);
  }
  try {
    await writeFile(join(lock, 'pid'), String(process.pid));
    await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** Runs a command to completion; a failure carries the tail of its output. */
function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (chunk: Buffer) => (out = (out + chunk.toString()).slice(-16_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => fail(new Error(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code) =>
      code === 0 ? done() : fail(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${tail(out, 30)}`)),
    );
  });
}

// ---------------------------------------------------------------- start

export async function startBroker(opts: BrokerOptions = {}): Promise<Broker> {
  const log = opts.log ?? defaultLog;
  const libs = await ensureJars(log);
  await stopAll({ log });
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(libs, opts, log);
    } catch (e) {
      // The free ports are released before the JVM binds them, so another process may win one.
      if (attempt < 3 && !opts.ports && /Address already in use/.test(String(e))) continue;
      throw e;
    }
  }
}

async function launch(libs: string, opts: BrokerOptions, log: Log): Promise<Broker> {
  const dataDir = opts.dataDir;
  const t0 = Date.now();
  await mkdir(CACHE_DIR, { recursive: true });
  const runDir = await mkdtemp(join(CACHE_DIR, `run-${process.pid}-`));
  let broker: Broker | undefined;
  try {
    const [port, controllerPort] = opts.ports ? [opts.ports.broker, opts.ports.controller] : await freePorts(2);
    const brokers = `127.0.0.1:${port}`;
    const logDir = dataDir ? resolve(dataDir) : join(runDir, 'data');
    await writeConfig(runDir, logDir, port!, controllerPort!);
    // A kept data dir is formatted once; re-formatting would demand the cluster id it was made with.
    if (!existsSync(join(logDir, 'meta.properties'))) await formatStorage(libs, runDir);
    broker = { ...supervise(spawnJvm(libs, runDir), runDir, brokers), ports: { broker: port!, controller: controllerPort! } };
    await writeFile(join(runDir, 'broker.json'), JSON.stringify({ pid: broker.pid, ownerPid: process.pid, brokers }));
    await waitUntilReady(brokers, broker.exited, runDir);
    log(`broker ${brokers} ready in ${seconds(t0)} (pid ${broker.pid}, log ${join(runDir, 'broker.log')})`);
    return broker;
  } catch (e) {
    await (broker ? broker.stop() : rm(runDir, { recursive: true, force: true }));
    throw e;
  }
}

async function freePorts(count: number): Promise<number[]> {
  // All listen at once so the kernel hands out distinct ports.
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<typeof server>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', () => ok(server)));
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}

// Root level comes from a system property so the storage tool can run quietly with the same file.
const LOG4J2 = `rootLogger.level = \${sys:kafka.log.level:-INFO}
rootLogger.appenderRef.out.ref = out
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
`;

async function writeConfig(runDir: string, logDir: string, port: number, controllerPort: number): Promise<void> {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    // A static voter list formats without --standalone, on 3.9 and 4.x alike.
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': logDir,
    'num.partitions': 1,
    'auto.create.topics.enable': false,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
  };
  const text = Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n');
  await writeFile(join(runDir, 'server.properties'), `${text}\n`);
  await writeFile(join(runDir, 'log4j2.properties'), LOG4J2);
}

async function formatStorage(libs: string, runDir: string): Promise<void> {
  // A Kafka cluster id is 16 random bytes in unpadded url-safe base64 (what `random-uuid` prints).
  // As Kafka's own Uuid.randomUuid(): never one starting with '-', which the storage tool's argument
  // parser reads as an option ("argument --cluster-id/-t: expected one argument"), 1 start in 64.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const args = ['format', '-t', clusterId, '-c', join(runDir, 'server.properties')];
  await run(JAVA, [...jvmArgs(libs, runDir, '-Xmx256m', '-Dkafka.log.level=WARN'), 'kafka.tools.StorageTool', ...args]);
}

function jvmArgs(libs: string, runDir: string, ...extra: string[]): string[] {
  return [...extra, `-Dlog4j2.configurationFile=${join(runDir, 'log4j2.properties')}`, '-cp', join(libs, '*')];
}

function spawnJvm(libs: string, runDir: string): ChildProcess {
  const out = openSync(join(runDir, 'broker.log'), 'a');
  try {
    const args = [...jvmArgs(libs, runDir, '-Xmx512m', '-Xms256m'), 'kafka.Kafka', join(runDir, 'server.properties')];
    // Own process group, no stdin: a Ctrl-C in the terminal reaches us, and we stop the JVM in order.
    const child = spawn(JAVA, args, { cwd: runDir, detached: true, stdio: ['ignore', out, out] });
    child.once('error', () => {}); // a failed spawn shows as the missing pid below
    child.unref(); // the host may exit while the JVM runs; its 'exit' handler and the watchdog stop it
    if (child.pid === undefined) throw new Error(`cannot start ${JAVA}; is a JDK 17+ installed?`);
    return child;
  } finally {
    closeSync(out);
  }
}

async function waitUntilReady(brokers: string, exited: Promise<void>, runDir: string): Promise<void> {
  let jvmExited = false;
  void exited.then(() => (jvmExited = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = '';
  while (Date.now() < deadline) {
    if (jvmExited) throw await startFailure(runDir, 'the broker JVM exited during start-up');
    try {
      return await describeCluster(brokers);
    } catch (e) {
      lastError = (e as Error).message;
    }
    await sleep(250);
  }
  const reason = `no answer to describeCluster on ${brokers} within ${READY_TIMEOUT_MS / 1000} s (last error: ${lastError})`;
  throw await startFailure(runDir, reason);
}

async function describeCluster(brokers: string): Promise<void> {
  const kafka = new Kafka({
    clientId: 'kafka-ready-check',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function startFailure(runDir: string, reason: string): Promise<Error> {
  const text = await readFile(join(runDir, 'broker.log'), 'utf8').catch(() => '');
  const saved = join(CACHE_DIR, 'last-failure.log'); // the run folder is removed on the way out
  await writeFile(saved, text).catch(() => {});
  return new Error(`Kafka broker failed to start: ${reason}.\nLast lines of the broker log (all of it: ${saved}):\n${tail(text, 40)}`);
}

// ---------------------------------------------------------------- stop

/**
 * Runs detached, so even a SIGKILL of the owner or of its whole process group leaves it alive to
 * stop the JVM once the owner is gone ($1 owner pid, $2 JVM pid, $3 run folder).
 */
const WATCHDOG = `
while kill -0 "$1" 2>/dev/null; do sleep 1; done
kill -TERM "$2" 2>/dev/null
i=0; while kill -0 "$2" 2>/dev/null && [ $i -lt ${STOP_GRACE_MS / 100} ]; do sleep 0.1; i=$((i+1)); done
kill -KILL "$2" 2>/dev/null
rm -rf "$3"`;

function supervise(child: ChildProcess, runDir: string, brokers: string): Omit<Broker, 'ports'> {
  const pid = child.pid!;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()).once('error', () => ok()));
  const watchdogArgs = ['-c', WATCHDOG, 'kafka-watchdog', String(process.pid), String(pid), runDir];
  const watchdog = spawn('sh', watchdogArgs, { detached: true, stdio: 'ignore' });
  watchdog.unref();
  const onExit = () => signal(pid, 'SIGTERM'); // 'exit' handlers must be synchronous; the watchdog finishes up
  const onSignal = async (sig: NodeJS.Signals) => {
    await stop();
    // Behave like the default handler unless the host installed its own.
    if (process.listenerCount(sig) === 0) process.exit(128 + (constants.signals[sig] ?? 0));
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.off('exit', onExit);
      for (const s of SIGNALS) process.off(s, onSignal);
      await terminate(pid, (ms) => settlesWithin(exited, ms));
      if (watchdog.pid) signal(watchdog.pid, 'SIGTERM');
      await rm(runDir, { recursive: true, force: true });
    })());
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
  return { brokers, pid, runDir, exited, stop };
}

/** SIGTERM lets Kafka shut down cleanly; SIGKILL if it has not within the grace period. */
async function terminate(pid: number, goneWithin: (ms: number) => Promise<boolean>): Promise<void> {
  signal(pid, 'SIGTERM');
  if (await goneWithin(STOP_GRACE_MS)) return;
  signal(pid, 'SIGKILL');
  await goneWithin(5000);
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((ok) => (timer = setTimeout(ok, ms, false)));
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

async function deadWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Stops brokers recorded under .cache/kafka/run-* and removes their folders: by default only
 * leftovers whose owner process is gone; with `all`, every one (also those of live test runs).
 */
export async function stopAll(opts: { all?: boolean; log?: Log } = {}): Promise<number> {
  const names = await readdir(CACHE_DIR).catch(() => [] as string[]);
  let stopped = 0;
  for (const name of names.filter((n) => n.startsWith('run-'))) {
    const runDir = join(CACHE_DIR, name);
    const info = await readJson<{ pid: number; ownerPid: number }>(join(runDir, 'broker.json'));
    const ownerPid = info?.ownerPid ?? Number(/^run-(\d+)-/.exec(name)?.[1]);
    if (!opts.all && isAlive(ownerPid)) continue;
    if (info && isBrokerOf(info.pid, runDir)) {
      (opts.log ?? defaultLog)(`stopping leftover broker pid ${info.pid} (${runDir})`);
      await terminate(info.pid, (ms) => deadWithin(info.pid, ms));
      stopped++;
    }
    await rm(runDir, { recursive: true, force: true });
  }
  return stopped;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers kill -0 until its parent reaps it.
  const stat = readText(`/proc/${pid}/stat`);
  return !stat || stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** Guards against pid reuse: only a JVM started with this run folder's config is ours to kill. */
function isBrokerOf(pid: number, runDir: string): boolean {
  const cmdline = readText(`/proc/${pid}/cmdline`);
  return cmdline === undefined ? isAlive(pid) : cmdline.includes(join(runDir, 'server.properties'));
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

const tail = (text: string, lines: number) => text.trimEnd().split('\n').slice(-lines).join('\n');
const seconds = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------- CLI

interface Current {
  brokers: string;
  pid: number;
  ownerPid: number;
  runDir: string;
}

async function cliStart(args: string[]): Promise<void> {
  const at = args.indexOf('--data-dir');
  const broker = await startBroker({ dataDir: at >= 0 ? args[at + 1] : undefined });
  const current: Current = { brokers: broker.brokers, pid: broker.pid, ownerPid: process.pid, runDir: broker.runDir };
  await writeFile(CURRENT_FILE, `${JSON.stringify(current, null, 2)}\n`);
  console.log(`KAFKA_BROKERS=${broker.brokers}`);
  const keepAlive = setInterval(() => {}, 1 << 30); // the JVM child is unref'd
  const reason = await new Promise<string>((ok) => {
    // `on`, not `once`: while we listen, the broker's own handler leaves exiting to us.
    for (const s of SIGNALS) process.on(s, () => ok(s));
    void broker.exited.then(() => ok('the JVM exited'));
  });
  defaultLog(`stopping (${reason})`);
  await broker.stop();
  clearInterval(keepAlive);
  if ((await readJson<Current>(CURRENT_FILE))?.ownerPid === process.pid) await rm(CURRENT_FILE, { force: true });
  if (reason === 'the JVM exited') process.exitCode = 1;
}

async function cliStop(all: boolean): Promise<void> {
  const current = await readJson<Current>(CURRENT_FILE);
  if (current && isAlive(current.ownerPid) && current.ownerPid !== process.pid) {
    signal(current.ownerPid, 'SIGTERM'); // the foreground `start` stops its broker and cleans up
    await deadWithin(current.ownerPid, STOP_GRACE_MS + 5000);
  }
  if (current && isBrokerOf(current.pid, current.runDir)) await terminate(current.pid, (ms) => deadWithin(current.pid, ms));
  if (current) await rm(current.runDir, { recursive: true, force: true });
  await rm(CURRENT_FILE, { force: true });
  const leftovers = await stopAll({ all });
  defaultLog(current ? `stopped ${current.brokers}` : `nothing in ${CURRENT_FILE}; ${leftovers} leftover broker(s) stopped`);
}

async function cli([cmd, ...args]: string[]): Promise<void> {
  if (cmd === 'fetch') console.log(await ensureJars());
  else if (cmd === 'start') await cliStart(args);
  else if (cmd === 'stop') await cliStop(args.includes('--all'));
  else {
    console.error('usage: tsx scripts/kafka/broker.ts fetch | start [--data-dir DIR] | stop [--all]');
    process.exitCode = 2;
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
