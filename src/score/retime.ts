// Which batches to time again. The compute latency of a batch is a property of the model and the
// batch's rows; interference (another process taking the core, this process's own store threads) only
// ever adds to a measurement. Running the *same* rows again tells the two apart: a model that is slow on
// these rows is slow again, a run that was unlucky is not. The minimum of the two runs is kept (the usual
// way to time work under one-sided noise, as Python's timeit advises). Only suspicious batches are
// re-run, so the extra cost is confined to the outliers (counted in shadow_candidate_retimed_batches_total).
//
// Suspicious: over `floorMs` and over `factor` x the median per-row cost of the last `history` batches
// x the rows. The floor keeps sub-millisecond runs, which no latency budget cares about, from being re-run;
// an empty history makes every run over the floor suspicious, which also re-times onnxruntime's slow first run.

export interface RetimeOptions {
  readonly floorMs: number;
  readonly factor: number;
  readonly history: number;
  /**
   * Runs of one batch at most, while its best timing still looks suspicious. Two were not enough: with
   * a CPU burner on one of the 2 cores and the store's threads on the other, consecutive runs were both
   * preempted often enough that an identical model's compute p99 over a day crossed a 5 ms budget it
   * meets 50 times over (test/pipeline/latency-gate.test.ts, 1 run in 4, on the per-row sink too).
   */
  readonly maxRuns: number;
}

export const RETIME_DEFAULTS: RetimeOptions = { floorMs: 1, factor: 4, history: 64, maxRuns: 3 };

export class RetimePolicy {
  readonly #o: RetimeOptions;
  readonly #perRow: number[] = [];
  #next = 0;

  constructor(o: RetimeOptions = RETIME_DEFAULTS) {
    this.#o = o;
  }

  get maxRuns(): number {
    return this.#o.maxRuns;
  }

  suspicious(rows: number, ms: number): boolean {
    if (ms <= this.#o.floorMs) return false;
    if (this.#perRow.length === 0) return true;
    return ms > this.#o.factor * median(this.#perRow) * rows;
  }

  /** The kept measurement of a batch (after any re-run) joins the history. */
  record(rows: number, ms: number): void {
    const v = ms / Math.max(1, rows);
    if (this.#perRow.length < this.#o.history) this.#perRow.push(v);
    else this.#perRow[this.#next] = v;
    this.#next = (this.#next + 1) % this.#o.history;
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
