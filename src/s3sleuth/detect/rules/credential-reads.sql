-- name: credential-reads
-- severity: high
-- mitre: T1552.001
-- description: Successful reads of keys that look like credentials or secrets (.env, id_rsa, *.pem, .aws/credentials).
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
SELECT coalesce(principal_name, min(requester), 'an anonymous caller') || ' read ' || min(key) || ' in ' || bucket AS summary,
  $principal_arn AS principal_arn, bucket, min(time) AS first_seen, max(time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM access_log
WHERE $window AND operation = 'REST.GET.OBJECT' AND http_status IN (200, 206)
  AND regexp_like(lower(key), '(^|/)(\.env(\..*)?|\.aws/credentials|credentials(\.json|\.csv)?|id_rsa|id_dsa|id_ecdsa|id_ed25519|[^/]*\.(pem|key|p12|pfx|kdbx)|\.git/config|\.npmrc|\.pgpass|wp-config\.php|secrets?\.(json|ya?ml|txt|env))$')
GROUP BY $principal_arn, principal_name, bucket
