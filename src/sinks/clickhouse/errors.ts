import { ShadowError, errorMessage } from '../../errors.ts';
import { redactUrl } from '../../ops/logger.ts';

// The one place that decides whether a ClickHouse failure is worth retrying. Used by the outcome
// sink (retries with the same dedup token), the query runner (gate, status, audit rows) and, through
// the status codes it maps to, the processor's /query endpoint.
//
// A failure with a ClickHouse error code means the server understood the request and refused it: the
// request or its data is wrong and a retry repeats the failure, unless the code is one of the transient
// conditions below. A failure without a code (socket reset, refused connection, client timeout) may pass
// on a retry. Codes and names: ClickHouse src/Common/ErrorCodes.cpp.
const TRANSIENT_CODES: ReadonlyMap<string, string> = new Map([
  ['3', 'UNEXPECTED_END_OF_FILE'],
  ['32', 'ATTEMPT_TO_READ_AFTER_EOF'],
  ['159', 'TIMEOUT_EXCEEDED'],
  ['202', 'TOO_MANY_SIMULTANEOUS_QUERIES'],
  ['203', 'NO_FREE_CONNECTION'],
  ['209', 'SOCKET_TIMEOUT'],
  ['210', 'NETWORK_ERROR'],
  ['236', 'ABORTED'],
  ['241', 'MEMORY_LIMIT_EXCEEDED'],
  ['242', 'TABLE_IS_READ_ONLY'],
  ['252', 'TOO_MANY_PARTS'],
  ['285', 'TOO_FEW_LIVE_REPLICAS'],
  ['319', 'UNKNOWN_STATUS_OF_INSERT'],
  ['394', 'QUERY_WAS_CANCELLED'],
  ['425', 'SYSTEM_ERROR'],
  ['999', 'KEEPER_EXCEPTION'],
]);

/** The ClickHouse error code of a failure, if it has one (`@clickhouse/client` puts it in `code`). */
export function clickHouseCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^\d+$/.test(code) ? code : typeof code === 'number' ? String(code) : null;
}

/** True when retrying the same request may succeed. */
export function isRetryableClickHouseError(err: unknown): boolean {
  const code = clickHouseCode(err);
  return code === null || TRANSIENT_CODES.has(code);
}

/** Wraps a ClickHouse failure: SHADOW_SINK (retryable) or SHADOW_SINK_DATA (not), message without credentials. */
export function classifyClickHouseError(err: unknown, what: string): ShadowError {
  if (err instanceof ShadowError) return err;
  const retryable = isRetryableClickHouseError(err);
  return new ShadowError(retryable ? 'SHADOW_SINK' : 'SHADOW_SINK_DATA', `ClickHouse ${what} failed: ${redactUrl(errorMessage(err))}`, { cause: err, retryable });
}
