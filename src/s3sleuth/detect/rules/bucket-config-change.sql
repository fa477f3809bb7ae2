-- name: bucket-config-change
-- severity: medium
-- mitre: T1562.008
-- description: Changes to a bucket's policy, logging, versioning, lifecycle, replication, ACL, encryption or public access block.
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
SELECT coalesce(principal_name, min(requester)) || ' changed ' || bucket || ': ' || array_join(array_sort(array_agg(DISTINCT operation)), ', ') AS summary,
  $principal_arn AS principal_arn, bucket, min(time) AS first_seen, max(time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM access_log
WHERE $window AND http_status < 300
  AND (operation IN ('REST.PUT.BUCKETPOLICY', 'REST.DELETE.BUCKETPOLICY', 'REST.PUT.LOGGING_STATUS',
      'REST.PUT.VERSIONING', 'REST.PUT.LIFECYCLE', 'REST.DELETE.LIFECYCLE', 'REST.PUT.REPLICATION',
      'REST.DELETE.REPLICATION', 'REST.PUT.PUBLIC_ACCESS_BLOCK', 'REST.DELETE.PUBLIC_ACCESS_BLOCK',
      'REST.PUT.OWNERSHIP_CONTROLS', 'REST.PUT.ENCRYPTION', 'REST.DELETE.ENCRYPTION',
      'REST.PUT.BUCKET_OBJECT_LOCK')
    OR (operation = 'REST.PUT.ACL' AND key IS NULL))
GROUP BY $principal_arn, principal_name, bucket
