-- name: insecure-transport
-- severity: medium
-- mitre: T1040
-- description: Requests over plain HTTP, without TLS: data and signatures travel in clear text.
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
SELECT 'plain HTTP (no TLS) to ' || bucket || ' by ' || coalesce(principal_name, min(requester), 'anonymous callers') AS summary,
  $principal_arn AS principal_arn, bucket, min(time) AS first_seen, max(time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM access_log
WHERE $window AND field_count >= 24 AND tls_version IS NULL AND cipher_suite IS NULL
  AND remote_ip IS NOT NULL
GROUP BY $principal_arn, principal_name, bucket
