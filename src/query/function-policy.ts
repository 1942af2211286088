// Which functions a /query may call: an allow-list by the engine's own catalogue
// (system.functions categories), so a function added by a new engine version is refused until a
// category it belongs to is allowed here. Categories that reach outside the query's data (files,
// dictionaries, the network, the server's configuration) are not on the list.

/** One row of system.functions, as read at start-up. */
export interface FunctionRow {
  readonly name: string;
  readonly is_aggregate: number;
  readonly case_insensitive: number;
  readonly alias_to: string;
  readonly categories: string;
}

const ALLOWED_CATEGORIES = new Set([
  'Aggregate Functions', 'Arithmetic', 'Arrays', 'Bit', 'Bitmap', 'Comparison', 'Conditional', 'Dates and Times',
  'Distance', 'Encoding', 'Financial', 'Hash', 'IP Address', 'JSON', 'Logical', 'Map', 'Mathematical', 'Null',
  'NumericIndexedVector', 'QBit', 'Random Number', 'Rounding', 'String', 'String Replacement', 'String Search',
  'String Splitting', 'Time Series', 'Time Window', 'Tuple', 'Type Conversion', 'URL', 'UUID', 'Geo', 'Geo Polygon',
]);

/**
 * Pure helpers from the 'Other' and 'Internal' categories that analyst and dashboard SQL uses.
 * Everything else there (file, joinGet, getSetting, hostName, currentUser, sleep, ...) stays refused.
 */
const ALLOWED_NAMES = new Set([
  'lambda', '_CAST', 'transform', 'toTypeName', 'identity', 'materialize', 'finalizeAggregation', 'initializeAggregation',
  'formatReadableSize', 'formatReadableDecimalSize', 'formatReadableQuantity', 'formatReadableTimeDelta', 'bar',
  'byteSize', 'countDigits', 'isDecimalOverflow', 'visibleWidth', 'parseReadableSize', 'parseReadableSizeOrNull',
  'parseReadableSizeOrZero', 'parseTimeDelta', 'runningDifference', 'runningDifferenceStartingWithFirstValue',
  'neighbor', 'minSampleSizeConversion', 'minSampleSizeContinuous', 'ignore', 'isConstant', 'throwIf', 'variantElement',
  'variantType', 'getSubcolumn',
]);

export interface FunctionPolicy {
  /** null when allowed, else why not (for the 403 message). */
  check(name: string): string | null;
}

export function createFunctionPolicy(rows: readonly FunctionRow[], combinators: readonly string[]): FunctionPolicy {
  const exact = new Map<string, FunctionRow>();
  const folded = new Map<string, FunctionRow>();
  for (const r of rows) {
    exact.set(r.name, r);
    if (r.case_insensitive) folded.set(r.name.toLowerCase(), r);
  }
  const find = (name: string) => exact.get(name) ?? folded.get(name.toLowerCase());
  // Longest first, so `MergeState` is stripped before `State`.
  const suffixes = [...combinators].sort((a, b) => b.length - a.length);

  function allowedRow(row: FunctionRow, hops = 0): boolean {
    if (ALLOWED_NAMES.has(row.name)) return true;
    if (row.alias_to && hops < 4) {
      const target = find(row.alias_to);
      return target ? allowedRow(target, hops + 1) : false;
    }
    return row.categories.split(',').some((c) => ALLOWED_CATEGORIES.has(c.trim()));
  }

  /** `countIf`, `quantilesTDigestMergeState`: an aggregate function with combinator suffixes. */
  function aggregateBase(name: string, depth = 0): FunctionRow | undefined {
    if (depth > 4) return undefined;
    for (const s of suffixes) {
      if (name.length > s.length && name.endsWith(s)) {
        const base = name.slice(0, -s.length);
        const row = find(base);
        if (row?.is_aggregate) return row;
        const deeper = aggregateBase(base, depth + 1);
        if (deeper) return deeper;
      }
    }
    return undefined;
  }

  return {
    check(name) {
      if (ALLOWED_NAMES.has(name)) return null;
      const row = find(name) ?? aggregateBase(name);
      if (!row) return `the function ${name}() is not one the engine lists`;
      if (!allowedRow(row)) return `the function ${name}() is not allowed here (category "${row.categories || 'none'}": only functions that compute over the query's own data are)`;
      return null;
    },
  };
}
