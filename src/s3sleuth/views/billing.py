"""How AWS bills each logged request: the one place the rules live (peers.md §d).

- **tier1**: PUT, COPY, POST and LIST requests (`Requests-Tier1` in the usage report).
- **tier2**: GET, HEAD and every other `REST.*` or `WEBSITE.*` request (`Requests-Tier2`).
- **free**: DELETE requests ("Delete Requests are not charged"), and the rows that are not
  requests a customer makes: lifecycle and other `S3.*` rows, the per-key
  `BATCH.DELETE.OBJECT` rows of a multi-object delete, and the `…_GET` source-side row of a
  copy (the copy is billed once, on its destination row).
- **unbilled**: responses AWS does not bill: every 5xx (a `503 SlowDown` is free), the 3xx and
  4xx error codes in `UNBILLED_ERRORS` (from "Billing for Amazon S3 error responses",
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorCodeBilling.html), and, since
  2024-05-13, an `AccessDenied` from outside the owner's account or organization, which the
  log shows for certain only for anonymous requesters.

Left out, and said with every estimate (`ASSUMPTIONS`): storage classes other than Standard
(the log does not name one), lifecycle transition and restore requests (tiers 3-6), the
monthly free allowance and volume tiers (per account and month, not per log), and an
`AccessDenied` from another account of the same organization (the log cannot tell).
"""

from __future__ import annotations

from s3sleuth.sql.literal import string_list

# The list operations: GETs that are billed as tier 1.
LIST_OPERATIONS = frozenset(
    {
        "REST.GET.BUCKET",
        "REST.GET.BUCKETVERSIONS",
        "REST.GET.UPLOADS",
        "REST.GET.UPLOAD",  # ListParts
        "REST.GET.LIST_PARTS",
        "REST.GET.BUCKETLIST",
        "REST.GET.SERVICE",  # ListBuckets
        "REST.GET.LIST_TYPE2",
    }
)
# 3xx and 4xx error codes AWS does not bill (ErrorCodeBilling, as listed there in 2026).
UNBILLED_ERRORS = frozenset(
    {
        "PermanentRedirect",
        "PermanentRedirectControlError",
        "TemporaryRedirect",
        "AuthorizationHeaderMalformed",
        "AuthorizationQueryParametersError",
        "ConnectionClosedByRequester",
        "DeviceNotActiveError",
        "EndpointNotFound",
        "ExpiredToken",
        "IllegalLocationConstraintException",
        "InvalidArgument",
        "InvalidBucketOwnerAWSAccountID",
        "InvalidDigest",
        "InvalidEncryptionAlgorithmError",
        "InvalidHostHeader",
        "InvalidHttpMethod",
    }
)
TIERS = ("tier1", "tier2", "free", "unbilled")
ASSUMPTIONS = (
    "S3 Standard request prices for every bucket (the log does not name a storage class)",
    "no monthly free allowance or volume tiers (they apply per account and month)",
    "lifecycle transitions and restores (tiers 3-6) are not priced",
    "an AccessDenied from another account is billed unless the requester is anonymous "
    "(the log cannot tell which accounts share the owner's organization)",
)


def tier_sql() -> str:
    """Athena SQL: the billing class of an `access_log` row (one of `TIERS`). Stored as the
    `billing_tier` column when rows are written (`views.enrich`)."""
    return f"""CASE
    WHEN http_status >= 500 OR error_code IN ({string_list(UNBILLED_ERRORS)})
      OR (error_code = 'AccessDenied' AND requester IS NULL) THEN 'unbilled'
    WHEN operation LIKE 'REST.DELETE.%' OR operation LIKE '%\\_GET' ESCAPE '\\'
      OR NOT (operation LIKE 'REST.%' OR operation LIKE 'WEBSITE.%') THEN 'free'
    WHEN operation LIKE 'REST.PUT.%' OR operation LIKE 'REST.COPY.%'
      OR operation LIKE 'REST.POST.%' OR operation IN ({string_list(LIST_OPERATIONS)})
      THEN 'tier1'
    ELSE 'tier2' END"""


def internet_sql() -> str:
    """Athena SQL: the row's bytes went out to the internet, as far as the log can tell: a
    public client address, not CloudFront (whose transfer from S3 is free). Addresses AWS
    owns are taken out afterwards, when an ip-ranges.json is given."""
    return (
        "network_path = 'public' AND coalesce(user_agent, '') <> 'Amazon CloudFront' "
        "AND coalesce(principal_name, '') <> 'CloudFront'"
    )
