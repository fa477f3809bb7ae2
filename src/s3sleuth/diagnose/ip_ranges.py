"""AWS's ip-ranges.json: which AWS service and region own a public address (diagnostics.md §5.2).

Read from a file the user gives (`--ip-ranges FILE`); never downloaded. Longest prefix wins,
and for the same prefix a specific service beats the catch-all `AMAZON`.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path

from s3sleuth.errors import UsageError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Owner:
    service: str
    region: str


class IpRanges:
    def __init__(self, prefixes: list[tuple[Network, Owner]]) -> None:
        # (version, prefix length, network) -> owner; a specific service beats AMAZON.
        self._table: dict[tuple[int, int, int], Owner] = {}
        for network, owner in prefixes:
            key = (network.version, network.prefixlen, int(network.network_address))
            if key not in self._table or self._table[key].service == "AMAZON":
                self._table[key] = owner
        self._lengths = {
            v: sorted({k[1] for k in self._table if k[0] == v}, reverse=True) for v in (4, 6)
        }

    @classmethod
    def load(cls, path: str | Path) -> IpRanges:
        try:
            document = json.loads(Path(path).read_text())
            entries = [(e["ip_prefix"], e) for e in document.get("prefixes", [])]
            entries += [(e["ipv6_prefix"], e) for e in document.get("ipv6_prefixes", [])]
            prefixes = [
                (ipaddress.ip_network(cidr, strict=False), Owner(e["service"], e["region"]))
                for cidr, e in entries
            ]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise UsageError(
                f"cannot read AWS ip ranges from {path}: {err}",
                hint="pass AWS's ip-ranges.json (prefixes/ipv6_prefixes)",
            ) from None
        return cls(prefixes)

    def owner(self, address: str | None) -> Owner | None:
        """The most specific range holding `address`, if AWS owns it."""
        if not address:
            return None
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        bits = 32 if ip.version == 4 else 128
        value = int(ip)
        for length in self._lengths[ip.version]:
            network = value >> (bits - length) << (bits - length) if length else 0
            owner = self._table.get((ip.version, length, network))
            if owner is not None:
                return owner
        return None
