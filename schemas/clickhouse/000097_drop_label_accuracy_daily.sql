-- Issue 14: label accuracy now joins labels to the predictions in the ledger rows of outcome_blocks
-- (migration 000098): agreeing pairs no longer have a row in outcomes.
DROP VIEW IF EXISTS ${db}.label_accuracy_daily
