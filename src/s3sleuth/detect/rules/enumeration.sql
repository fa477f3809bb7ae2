-- name: enumeration
-- severity: medium
-- mitre: T1619
-- description: A burst of denials or missing keys from one address: someone guessing names.
-- keys: summary, principal_arn, bucket, remote_ip, first_seen, last_seen, requests, evidence
SELECT remote_ip || ' got ' || CAST(count(*) AS varchar) || ' 403/404 answers from ' || bucket AS summary,
  max($principal_arn) AS principal_arn, bucket, remote_ip, min(time) AS first_seen,
  max(time) AS last_seen, count(*) AS requests,
  slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM access_log
WHERE $window AND http_status IN (403, 404) AND remote_ip IS NOT NULL
GROUP BY bucket, remote_ip
HAVING count(*) >= $errors_per_source
