// Preloaded into a processor child with `node --import bench/probe/probe.mjs` (no change to src/):
// writes one JSON line per interval to $BENCH_PROBE_FILE with event-loop delay (this interval and
// cumulative since the last SIGUSR2), GC pause time, memory and CPU. SIGUSR2 starts a new window.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  const everyMs = Number(process.env.BENCH_PROBE_EVERY_MS ?? 1000);
  // 10 ms resolution: the histogram's own timer; delays below it are not resolved (they do not matter here).
  const interval = monitorEventLoopDelay({ resolution: 10 });
  const windowed = monitorEventLoopDelay({ resolution: 10 });
  interval.enable();
  windowed.enable();
  let gcMs = 0;
  let gcWindowMs = 0;
  let gcMaxMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcWindowMs += e.duration;
      gcMaxMs = Math.max(gcMaxMs, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  const ms = (ns) => Math.round((ns / 1e6) * 100) / 100;
  const line = (kind) => {
    const mu = process.memoryUsage();
    const cpu = process.cpuUsage();
    appendFileSync(
      file,
      JSON.stringify({
        kind,
        t: Date.now(),
        eld: { p50: ms(interval.percentile(50)), p99: ms(interval.percentile(99)), max: ms(interval.max), n: interval.count },
        window: { p50: ms(windowed.percentile(50)), p99: ms(windowed.percentile(99)), p999: ms(windowed.percentile(99.9)), max: ms(windowed.max), n: windowed.count, gcMs: Math.round(gcWindowMs), gcMaxMs: Math.round(gcMaxMs) },
        gcMs: Math.round(gcMs),
        rss: mu.rss,
        heapUsed: mu.heapUsed,
        external: mu.external,
        arrayBuffers: mu.arrayBuffers,
        cpuUserMs: Math.round(cpu.user / 1000),
        cpuSystemMs: Math.round(cpu.system / 1000),
      }) + '\n',
    );
    interval.reset();
  };
  const timer = setInterval(() => line('tick'), everyMs);
  timer.unref();
  process.on('SIGUSR2', () => {
    line('window-end');
    windowed.reset();
    gcWindowMs = 0;
    gcMaxMs = 0;
  });
  process.on('exit', () => line('exit'));
}
