// The process's CPU time in ms (user + system, from getrusage via process.cpuUsage(): microsecond
// resolution, ~10 µs per call on the test machine).
//
// Why a CPU clock beside the wall clock: on a loaded host the scoring thread waits for a core in the
// middle of session.run, so wall time reads the host's load, not the model (measured on the 2-core test
// machine at load 12: a 0.02 ms loop had a wall p99 of 3.1 ms and a CPU p99 of 0.43 ms). The process's
// CPU time over the run is an upper bound of the scoring thread's own (other threads of this process,
// e.g. chDB merges, add to it), and so is the wall time; the smaller of the two is the tighter bound on
// what the run cost, i.e. what a request served on an idle core would see. Per-thread CPU time would be
// exact, but Node 20 has no process.threadCpuUsage(), and /proc/thread-self/schedstat only advances at
// scheduler ticks (measured: 97 % of 20 µs intervals read 0).
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
