-- name: ransom-or-webshell
-- severity: high
-- mitre: T1486
-- description: Uploads of ransom notes, encrypted-file markers, or executable web content (.php, .jsp, .aspx, .exe).
-- keys: summary, principal_arn, bucket, first_seen, last_seen, requests, evidence
SELECT coalesce(principal_name, min(requester), 'an anonymous caller') || ' uploaded ' || min(key) || ' to ' || bucket AS summary,
  $principal_arn AS principal_arn, bucket, min(time) AS first_seen, max(time) AS last_seen,
  count(*) AS requests, slice(array_sort(array_agg(request_id)), 1, 5) AS evidence
FROM access_log
WHERE $window AND http_status < 300
  AND (operation IN ('REST.PUT.OBJECT', 'REST.POST.OBJECT', 'REST.COPY.OBJECT', 'REST.POST.UPLOAD'))
  AND regexp_like(lower(key), '((^|/)(readme|how_to|how-to|recover|restore|decrypt)[^/]*(decrypt|recover|restore|ransom|files)[^/]*|\.(locked|encrypted|crypt)|\.(php|phtml|jsp|jspx|asp|aspx|cgi|exe|dll|ps1))$')
GROUP BY $principal_arn, principal_name, bucket
