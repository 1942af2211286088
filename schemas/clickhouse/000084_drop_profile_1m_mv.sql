-- Issue 14: profile_1m is now filled from the cells each block carries (migration 000094): a profiled
-- request no longer needs a full row in outcomes, which cost more than anything else a block sent.
DROP VIEW IF EXISTS ${db}.profile_1m_mv
