import { isInputError } from '../errors.ts';

// The CLI's exit codes, one table for every command (docs/cli.md prints it). Scripts and CI jobs
// branch on these: change one only with the docs and the CLI tests.
export const EXIT = {
  /** Done; for `gate` and `promote --if-gate-passes`: PROMOTE; for `ready`: READY. */
  OK: 0,
  /** A failure that is not the input's fault: store or broker unreachable or locked, a processor stopped by a fatal error, a bug. */
  FAILURE: 1,
  /** Usage or input error: unknown flag or command, bad value, invalid config, missing file, unknown model or version. */
  USAGE: 2,
  /** The gate decided HOLD: not enough evidence yet. */
  HOLD: 3,
  /** The gate decided REJECT. */
  REJECT: 4,
  /** `ready`: at least one readiness item fails. */
  NOT_READY: 5,
  /** `diagnose`: at least one segment value flagged (feature pipeline problem, candidate regression, world changed or insufficient evidence). */
  FLAGGED: 6,
  /** `diagnose`: no segment value had enough profiled requests in both periods to be judged. */
  NOT_JUDGED: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for an error that ended a command. */
export function exitCodeFor(err: unknown): ExitCode {
  return isInputError(err) ? EXIT.USAGE : EXIT.FAILURE;
}

/** Exit codes of `gate` and `promote --if-gate-passes`, by decision. */
export const GATE_EXIT_CODES = { PROMOTE: EXIT.OK, HOLD: EXIT.HOLD, REJECT: EXIT.REJECT } as const;
