-- name: scanner-agent
-- severity: medium
-- mitre: T1595.002
-- description: Requests from scanners and penetration-testing tools (never the AWS CLI or SDK families).
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
SELECT coalesce(principal_name, min(requester), 'an anonymous caller') || ' scanned ' || bucket || ' with ' || min(user_agent) AS summary,
  $principal_arn AS principal_arn, bucket, min(time) AS first_seen, max(time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM access_log
WHERE $window AND client IN ('other', 'browser')
  AND regexp_like(lower(user_agent), '(sqlmap|nikto|nmap|masscan|zgrab|nuclei|s3scanner|bucket[-_]?stream|gobuster|dirbuster|wpscan|acunetix|nessus|burp|ffuf|feroxbuster|cloudbrute|grayhatwarfare|pacu)')
GROUP BY $principal_arn, principal_name, bucket
