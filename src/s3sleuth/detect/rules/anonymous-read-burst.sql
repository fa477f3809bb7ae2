-- name: anonymous-read-burst
-- severity: medium
-- mitre: T1530
-- description: Many unauthenticated object reads from one address: a bucket being harvested.
-- keys: summary, principal_arn, bucket, remote_ip, first_seen, last_seen, requests, evidence
SELECT remote_ip || ' read ' || CAST(count(*) AS varchar) || ' objects of ' || bucket || ' anonymously' AS summary,
  NULL AS principal_arn, bucket, remote_ip, min(time) AS first_seen, max(time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM access_log
WHERE $window AND requester IS NULL AND operation = 'REST.GET.OBJECT'
  AND http_status IN (200, 206)
GROUP BY bucket, remote_ip
HAVING count(*) >= $reads_per_source
