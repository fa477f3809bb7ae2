-- name: presigned-many-addresses
-- severity: medium
-- mitre: T1567
-- description: One presigned URL used from many addresses: it was shared or leaked.
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
SELECT 'a presigned URL for ' || bucket || '/' || key || ' was used from ' || CAST(count(DISTINCT remote_ip) AS varchar) || ' addresses' AS summary,
  $principal_arn AS principal_arn, bucket, min(time) AS first_seen, max(time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM access_log
WHERE $window AND authentication_type = 'QueryString' AND key IS NOT NULL
GROUP BY $principal_arn, bucket, key
HAVING count(DISTINCT remote_ip) >= $presigned_addresses
