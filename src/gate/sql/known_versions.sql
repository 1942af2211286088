-- Every candidate version ever shadowed for a model: `gate` and `promote` refuse a version that is
-- neither registered nor here (a typo would otherwise be judged on no data and come out HOLD).
SELECT DISTINCT candidate_version AS version
FROM ${db}.stats_1m
WHERE model = {model:String}
  AND dimension = '__all__'
ORDER BY version
