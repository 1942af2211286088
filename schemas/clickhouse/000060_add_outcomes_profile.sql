-- Issue 15 (diagnose): the feature and score cells of a profiled request (src/profiles), feature -> cell
-- ('b03', 'lo', 'hi', 'null', 'nan', 'bad', a category, '__other__'; '@primary_score' and
-- '@candidate_score' for the models' scores). Empty for rows not profiled. Additive; old rows read {}.
ALTER TABLE ${db}.outcomes ADD COLUMN IF NOT EXISTS profile Map(LowCardinality(String), LowCardinality(String)) DEFAULT map() AFTER features
