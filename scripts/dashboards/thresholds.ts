// The gate's thresholds as the dashboards and alert rules use them: read from the gate's own defaults
// (src/gate/config.ts) when the files are generated, so a changed default shows up as generator drift.
// The Wilson bound is the gate's (src/gate/stats.ts), written as ClickHouse SQL.
import { defaultGateConfig, type GateConfig } from '../../src/gate/config.ts';
import { normalQuantile } from '../../src/gate/stats.ts';

export interface Thresholds {
  readonly gate: GateConfig;
  /** One-sided critical value of the gate's bounds: normalQuantile(gate.confidence). */
  readonly z: number;
}

export function gateThresholds(gate: GateConfig = defaultGateConfig()): Thresholds {
  return { gate, z: normalQuantile(gate.confidence) };
}

/** A number as SQL text; round-trips exactly (shortest representation). */
export function num(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  return String(x);
}

/**
 * Wilson score bound of successes/n at critical value z, as in src/gate/stats.ts `wilson` (clamped to
 * [0, 1]); NULL when n = 0. `successes` and `n` are SQL expressions (column aliases).
 */
export function wilsonSql(successes: string, n: string, z: number, side: 'lower' | 'upper'): string {
  const z2 = num(z * z);
  const p = `(${successes} / ${n})`;
  const denom = `(1 + ${z2} / ${n})`;
  const centre = `(${p} + ${z2} / (2 * ${n})) / ${denom}`;
  const half = `${num(z)} * sqrt(${p} * (1 - ${p}) / ${n} + ${z2} / (4 * ${n} * ${n})) / ${denom}`;
  const bound = side === 'lower' ? `greatest(0, ${centre} - ${half})` : `least(1, ${centre} + ${half})`;
  return `if(${n} > 0, ${bound}, NULL)`;
}
