"""Transfer Family events and CloudTrail records that go with the sample access logs.

They replay what the two other logs add to the stories: Transfer Family's
`ERROR CLOSE /partner-uploads/test.py "Access denied"` for each denied upload of user test1
(structured JSON), partner.acme's sessions (legacy KEY=value lines), and CloudTrail records
for test1's denied PUTs (naming the policy layer) and for the EC2 instance's requests through
the VPC endpoint (with its `vpcEndpointId`).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from s3sleuth.parse.keys import decode_key

SERVER = "s-aacfeafc8f2840b9a"
REGION = "us-east-1"
VPC_ENDPOINT = "vpce-0a1b2c3d4e5f67890"
_EVENT_NAMES = {
    "REST.GET.OBJECT": "GetObject",
    "REST.PUT.OBJECT": "PutObject",
    "REST.HEAD.OBJECT": "HeadObject",
    "REST.GET.BUCKET": "ListObjects",
    "REST.DELETE.OBJECT": "DeleteObject",
}


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _session(requester: str) -> tuple[str, str]:
    """(user, session id) from `.../USER.SESSION@SERVER`."""
    name = requester.rsplit("/", 1)[1].split("@", 1)[0]
    user, _, session = name.rpartition(".")
    return user, session


def transfer_events(records: Iterable[dict[str, Any]], account: str) -> list[dict[str, Any]]:
    """Structured events of test1's sessions: OPEN, then ERROR on CLOSE for a denied PUT."""
    arn = f"arn:aws:transfer:{REGION}:{account}:server/{SERVER}"
    events: list[dict[str, Any]] = []
    for r in records:
        if "/test1." not in (r["requester"] or "") or r["operation"] != "REST.PUT.OBJECT":
            continue
        user, session = _session(r["requester"])
        path = f"/{r['bucket']}/{decode_key(r['key_raw'], r['operation'])}"
        common = {"resource-arn": arn, "session-id": session}
        if not events:
            events.append(
                {
                    "activity-type": "CONNECTED",
                    **common,
                    "user": user,
                    "role": f"arn:aws:iam::{account}:role/Transfer-Family-Role",
                    "source-ip": "203.0.113.45",
                    "client": "SSH-2.0-OpenSSH_9.6",
                    "home-dir": f"/{r['bucket']}",
                    "method": "password",
                    "timestamp": _iso(r["time"] - timedelta(seconds=5)),
                }
            )
        events.append(
            {
                "activity-type": "OPEN",
                **common,
                "path": path,
                "mode": "CREATE|TRUNCATE|WRITE",
                "timestamp": _iso(r["time"] - timedelta(seconds=1)),
            }
        )
        if r["http_status"] == 403:
            events.append(
                {
                    "activity-type": "ERROR",
                    **common,
                    "operation": "CLOSE",
                    "path": path,
                    "message": "Access denied",
                    "timestamp": _iso(r["time"] + timedelta(seconds=1)),
                }
            )
    return events


def legacy_lines(records: Iterable[dict[str, Any]]) -> list[str]:
    """partner.acme's uploads as the legacy logging role writes them."""
    out = []
    for r in records:
        if "/partner.acme." not in (r["requester"] or ""):
            continue
        user, session = _session(r["requester"])
        path = f"/{r['bucket']}/{decode_key(r['key_raw'], r['operation'])}"
        stream = f"{user}.{session}"
        out.append(f"{_iso(r['time'] - timedelta(seconds=2))} {stream} OPEN Path={path} Mode=WRITE")
        out.append(
            f"{_iso(r['time'] + timedelta(seconds=1))} {stream} CLOSE Path={path} "
            f"BytesIn={r['object_size'] or 0}"
        )
    return out


def _trail_record(r: dict[str, Any], account: str, **extra: Any) -> dict[str, Any]:
    session = r["requester"].rsplit("/", 1)[1]
    role = r["requester"].split("/")[1]
    key = decode_key(r["key_raw"], r["operation"])
    return {
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLE{zlib.crc32(role.encode()):010d}:{session}",
            "arn": r["requester"],
            "accountId": account,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "arn": f"arn:aws:iam::{account}:role/{role}",
                    "userName": role,
                }
            },
        },
        "eventTime": _iso(r["time"]),
        "eventSource": "s3.amazonaws.com",
        "eventName": _EVENT_NAMES[r["operation"]],
        "awsRegion": REGION,
        "sourceIPAddress": r["remote_ip"],
        "userAgent": f"[{r['user_agent']}]",
        "requestParameters": {"bucketName": r["bucket"], **({"key": key} if key else {})},
        "responseElements": None,
        "additionalEventData": {"SignatureVersion": "SigV4", "x-amz-id-2": r["host_id"]},
        "requestID": r["request_id"],
        "eventID": f"{r['request_id'].lower()}-0000-4000-8000-000000000000",
        "readOnly": r["operation"] != "REST.PUT.OBJECT",
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": account,
        "eventCategory": "Data",
        **extra,
    }


def cloudtrail_records(
    records: Iterable[dict[str, Any]], account: str, private_ip: str
) -> list[dict[str, Any]]:
    """Data events for test1's denied PUTs and the EC2 instance's endpoint requests."""
    out = []
    for r in records:
        requester = r["requester"] or ""
        if "/test1." in requester and r["http_status"] == 403:
            user_session = requester.rsplit("/", 1)[1]
            message = (
                f"User: {requester} is not authorized to perform: s3:PutObject on resource: "
                f'"arn:aws:s3:::{r["bucket"]}/{decode_key(r["key_raw"], r["operation"])}" '
                "because no identity-based policy allows the s3:PutObject action"
            )
            trail = _trail_record(r, account, errorCode="AccessDenied", errorMessage=message)
            trail["sourceIPAddress"] = trail["userAgent"] = "transfer.amazonaws.com"
            trail["userIdentity"]["invokedBy"] = "transfer.amazonaws.com"
            trail["requestParameters"]["x-amz-onBehalfOf"] = user_session
            out.append(trail)
        elif r["remote_ip"] == private_ip and r["operation"] in _EVENT_NAMES:
            out.append(
                _trail_record(r, account, vpcEndpointId=VPC_ENDPOINT, vpcEndpointAccountId=account)
            )
    return out


def write(
    directory: Path, records: list[dict[str, Any]], account: str, private_ip: str
) -> list[Path]:
    """The Transfer Family logs and one CloudTrail file, laid out as they are exported."""
    transfer = directory / "transfer-family"
    transfer.mkdir(parents=True, exist_ok=True)
    structured = transfer / f"{SERVER}.jsonl"
    structured.write_text("".join(json.dumps(e) + "\n" for e in transfer_events(records, account)))
    legacy = transfer / f"{SERVER}-legacy.log"
    legacy.write_text("".join(line + "\n" for line in legacy_lines(records)))
    day = records[0]["time"]
    trail_dir = directory.joinpath(
        "AWSLogs", account, "CloudTrail", REGION, f"{day:%Y}", f"{day:%m}", f"{day:%d}"
    )
    trail_dir.mkdir(parents=True, exist_ok=True)
    trail = trail_dir / f"{account}_CloudTrail_{REGION}_{day:%Y%m%d}T0700Z_5a3f9c0e7d21b846.json.gz"
    body = json.dumps({"Records": cloudtrail_records(records, account, private_ip)}).encode()
    trail.write_bytes(gzip.compress(body, mtime=0))  # mtime 0: the same bytes every time
    return [structured, legacy, trail]
