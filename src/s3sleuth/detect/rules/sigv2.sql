-- name: sigv2
-- severity: low
-- description: Requests signed with Signature Version 2, which S3 no longer accepts in new regions.
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
SELECT coalesce(principal_name, min(requester)) || ' signs with SigV2 on ' || bucket AS summary,
  $principal_arn AS principal_arn, bucket, min(time) AS first_seen, max(time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM access_log
WHERE $window AND signature_version = 'SigV2'
GROUP BY $principal_arn, principal_name, bucket
