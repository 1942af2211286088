// What every scenario receives: the run profile (quick or full), the broker, where to write, and
// the table of headline figures the reports are made from.
import type { Kafka } from 'kafkajs';
import type { BenchBroker } from './kafka.ts';
import type { Summary } from './stats.ts';

export interface Profile {
  readonly name: 'quick' | 'full';
  /** Repetitions of cheap in-process measurements (ceilings). */
  readonly runs: number;
  /** Repetitions of the batch-size sweep (per model, all sizes in one process). */
  readonly sweepRuns: number;
  /** Repetitions of each processor scenario. */
  readonly processRuns: number;
  /** Request/primary pairs in the saturation backlog. */
  readonly pairs: number;
  readonly partitions: number;
  /** The no-op consumer reads this many pairs' records (both topics). */
  readonly noopPairs: number;
  readonly decodeSeconds: number;
  readonly onnxSeconds: number;
  readonly sweepBatchSizes: readonly number[];
  readonly latency: { readonly warmupSeconds: number; readonly windowSeconds: number; readonly runs: number };
  readonly skew: { readonly requests: number; readonly windowMs: number; readonly ratePerSec: number; readonly runs: number };
  readonly gate: { readonly days: number; readonly segmentValues: number; readonly runs: number };
  readonly spinning: { readonly seconds: number; readonly idleSeconds: number; readonly runs: number };
  /** Longest wait for other processes on the machine to go quiet before a processor run. */
  readonly quietWaitMs: number;
  /** In-process pipeline decomposition (no Kafka): pairs per run, runs. */
  readonly pipeline: { readonly pairs: number; readonly runs: number };
}

export const PROFILES: Record<'quick' | 'full', Profile> = {
  quick: {
    name: 'quick',
    runs: 3,
    sweepRuns: 3,
    processRuns: 2,
    pairs: 40_000,
    partitions: 8,
    noopPairs: 40_000,
    decodeSeconds: 0.7,
    onnxSeconds: 0.25,
    sweepBatchSizes: [1, 8, 32, 64, 128, 256, 1024],
    latency: { warmupSeconds: 3, windowSeconds: 10, runs: 2 },
    skew: { requests: 120_000, windowMs: 5_000, ratePerSec: 4000, runs: 2 },
    gate: { days: 14, segmentValues: 100, runs: 3 },
    spinning: { seconds: 1, idleSeconds: 1, runs: 2 },
    pipeline: { pairs: 30_000, runs: 2 },
    quietWaitMs: 5_000,
  },
  full: {
    name: 'full',
    runs: 5,
    sweepRuns: 3,
    processRuns: 3,
    pairs: 1_000_000,
    partitions: 8,
    noopPairs: 500_000,
    decodeSeconds: 2,
    onnxSeconds: 0.6,
    sweepBatchSizes: [1, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
    latency: { warmupSeconds: 10, windowSeconds: 45, runs: 3 },
    skew: { requests: 400_000, windowMs: 10_000, ratePerSec: 4000, runs: 2 },
    gate: { days: 14, segmentValues: 100, runs: 7 },
    spinning: { seconds: 3, idleSeconds: 2, runs: 3 },
    pipeline: { pairs: 60_000, runs: 3 },
    quietWaitMs: 20_000,
  },
};

export interface Metric {
  readonly scenario: string;
  readonly metric: string;
  readonly unit: string;
  readonly summary: Summary;
  readonly digits?: number;
  /** The target, in words ("≥ 0.7 × ceiling"), and whether this run met it. */
  readonly target?: string;
  readonly pass?: boolean | null;
  readonly note?: string;
}

export interface BenchContext {
  readonly profile: Profile;
  readonly broker: BenchBroker;
  readonly kafka: Kafka;
  /** This run's folder under bench/results/ (JSON, Markdown, profiles). */
  readonly outDir: string;
  /** Scratch space for instance data dirs (removed at the end). */
  readonly workDir: string;
  readonly stamp: string;
  readonly log: (line: string) => void;
  readonly metrics: Metric[];
  /** Per-scenario detail for the JSON report and the Markdown sections. */
  readonly details: Record<string, unknown>;
  readonly notes: string[];
  /** Before a measurement: wait for other processes to go quiet; returns their load (cores). */
  readonly quiet: (what: string) => Promise<number>;
}
