"""Which IAM actions an S3 operation needs (diagnostics.md §3).

HEAD needs s3:GetObject (there is no s3:HeadObject); a request that names a versionId needs the
versioned action instead; a copy needs s3:PutObject on the destination and s3:GetObject on the
source; ACL and tagging operations differ for buckets (Key `-`) and objects.
"""

from __future__ import annotations

from s3sleuth.sql.literal import string_list

OBJECT_ACTIONS: dict[str, tuple[str, ...]] = {
    "REST.GET.OBJECT": ("s3:GetObject",),
    "REST.HEAD.OBJECT": ("s3:GetObject",),
    "WEBSITE.GET.OBJECT": ("s3:GetObject",),
    "WEBSITE.HEAD.OBJECT": ("s3:GetObject",),
    "REST.PUT.OBJECT": ("s3:PutObject",),
    "REST.POST.OBJECT": ("s3:PutObject",),
    "REST.COPY.OBJECT": ("s3:PutObject", "s3:GetObject"),
    "REST.COPY.OBJECT_GET": ("s3:GetObject",),
    "REST.COPY.PART": ("s3:PutObject", "s3:GetObject"),
    "REST.COPY.PART_GET": ("s3:GetObject",),
    "REST.POST.UPLOADS": ("s3:PutObject",),
    "REST.PUT.PART": ("s3:PutObject",),
    "REST.POST.UPLOAD": ("s3:PutObject",),
    "REST.DELETE.UPLOAD": ("s3:AbortMultipartUpload",),
    "REST.GET.UPLOAD": ("s3:ListMultipartUploadParts",),
    "REST.DELETE.OBJECT": ("s3:DeleteObject",),
    "REST.POST.MULTI_OBJECT_DELETE": ("s3:DeleteObject",),
    "BATCH.DELETE.OBJECT": ("s3:DeleteObject",),
    "REST.GET.ACL": ("s3:GetObjectAcl",),
    "REST.PUT.ACL": ("s3:PutObjectAcl",),
    "REST.GET.OBJECT_TAGGING": ("s3:GetObjectTagging",),
    "REST.PUT.OBJECT_TAGGING": ("s3:PutObjectTagging",),
    "REST.DELETE.OBJECT_TAGGING": ("s3:DeleteObjectTagging",),
    "REST.GET.OBJECT_ATTRIBUTES": ("s3:GetObject", "s3:GetObjectAttributes"),
    "REST.GET.RETENTION": ("s3:GetObjectRetention",),
    "REST.PUT.RETENTION": ("s3:PutObjectRetention",),
    "REST.GET.LEGAL_HOLD": ("s3:GetObjectLegalHold",),
    "REST.PUT.LEGAL_HOLD": ("s3:PutObjectLegalHold",),
    "REST.POST.RESTORE": ("s3:RestoreObject",),
    "REST.POST.SELECT": ("s3:GetObject",),
    "REST.GET.TORRENT": ("s3:GetObjectTorrent",),
}

