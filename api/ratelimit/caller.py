"""The caller's address: the ASGI client, or X-Forwarded-For only when that client is a trusted proxy.

The header is read from the right: each address added by a trusted proxy is skipped, and the first one
that is not a trusted proxy is the caller. Nothing here is ever logged.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.requests import HTTPConnection

Networks = tuple[IPv4Network | IPv6Network, ...]


def client_address(request: HTTPConnection, trusted: Networks) -> str:
    """The address the request came from (``unknown`` when the server does not say)."""
    peer = request.client.host if request.client else ""
    if not trusted or not _trusted(peer, trusted):
        return peer or "unknown"
    hops = [hop.strip() for hop in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _trusted(hop, trusted):
            return hop if _address(hop) is not None else peer
    return peer


def _address(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(value)
    except ValueError:
        return None


def _trusted(value: str, trusted: Networks) -> bool:
    address = _address(value)
    return address is not None and any(address in network for network in trusted)
