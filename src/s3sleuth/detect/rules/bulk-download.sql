-- name: bulk-download
-- severity: high
-- mitre: T1530
-- description: A principal read far more bytes per hour than its own baseline before the window.
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
WITH reads AS (
  SELECT $principal_arn AS principal, principal_name, requester, bucket, time, request_id,
    coalesce(bytes_sent, 0) AS bytes
  FROM access_log
  WHERE operation = 'REST.GET.OBJECT' AND http_status IN (200, 206)
), now AS (
  SELECT principal, principal_name, min(requester) AS requester, bucket, sum(bytes) AS bytes,
    count(*) AS requests,
    min(time) AS first_seen, max(time) AS last_seen,
    greatest((to_unixtime(max(time)) - to_unixtime(min(time))) / 3600.0, 1.0) AS hours,
    slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
  FROM reads WHERE $window
  GROUP BY principal, principal_name, bucket
), before AS (
  SELECT principal, bucket, sum(bytes) AS bytes,
    greatest((to_unixtime(max(time)) - to_unixtime(min(time))) / 3600.0, 1.0) AS hours
  FROM reads WHERE $before
  GROUP BY principal, bucket
)
SELECT coalesce(now.principal_name, now.requester) || ' read ' || CAST(now.bytes AS varchar) || ' bytes of ' || now.bucket AS summary,
  now.principal AS principal_arn, now.bucket, now.first_seen, now.last_seen, now.requests,
  now.evidence
FROM now LEFT JOIN before ON now.principal = before.principal AND now.bucket = before.bucket
WHERE now.requester IS NOT NULL AND now.bytes >= $download_min_bytes
  AND EXISTS (SELECT 1 FROM access_log WHERE $before)
  AND now.bytes / now.hours > $download_factor * coalesce(before.bytes / before.hours, 0)
