-- Issue 14: agreeing pairs no longer have a row in outcomes; the confusion matrix now reads every
-- compared record from the ledger rows of outcome_blocks (migration 000096).
DROP VIEW IF EXISTS ${db}.confusion_matrix
