// Expands a panel's SQL the way Grafana and the ClickHouse data source plugin (grafana-clickhouse-datasource
// v4) do before ClickHouse sees it, so tests can run the committed dashboards' SQL as-is:
//
// 1. Frontend, src/data/CHDatasource.ts applyTemplateVariables:
//    a. applyConditionalAll: each `$__conditionalAll(cond, $var)` (scanned right to left) becomes `1=1`
//       when the variable's current value is '' or '$__all', else `cond`;
//    b. getTemplateSrv().replace(sql, scopedVars, format): `$var`, `${var}`, `[[var]]` are replaced; the
//       plugin's format() joins an array (multi-value) as 'a','b' and inserts a scalar as-is (unquoted).
//       "All" without a custom allValue expands to every option. Unknown names stay as written.
// 2. Backend, grafana-plugin-sdk-go data/sqlutil Interpolate with the plugin's pkg/macros/macros.go:
//    `$__name` matched with the regexp `\$__name\b`, its argument list found by scanning forward for
//    the first `(` and its matching `)` (a quirk: a macro without arguments followed later by `(`
//    swallows text up to that parenthesis, so no-argument macros must be followed by `)` or nothing),
//    arguments split on ',' and trimmed, then every identical occurrence replaced.
//
// Macro outputs (pkg/macros/macros.go): timeFilter(c) = `c >= toDateTime(from_s) AND c <= toDateTime(to_s)`,
// timeFilter_ms(c) with fromUnixTimestamp64Milli(ms), fromTime / toTime = toDateTime(s),
// fromTime_ms / toTime_ms = fromUnixTimestamp64Milli(ms), dateFilter(c) = toDate('YYYY-MM-DD') bounds,
// timeInterval(c) = toStartOfInterval(toDateTime(c), INTERVAL max(interval_s, 1) second),
// timeInterval_ms(c) = toStartOfInterval(toDateTime64(c, 3), INTERVAL max(interval_ms, 1) millisecond),
// interval_s = max(interval_s, 1). sqlutil's defaults timeFrom / timeTo / timeGroup / table / column are
// not used by our SQL and are rejected below rather than emulated.

export interface VariableValue {
  /** Current value: a string for single-value variables, an array for multi-value ones. */
  readonly current: string | readonly string[];
  /** All options, used when the current value is '$__all'. */
  readonly options?: readonly string[];
}

export interface MacroContext {
  readonly from: Date;
  readonly to: Date;
  /** The query interval (panel min interval / alert intervalMs). */
  readonly intervalMs: number;
  readonly variables: Readonly<Record<string, VariableValue>>;
}

export function expandGrafanaSql(sql: string, ctx: MacroContext): string {
  const frontend = replaceVariables(applyConditionalAll(sql, ctx.variables), ctx.variables);
  return interpolateMacros(frontend, ctx);
}

// --- 1a. $__conditionalAll ---------------------------------------------------------------------------

export function applyConditionalAll(sql: string, vars: MacroContext['variables']): string {
  const macro = '$__conditionalAll(';
  let idx = sql.lastIndexOf(macro);
  while (idx !== -1) {
    const params = macroArgs(sql, idx + macro.length - 1);
    if (params.length !== 2) return sql; // the plugin gives up on the whole query, too
    const [cond, varParam] = params as [string, string];
    const name = /(?<=\$\{)[\w\d]+(?=\})|(?<=\$)[\w\d]+/.exec(varParam.trim())?.[0];
    let phrase = cond;
    if (name) {
      const v = vars[name];
      const value = v === undefined ? undefined : Array.isArray(v.current) ? v.current.join(',') : (v.current as string);
      if (value === '' || value === '$__all') phrase = '1=1';
    }
    sql = sql.replace(`${macro}${cond},${varParam})`, () => phrase);
    idx = sql.lastIndexOf(macro);
  }
  return sql;
}

/** CHDatasource.getMacroArgs: arguments of the call whose '(' is at `argsIndex`, split at depth 1. */
function macroArgs(query: string, argsIndex: number): string[] {
  const args: string[] = [];
  const re = /\(|\)|,/g;
  let depth = 0;
  let lastArgEnd = 1;
  const s = query.substring(argsIndex);
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[0] === '(') depth++;
    else if (m[0] === ')') depth--;
    if (m[0] === ',' && depth === 1) {
      args.push(s.substring(lastArgEnd, re.lastIndex - 1));
      lastArgEnd = re.lastIndex;
    }
    if (depth === 0) {
      args.push(s.substring(lastArgEnd, re.lastIndex - 1));
      return args;
    }
  }
  return [];
}

// --- 1b. template variables --------------------------------------------------------------------------

