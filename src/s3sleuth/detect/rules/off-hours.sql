-- name: off-hours
-- severity: low
-- mitre: T1078
-- description: Authenticated requests outside business hours or days (config: business_hours, business_days, time_zone).
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
SELECT coalesce(principal_name, min(requester)) || ' used ' || bucket || ' outside business hours' AS summary,
  $principal_arn AS principal_arn, bucket, min(time) AS first_seen, max(time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM (SELECT *, $local_time AS local FROM access_log) AS t
WHERE $window AND requester IS NOT NULL AND principal_type IN ('assumed-role', 'iam-user')
  AND (hour(local) < $business_start OR hour(local) >= $business_end
       -- the ISO weekday, counted from Monday 1970-01-05 (day_of_week is not portable)
       OR (date_diff('day', DATE '1970-01-05', CAST(local AS date)) % 7) + 1 NOT IN ($business_days))
GROUP BY $principal_arn, principal_name, bucket
