import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics, emitted per batch (never per record on the hot path).
 * Names follow `shadow_<name>_<unit>`; counters end in `_total`. No label carries a secret or an id.
 * Plus prom-client's default process metrics (process_cpu_seconds_total, process_resident_memory_bytes,
 * nodejs_gc_duration_seconds, nodejs_eventloop_lag_*), which the "Processor health" dashboard reads.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  private readonly records = new Counter({ name: 'shadow_records_total', help: 'Input records consumed', labelNames: ['stream'], registers: [this.registry] });
  private readonly rejects = new Counter({ name: 'shadow_rejects_total', help: 'Records rejected by decode/validation', registers: [this.registry] });
  private readonly candidateErrors = new Counter({ name: 'shadow_candidate_errors_total', help: 'Requests the candidate could not score', registers: [this.registry] });
  readonly eventLoopDelayP99 = new Gauge({ name: 'shadow_event_loop_delay_p99_seconds', help: 'Event-loop delay p99 over the last 10 s', registers: [this.registry] });
  private readonly rows = new Counter({ name: 'shadow_outcome_rows_written_total', help: 'Outcome rows durably written', registers: [this.registry] });
  private readonly retries = new Counter({ name: 'shadow_insert_retries_total', help: 'Insert attempts retried', registers: [this.registry] });
  private readonly insertSeconds = new Histogram({
    name: 'shadow_insert_duration_seconds',
    help: 'ClickHouse insert latency',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly batchRows = new Histogram({
    name: 'shadow_insert_batch_rows',
    help: 'Rows per insert',
    buckets: [1, 10, 100, 1000, 5000, 10000, 50000, 100000],
    registers: [this.registry],
  });
  // Per session.run batch (src/score/onnx-scorer.ts onBatch). Compute is the model; queue is this
  // processor (micro-batch wait, event-loop stalls, GC): a high queue with a flat compute is a capacity
  // problem of the processor, never a reason to reject the candidate. Buckets from 0.1 ms (a small tree
  // batch) to 10 s (a processor stalled behind a store outage).
  private readonly computeSeconds = new Histogram({
    name: 'shadow_candidate_compute_seconds',
    help: 'session.run time per candidate batch (the compute latency of each row in it)',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  private readonly queueSeconds = new Histogram({
    name: 'shadow_candidate_queue_seconds',
    help: "Queue latency of each candidate batch's oldest row: score() call to session.run start",
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  private readonly retimed = new Counter({
    name: 'shadow_candidate_retimed_batches_total',
    help: 'Candidate batches run a second time because their first timing looked like interference',
    registers: [this.registry],
  });
  readonly joinBuffered = new Gauge({ name: 'shadow_join_buffered_records', help: 'Records waiting in the join', registers: [this.registry] });
  readonly joinBufferedBytes = new Gauge({ name: 'shadow_join_buffered_bytes', help: 'Encoded bytes of the records waiting in the join (bounded by join.maxBufferedBytes)', registers: [this.registry] });
  readonly sinkPending = new Gauge({ name: 'shadow_sink_pending_rows', help: 'Outcome rows not yet written', registers: [this.registry] });
  readonly lag = new Gauge({
    name: 'shadow_consumer_lag_records',
    help: "Records the consumer group has not committed: log end offset minus the group's committed offset (the log start if it committed nothing), read from the broker. Every instance reports every partition of the group, assigned to it or not: aggregate with max by (topic, partition)",
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly assignedPartitions = new Gauge({ name: 'shadow_consumer_assigned_partitions', help: 'Partitions of each topic assigned to this instance by the consumer group', labelNames: ['topic'], registers: [this.registry] });
  readonly caughtUp = new Gauge({
    name: 'shadow_consumer_caught_up',
    help: '1 when the group has committed everything that was in the log one join window (join.windowMs + join.idleMs + flush + commit) ago, so no backlog remains beyond what the join holds; 0 otherwise or while the broker cannot be asked',
    registers: [this.registry],
  });
  readonly behind = new Gauge({ name: 'shadow_consumer_behind_records', help: 'Records older than one join window that the group has not committed (0 when caught up)', registers: [this.registry] });
  readonly paused = new Gauge({ name: 'shadow_consumer_paused', help: '1 while this instance holds back fetching: a stream paused for join backpressure or every stream waiting for the sink', registers: [this.registry] });

  consumed(stream: string, n: number): void {
    this.records.inc({ stream }, n);
  }

  /** Mirrors the processor's cumulative counters (called periodically, not per record). */
  observeProcessor(c: { rejects: number; candidateErrors: number }): void {
    const dr = c.rejects - this.seen.rejects;
    const dc = c.candidateErrors - this.seen.candidateErrors;
    if (dr > 0) this.rejects.inc(dr);
    if (dc > 0) this.candidateErrors.inc(dc);
    this.seen = { rejects: c.rejects, candidateErrors: c.candidateErrors };
  }

  private seen = { rejects: 0, candidateErrors: 0 };

  inserted(rows: number, ms: number): void {
    this.rows.inc(rows);
    this.insertSeconds.observe(ms / 1000);
    this.batchRows.observe(rows);
  }

  scoredBatch(b: { computeMs: number; maxQueueMs: number; retimed: boolean }): void {
    if (b.retimed) this.retimed.inc();
    this.computeSeconds.observe(b.computeMs / 1000);
    this.queueSeconds.observe(Math.max(0, b.maxQueueMs) / 1000);
  }

  insertRetried(): void {
    this.retries.inc();
  }
}
