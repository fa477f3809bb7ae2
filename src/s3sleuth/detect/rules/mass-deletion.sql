-- name: mass-deletion
-- severity: high
-- mitre: T1485
-- description: One principal (or a lifecycle rule) deleted many objects in the window.
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
SELECT coalesce(principal_name, min(requester)) || ' deleted ' || CAST(count(*) AS varchar) || ' objects of ' || bucket AS summary,
  $principal_arn AS principal_arn, bucket, min(time) AS first_seen, max(time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM access_log
WHERE $window AND http_status < 300
  AND operation IN ('REST.DELETE.OBJECT', 'BATCH.DELETE.OBJECT', 'S3.EXPIRE.OBJECT',
                    'S3.CREATE.DELETEMARKER')
GROUP BY $principal_arn, principal_name, bucket
HAVING count(*) >= $deletions_per_principal
