-- name: endpoint-principal-public
-- severity: medium
-- mitre: T1078.004
-- description: A principal that reached the bucket only through a VPC endpoint before the window now comes from public addresses (stolen credentials used elsewhere, or a broken route).
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
WITH before AS (
  SELECT $principal_arn AS principal, bucket,
    sum(CASE WHEN network_path = 'public' THEN 1 ELSE 0 END) AS public_requests,
    sum(CASE WHEN network_path = 'private' THEN 1 ELSE 0 END) AS private_requests
  FROM access_log WHERE $before AND requester IS NOT NULL
  GROUP BY 1, 2
)
SELECT coalesce(a.principal_name, min(a.requester)) || ' reached ' || a.bucket || ' from public addresses, after only a VPC endpoint' AS summary,
  $a_principal_arn AS principal_arn, a.bucket, min(a.time) AS first_seen, max(a.time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(a.request_id)), 1, 5) AS evidence
FROM access_log a JOIN before b ON $a_principal_arn = b.principal AND a.bucket = b.bucket
WHERE $a_window AND a.network_path = 'public' AND b.public_requests = 0 AND b.private_requests > 0
GROUP BY $a_principal_arn, a.principal_name, a.bucket