BUCKET_ACTIONS: dict[str, tuple[str, ...]] = {
    "REST.GET.BUCKET": ("s3:ListBucket",),
    "REST.HEAD.BUCKET": ("s3:ListBucket",),
    "REST.GET.BUCKETVERSIONS": ("s3:ListBucketVersions",),
    "REST.GET.UPLOADS": ("s3:ListBucketMultipartUploads",),
    "REST.GET.LOCATION": ("s3:GetBucketLocation",),
    "REST.PUT.BUCKET": ("s3:CreateBucket",),
    "REST.DELETE.BUCKET": ("s3:DeleteBucket",),
    "REST.GET.VERSIONING": ("s3:GetBucketVersioning",),
    "REST.PUT.VERSIONING": ("s3:PutBucketVersioning",),
    "REST.GET.BUCKETPOLICY": ("s3:GetBucketPolicy",),
    "REST.PUT.BUCKETPOLICY": ("s3:PutBucketPolicy",),
    "REST.DELETE.BUCKETPOLICY": ("s3:DeleteBucketPolicy",),
    "REST.GET.POLICY_STATUS": ("s3:GetBucketPolicyStatus",),
    "REST.GET.ACL": ("s3:GetBucketAcl",),
    "REST.PUT.ACL": ("s3:PutBucketAcl",),
    "REST.GET.LOGGING_STATUS": ("s3:GetBucketLogging",),
    "REST.PUT.LOGGING_STATUS": ("s3:PutBucketLogging",),
    "REST.GET.LIFECYCLE": ("s3:GetLifecycleConfiguration",),
    "REST.PUT.LIFECYCLE": ("s3:PutLifecycleConfiguration",),
    "REST.DELETE.LIFECYCLE": ("s3:PutLifecycleConfiguration",),
    "REST.GET.CORS": ("s3:GetBucketCORS",),
    "REST.PUT.CORS": ("s3:PutBucketCORS",),
    "REST.DELETE.CORS": ("s3:PutBucketCORS",),
    "REST.GET.ENCRYPTION": ("s3:GetEncryptionConfiguration",),
    "REST.PUT.ENCRYPTION": ("s3:PutEncryptionConfiguration",),
    "REST.GET.NOTIFICATION": ("s3:GetBucketNotification",),
    "REST.PUT.NOTIFICATION": ("s3:PutBucketNotification",),
    "REST.GET.WEBSITE": ("s3:GetBucketWebsite",),
    "REST.PUT.WEBSITE": ("s3:PutBucketWebsite",),
    "REST.DELETE.WEBSITE": ("s3:DeleteBucketWebsite",),
    "REST.GET.REPLICATION": ("s3:GetReplicationConfiguration",),
    "REST.PUT.REPLICATION": ("s3:PutReplicationConfiguration",),
    "REST.GET.TAGGING": ("s3:GetBucketTagging",),
    "REST.PUT.TAGGING": ("s3:PutBucketTagging",),
    "REST.GET.ACCELERATE": ("s3:GetAccelerateConfiguration",),
    "REST.GET.REQUEST_PAYMENT": ("s3:GetBucketRequestPayment",),
    "REST.GET.ANALYTICS": ("s3:GetAnalyticsConfiguration",),
    "REST.GET.INVENTORY": ("s3:GetInventoryConfiguration",),
    "REST.GET.METRICS": ("s3:GetMetricsConfiguration",),
    "REST.GET.INTELLIGENT_TIERING": ("s3:GetIntelligentTieringConfiguration",),
    "REST.GET.OBJECT_LOCK_CONFIGURATION": ("s3:GetBucketObjectLockConfiguration",),
    "REST.GET.OWNERSHIP_CONTROLS": ("s3:GetBucketOwnershipControls",),
    "REST.GET.PUBLIC_ACCESS_BLOCK": ("s3:GetBucketPublicAccessBlock",),
    "REST.PUT.PUBLIC_ACCESS_BLOCK": ("s3:PutBucketPublicAccessBlock",),
}

# The action a versionId switches to (diagnostics.md §3.4, item 3).
VERSIONED = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
}
# Copies write the destination and read the source; only the read is versioned.
_WRITE_SIDE = {"s3:PutObject"}


def iam_actions(operation: str, *, object_level: bool, versioned: bool) -> list[str]:
    """The IAM actions `operation` needs; empty when the operation is not known."""
    table = OBJECT_ACTIONS if object_level else BUCKET_ACTIONS
    actions = (
        table.get(operation) or OBJECT_ACTIONS.get(operation) or BUCKET_ACTIONS.get(operation, ())
    )
    if versioned:
        actions = tuple(a if a in _WRITE_SIDE else VERSIONED.get(a, a) for a in actions)
    return list(actions)


# Operations that need the same permission, so a principal denied them gets one finding: a
# multipart upload is denied s3:PutObject as a PUT is. The first of each is the family's name.
FAMILIES: tuple[tuple[str, ...], ...] = (
    (
        "REST.PUT.OBJECT",
        "REST.POST.OBJECT",
        "REST.POST.UPLOADS",
        "REST.PUT.PART",
        "REST.POST.UPLOAD",
    ),
    (
        "REST.GET.OBJECT",
        "REST.HEAD.OBJECT",
        "WEBSITE.GET.OBJECT",
        "WEBSITE.HEAD.OBJECT",
        "REST.POST.SELECT",
        "REST.COPY.OBJECT_GET",
        "REST.COPY.PART_GET",
    ),
    ("REST.DELETE.OBJECT", "REST.POST.MULTI_OBJECT_DELETE", "BATCH.DELETE.OBJECT"),
    ("REST.COPY.OBJECT", "REST.COPY.PART"),
)


def family_sql(column: str = "operation") -> str:
    """Athena SQL: the family name of `column`'s operation (itself when it has none)."""
    branches = " ".join(
        f"WHEN {column} IN ({string_list(family)}) THEN '{family[0]}'" for family in FAMILIES
    )
    return f"CASE {branches} ELSE {column} END"


def is_object_operation(operation: str, key: str | None) -> bool:
    """Object-level when it names a key; ACL and tagging ops serve both levels."""
    if operation in OBJECT_ACTIONS and operation not in BUCKET_ACTIONS:
        return True
    return key is not None