// Grafana's variable regex (public/app/features/variables/utils.ts variableRegex).
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g;

export function replaceVariables(sql: string, vars: MacroContext['variables']): string {
  return sql.replace(VARIABLE, (match, bare?: string, bracket?: string, _bf?: string, braced?: string, fieldPath?: string, fmt?: string) => {
    const name = bare ?? bracket ?? braced;
    if (!name) return match;
    const v = vars[name];
    if (!v) return match;
    if (fieldPath || fmt) throw new Error(`variable ${match}: field paths and explicit formats are not emulated`);
    const values = Array.isArray(v.current) ? (v.current as string[]) : [v.current as string];
    const all = values.length === 1 && values[0] === '$__all';
    const resolved = all ? [...(v.options ?? [])] : values;
    // CHDatasource.format: arrays become 'a','b'; a scalar is inserted as-is.
    if (Array.isArray(v.current) || all) return `'${resolved.join("','")}'`;
    return resolved[0] ?? '';
  });
}

// --- 2. backend macros -------------------------------------------------------------------------------

type Macro = (args: string[], ctx: MacroContext) => string;

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const dateTime = (d: Date) => `toDateTime(${seconds(d)})`;
const dateTime64 = (d: Date) => `fromUnixTimestamp64Milli(${d.getTime()})`;
const date = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;

function one(name: string, args: string[]): string {
  if (args.length !== 1) throw new Error(`$__${name}: expected 1 argument, received ${args.length}`);
  return args[0]!;
}

const MACROS: Record<string, Macro> = {
  fromTime: (_a, c) => dateTime(c.from),
  toTime: (_a, c) => dateTime(c.to),
  fromTime_ms: (_a, c) => dateTime64(c.from),
  toTime_ms: (_a, c) => dateTime64(c.to),
  timeFilter: (a, c) => {
    const col = one('timeFilter', a);
    return `${col} >= ${dateTime(c.from)} AND ${col} <= ${dateTime(c.to)}`;
  },
  timeFilter_ms: (a, c) => {
    const col = one('timeFilter_ms', a);
    return `${col} >= ${dateTime64(c.from)} AND ${col} <= ${dateTime64(c.to)}`;
  },
  dateFilter: (a, c) => {
    const col = one('dateFilter', a);
    return `${col} >= ${date(c.from)} AND ${col} <= ${date(c.to)}`;
  },
  timeInterval: (a, c) => `toStartOfInterval(toDateTime(${one('timeInterval', a)}), INTERVAL ${Math.max(Math.floor(c.intervalMs / 1000), 1)} second)`,
  timeInterval_ms: (a, c) => `toStartOfInterval(toDateTime64(${one('timeInterval_ms', a)}, 3), INTERVAL ${Math.max(Math.floor(c.intervalMs), 1)} millisecond)`,
  interval_s: (_a, c) => String(Math.max(Math.floor(c.intervalMs / 1000), 1)),
};

/** sqlutil's default macros: our SQL must not depend on them (their output is not ClickHouse SQL). */
const UNSUPPORTED = ['timeFrom', 'timeTo', 'timeGroup', 'table', 'column', 'dateTimeFilter', 'dt'];

export function interpolateMacros(sql: string, ctx: MacroContext): string {
  for (const name of UNSUPPORTED) {
    if (new RegExp(`\\$__${name}\\b`).test(sql)) throw new Error(`$__${name} is not emulated here; use the ClickHouse macros`);
  }
  for (const [name, fn] of Object.entries(MACROS)) {
    for (const [text, args] of macroMatches(sql, name)) {
      const list = args === undefined ? [] : args.split(',').map((s) => s.trim());
      sql = sql.split(text).join(fn(list, ctx));
    }
  }
  return sql;
}

/** sqlutil getMacroMatches: [full text, argument string or undefined] per occurrence. */
function macroMatches(input: string, name: string): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  const re = new RegExp(`\\$__${name}\\b`, 'g');
  let m: RegExpExecArray | null;
  while ((m = re.exec(input)) !== null) {
    const start = m.index;
    const rest = input.slice(start);
    let depth = 0;
    let argStart = 0;
    let end = 0;
    for (let i = 0; i < rest.length; i++) {
      if (depth === 0 && end > 0) break;
      const ch = rest[i];
      if (ch === '(') {
        depth++;
        if (argStart === 0) argStart = i + 1;
      } else if (ch === ')') {
        if (depth === 0) {
          end = 0;
          break;
        }
        depth--;
        end = i + 1;
      }
    }
    if (end === 0) end = m[0].length;
    const text = rest.slice(0, end);
    out.push([text, argStart > 0 ? rest.slice(argStart, end - 1) : undefined]);
  }
  return out;
}
