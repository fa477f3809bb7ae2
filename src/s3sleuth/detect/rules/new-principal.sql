-- name: new-principal
-- severity: low
-- mitre: T1078
-- description: A principal that never used this bucket before the window.
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
SELECT coalesce(a.principal_name, min(a.requester)) || ' used ' || a.bucket || ' for the first time' AS summary,
  $a_principal_arn AS principal_arn, a.bucket, min(a.time) AS first_seen,
  max(a.time) AS last_seen, count(*) AS requests,
  slice(array_sort(array_agg(a.request_id)), 1, 5) AS evidence
FROM access_log a
LEFT JOIN (SELECT DISTINCT bucket, $principal_arn AS principal FROM access_log WHERE $before) b
  ON a.bucket = b.bucket AND $a_principal_arn = b.principal
WHERE $a_window AND a.requester IS NOT NULL AND b.principal IS NULL
  AND EXISTS (SELECT 1 FROM access_log WHERE $before)
GROUP BY $a_principal_arn, a.principal_name, a.bucket
