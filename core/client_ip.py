"""The client's IP address, the one way every rate limit and audit row takes it.

Behind a reverse proxy REMOTE_ADDR is the proxy. `X-Forwarded-For` is only believed as far as TRUSTED_PROXIES
says: each proxy appends the address it saw, so the client is the right-most address that is not one of our
proxies; anything to its left was written by the client and may be made up.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_proxies(setting: str) -> int | tuple[Network, ...]:
    """TRUSTED_PROXIES as a count of proxies ("0", "1", "2") or comma-separated addresses/CIDRs."""
    value = setting.strip()
    if not value:
        return 0
    if value.isdigit():
        return int(value)
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from None


def _address(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:443
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    trusted = trusted_proxies(str(getattr(settings, "TRUSTED_PROXIES", "")))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if remote is None or not trusted or not forwarded:
        return remote
    # Nearest hop last: the proxy that connected to us, then what each proxy before it appended.
    hops = [*forwarded.split(","), remote]
    if isinstance(trusted, int):
        # The last `trusted` hops are our proxies; the one before them is the client (or the left-most we have).
        candidate = hops[max(len(hops) - 1 - trusted, 0)]
        return _address(candidate) or remote
    nearest_trusted = remote
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # A malformed entry where the client should be: the last proxy we trust saw this connection.
            return nearest_trusted
        if not any(ipaddress.ip_address(address) in network for network in trusted):
            return address
        nearest_trusted = address
    return nearest_trusted
