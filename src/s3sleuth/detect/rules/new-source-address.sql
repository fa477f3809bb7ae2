-- name: new-source-address
-- severity: low
-- mitre: T1078
-- description: A source address a principal never used with this bucket before the window.
-- keys: summary, principal_arn, bucket, remote_ip, first_seen, last_seen, requests, evidence
SELECT coalesce(a.principal_name, min(a.requester)) || ' used ' || a.bucket || ' from new address ' || a.remote_ip AS summary,
  $a_principal_arn AS principal_arn, a.bucket, a.remote_ip, min(a.time) AS first_seen,
  max(a.time) AS last_seen, count(*) AS requests,
  slice(array_sort(array_agg(a.request_id)), 1, 5) AS evidence
FROM access_log a
LEFT JOIN (SELECT DISTINCT bucket, remote_ip FROM access_log WHERE $before) b
  ON a.bucket = b.bucket AND a.remote_ip = b.remote_ip
WHERE $a_window AND a.requester IS NOT NULL AND a.remote_ip IS NOT NULL
  AND b.remote_ip IS NULL AND EXISTS (SELECT 1 FROM access_log WHERE $before)
GROUP BY $a_principal_arn, a.principal_name, a.bucket, a.remote_ip
