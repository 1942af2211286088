// Times one onnxruntime session.run as the model's own compute, not the event loop's backlog.
//
// Why the setImmediate: onnxruntime-node's run() schedules the native (synchronous) run with
// setImmediate (onnxruntime-node dist/backend.js, OnnxruntimeSessionHandler.run), so timing from the
// call would include every timer, GC pause and I/O callback that runs before that immediate: on a
// loaded processor that is queueing, not compute. An immediate queued just before run() is called runs
// directly before onnxruntime's (immediates run in FIFO order within one check phase, and nothing can be
// queued between the two synchronous calls), so its timestamp marks the start of the native run. The
// continuation after `await` runs as a microtask straight after onnxruntime's immediate resolves, so it
// marks the end. What remains inside [t0, t1] is the native run plus onnxruntime-common's wrapping of
// the output tensors.

export interface TimedRun<T> {
  readonly out: T;
  /** Start of the native run. */
  readonly t0: number;
  /** End of the native run (plus output wrapping). */
  readonly t1: number;
  /** CPU ms over [t0, t1] when a CPU clock was given (src/score/cpu-clock.ts), else null. */
  readonly cpuMs: number | null;
}

export async function timedRun<T>(run: () => Promise<T>, now: () => number, cpuNow?: () => number): Promise<TimedRun<T>> {
  let t0: number | undefined;
  let c0: number | undefined;
  setImmediate(() => {
    t0 = now();
    c0 = cpuNow?.();
  });
  const out = await run();
  const c1 = cpuNow?.();
  const t1 = now();
  // t0 is undefined only if run() resolved without going through an immediate (another backend): then
  // there is no start mark inside the run, and the run counts as taking no time rather than a made-up one.
  return { out, t0: t0 ?? t1, t1, cpuMs: c0 !== undefined && c1 !== undefined ? c1 - c0 : null };
}
