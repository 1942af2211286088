// The macro expander the dashboard acceptance test relies on, against the behaviour of Grafana and
// grafana-clickhouse-datasource it emulates (see grafana-macros.ts for the sources).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyConditionalAll, expandGrafanaSql, interpolateMacros, replaceVariables, type MacroContext } from './grafana-macros.ts';

const from = new Date('2026-11-24T12:00:00.250Z');
const to = new Date('2026-11-25T12:00:00.750Z');
const ctx = (variables: MacroContext['variables'] = {}, intervalMs = 60_000): MacroContext => ({ from, to, intervalMs, variables });
const FROM_S = 1795521600;
const TO_S = 1795608000;

describe('ClickHouse plugin backend macros', () => {
  it('expands $__timeFilter to whole-second toDateTime bounds, inclusive on both ends', () => {
    assert.equal(interpolateMacros('WHERE $__timeFilter(minute)', ctx()), `WHERE minute >= toDateTime(${FROM_S}) AND minute <= toDateTime(${TO_S})`);
  });

  it('expands the millisecond variants with fromUnixTimestamp64Milli', () => {
    assert.equal(
      interpolateMacros('$__timeFilter_ms(t) AND x > $__fromTime_ms', ctx()),
      `t >= fromUnixTimestamp64Milli(${from.getTime()}) AND t <= fromUnixTimestamp64Milli(${to.getTime()}) AND x > fromUnixTimestamp64Milli(${from.getTime()})`,
    );
  });

  it('expands $__timeInterval and $__interval_s from the query interval, at least one second', () => {
    assert.equal(interpolateMacros('$__timeInterval(minute) AS time', ctx({}, 600_000)), 'toStartOfInterval(toDateTime(minute), INTERVAL 600 second) AS time');
    assert.equal(interpolateMacros('INTERVAL $__interval_s second)', ctx({}, 250)), 'INTERVAL 1 second)');
    assert.equal(interpolateMacros('$__timeInterval_ms(t)', ctx({}, 250)), 'toStartOfInterval(toDateTime64(t, 3), INTERVAL 250 millisecond)');
  });

  it('expands $__fromTime / $__toTime and $__dateFilter', () => {
    assert.equal(interpolateMacros('(t BETWEEN $__fromTime AND $__toTime)', ctx()), `(t BETWEEN toDateTime(${FROM_S}) AND toDateTime(${TO_S}))`);
    assert.equal(interpolateMacros('$__dateFilter(d)', ctx()), "d >= toDate('2026-11-24') AND d <= toDate('2026-11-25')");
  });

  it("reproduces sqlutil's argument scan: a no-argument macro followed later by '(' swallows up to its ')'", () => {
    // getMacroMatches scans forward for the first '(' after the macro name; this is why the
    // dashboards never put a no-argument macro before a function call on the same clause.
    assert.equal(interpolateMacros('$__fromTime AND f(x)', ctx()), `toDateTime(${FROM_S})`);
  });

  it('does not mistake $__timeFilter_ms for $__timeFilter (\\b after the name)', () => {
    assert.match(interpolateMacros('$__timeFilter_ms(t)', ctx()), /fromUnixTimestamp64Milli/);
  });

  it('refuses the generic sqlutil macros, whose output is not ClickHouse SQL', () => {
    assert.throws(() => interpolateMacros('$__timeGroup(t, hour)', ctx()), /not emulated/);
  });
});

describe('Grafana frontend: $__conditionalAll and template variables', () => {
  const vars = {
    model: { current: 'diagnosis' },
    value: { current: ['$__all'], options: ['BR', 'DE', 'IN'] },
    picked: { current: ['BR', 'IN'], options: ['BR', 'DE', 'IN'] },
    empty: { current: '' },
  } satisfies MacroContext['variables'];

  it('turns $__conditionalAll into 1=1 for "All" and for an empty value, else keeps the condition', () => {
    assert.equal(applyConditionalAll('a AND $__conditionalAll(value IN (${value}), $value) AND b', vars), 'a AND 1=1 AND b');
    assert.equal(applyConditionalAll('$__conditionalAll(v = 1, ${empty})', vars), '1=1');
    assert.equal(applyConditionalAll('$__conditionalAll(value IN (${picked}), $picked)', vars), 'value IN (${picked})');
  });

  it("formats a multi-value selection as 'a','b' and a single value unquoted", () => {
    assert.equal(replaceVariables("model = '${model}' AND value IN (${picked})", vars), "model = 'diagnosis' AND value IN ('BR','IN')");
    assert.equal(replaceVariables('value IN ($value)', vars), "value IN ('BR','DE','IN')");
  });

  it('leaves unknown names and macros alone for the backend', () => {
    assert.equal(replaceVariables('$__timeFilter(t) AND ${unknown}', vars), '$__timeFilter(t) AND ${unknown}');
  });

  it('expands frontend first, then backend, as a panel query travels', () => {
    const sql = "SELECT 1 FROM t WHERE model = '${model}' AND $__conditionalAll(value IN (${picked}), $picked) AND $__timeFilter(minute)";
    assert.equal(
      expandGrafanaSql(sql, ctx(vars)),
      `SELECT 1 FROM t WHERE model = 'diagnosis' AND value IN ('BR','IN') AND minute >= toDateTime(${FROM_S}) AND minute <= toDateTime(${TO_S})`,
    );
  });
});
