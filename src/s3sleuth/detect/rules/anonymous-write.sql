-- name: anonymous-write
-- severity: high
-- mitre: T1565.001
-- description: Unauthenticated requests that wrote or deleted objects: the bucket is writable by anyone.
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
SELECT 'anonymous ' || operation || ' succeeded on ' || bucket AS summary,
  NULL AS principal_arn, bucket, min(time) AS first_seen, max(time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM access_log
WHERE $window AND requester IS NULL AND http_status < 300
  AND (operation LIKE 'REST.PUT.%' OR operation LIKE 'REST.POST.%'
       OR operation LIKE 'REST.COPY.%' OR operation LIKE 'REST.DELETE.%')
GROUP BY operation, bucket
