// Outcomes: turns join events and rejects into rows of shadow.outcomes. Each input record is
// accounted for by exactly one row (a compared row carries both identities); the row lists them.
export { outcomeOf, rejectOutcome, costOf, type Outcome, type OutcomeOptions, type Pricing } from './build.ts';
export { SegmentCapper, OTHER, MISSING } from './segments.ts';
export { emptyRow, OUTCOME_COLUMNS, type OutcomeRow, type OutcomeKind } from './row.ts';
