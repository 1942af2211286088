// CPU and memory of processes from /proc (Linux): the processor, the broker JVM, the producer and the
// machine as a whole, so a report can say who used the two cores during a measurement.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const CLK_TCK = 100; // `getconf CLK_TCK` on Linux x86-64/arm64

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds of a process (all its threads), or NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  const s = read(`/proc/${pid}/stat`);
  if (!s) return NaN;
  const f = statFields(s);
  // utime, stime are fields 14 and 15 (1-based) of stat; f starts at field 3.
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** Current and peak resident set size in bytes (VmRSS, VmHWM). */
export function memory(pid: number): { rss: number; peak: number } {
  const s = read(`/proc/${pid}/status`);
  if (!s) return { rss: NaN, peak: NaN };
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** CPU seconds per thread name (comm), e.g. the JS main thread vs chDB's pools vs libuv workers. */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const s = read(`/proc/${pid}/task/${tid}/stat`);
    if (!s) continue;
    const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    // Numbered pools ("QueryPipelineEx", "TCPHandler-3", "libuv-worker") collapse into one name.
    const key = tid === String(pid) ? 'main (JS thread)' : name.replace(/[-_ ]?\d+$/, '');
    const f = statFields(s);
    out.set(key, (out.get(key) ?? 0) + (Number(f[11]) + Number(f[12])) / CLK_TCK);
  }
  return out;
}

/** Busy and total CPU seconds of the whole machine since boot (from /proc/stat). */
export function machineCpu(): { busy: number; total: number } {
  const line = read('/proc/stat')?.split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

export interface CpuMark {
  readonly at: number;
  readonly cpu: Map<number, number>;
  readonly machine: { busy: number; total: number };
}

/** Marks the CPU counters of some processes and of the machine; `since` turns two marks into a share. */
export function markCpu(pids: readonly number[]): CpuMark {
  return { at: performance.now(), cpu: new Map(pids.map((p) => [p, cpuSeconds(p)])), machine: machineCpu() };
}

export interface CpuUse {
  wallSeconds: number;
  /** CPU seconds used by each pid between the two marks. */
  seconds: Map<number, number>;
  machineBusySeconds: number;
  /** Cores the machine had busy on average (0..nproc). */
  machineBusyCores: number;
}

export function cpuSince(a: CpuMark, pids: readonly number[] = [...a.cpu.keys()]): CpuUse {
  const b = markCpu(pids);
  const wall = (b.at - a.at) / 1000;
  const seconds = new Map<number, number>();
  for (const p of pids) seconds.set(p, (b.cpu.get(p) ?? NaN) - (a.cpu.get(p) ?? NaN));
  const busy = b.machine.busy - a.machine.busy;
  return { wallSeconds: wall, seconds, machineBusySeconds: busy, machineBusyCores: busy / wall };
}

/** Samples RSS (and optionally anything else) every `everyMs` until stopped. */
export class Sampler<T> {
  readonly samples: { t: number; v: T }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly t0 = performance.now();

  constructor(private readonly sample: () => T | Promise<T>, private readonly everyMs: number) {}

  start(): this {
    const tick = async () => {
      try {
        this.samples.push({ t: (performance.now() - this.t0) / 1000, v: await this.sample() });
      } catch {
        // a sample that fails (process gone, HTTP busy) is skipped, not fatal
      }
      if (this.timer) this.timer = setTimeout(() => void tick(), this.everyMs);
    };
    this.timer = setTimeout(() => void tick(), 0);
    return this;
  }

  stop(): { t: number; v: T }[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.samples;
  }
}

/** The pid of the JVM listening on a broker port, from /proc/net/tcp + fd links (for an external broker). */
export function pidListeningOn(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (read(file) ?? '').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A') inodes.add(f[9]!);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = readlinkSafe(`/proc/${pid}/fd/${fd}`);
        const m = link && /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1]!)) return Number(pid);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return undefined;
}

function readlinkSafe(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Waits (up to `maxWaitMs`) until processes other than `own` use less than `thresholdCores` of the
 * machine, measured over 1 s windows: other work on a shared 2-core box distorts every figure.
 * Returns the last measured load of the others, for the report.
 */
export async function waitForQuiet(own: readonly number[], maxWaitMs: number, thresholdCores = 0.25): Promise<{ otherCores: number; waitedMs: number }> {
  const t0 = performance.now();
  for (;;) {
    const mark = markCpu(own);
    await new Promise((r) => setTimeout(r, 1000));
    const use = cpuSince(mark, own);
    let ours = 0;
    for (const v of use.seconds.values()) if (Number.isFinite(v)) ours += v;
    const otherCores = (use.machineBusySeconds - ours) / use.wallSeconds;
    const waitedMs = performance.now() - t0;
    if (otherCores < thresholdCores || waitedMs >= maxWaitMs) return { otherCores, waitedMs };
  }
}
