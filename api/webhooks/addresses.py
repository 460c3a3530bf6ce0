"""The SSRF guard: which URLs an endpoint may have, and which addresses a delivery may connect to.

Outside the demo and the tests an endpoint's URL is ``https://`` and its host resolves only to public
addresses: private, loopback, link-local, shared (CGNAT), multicast, reserved and unspecified addresses are
refused, IPv4 and IPv6 alike, including IPv4 written inside IPv6 (mapped, 6to4, NAT64). The delivery resolves
the host once, checks every address it got, and connects to the checked one (no second resolution that a
rebinding DNS server could answer differently).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL = 2048
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class AddressRefused(Exception):
    """The host is not one a delivery may reach (its ``code`` says why, never the address)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), if any."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def allowed(ip: IPAddress, *, allow_private: bool) -> bool:
    """Whether a delivery may connect to ``ip``: public only, unless private addresses are allowed (demo, tests)."""
    inner = embedded_ipv4(ip)
    if inner is not None:  # IPv4 written inside IPv6: the IPv4 address decides
        return allowed(inner, allow_private=allow_private)
    if ip.is_unspecified or ip.is_multicast:
        return False
    if allow_private:
        return True
    local = ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
    return ip.is_global and not local and not getattr(ip, "is_site_local", False)


def check_url(url: str, *, allow_insecure: bool, allow_private: bool) -> str | None:
    """Why ``url`` may not be an endpoint (a message that never quotes it), or None when it may."""
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        return f"Give an absolute URL of at most {MAX_URL} characters, without spaces."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The URL is malformed."
    if parts.scheme != "https" and not (allow_insecure and parts.scheme == "http"):
        return "The URL must use https://."
    return _check_host(parts, port, allow_private)


def _check_host(parts: SplitResult, port: int | None, allow_private: bool) -> str | None:
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        return "The URL needs a host, and no user, password or fragment."
    if port == 0:
        return "The URL's port is not valid."
    literal = _literal(host)
    if literal is not None and not allowed(literal, allow_private=allow_private):
        return "The URL's address is private, loopback, link-local or reserved."
    if literal is None and not allow_private and (host == "localhost" or host.endswith((".localhost", ".local"))):
        return "The URL's host is a local name."
    return None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve(host: str, port: int, *, allow_private: bool) -> IPAddress:
    """The address to connect to: every address the host resolves to must be allowed (else AddressRefused)."""
    literal = _literal(host)
    if literal is not None:
        found = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise AddressRefused("DNS") from None
        found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not found:
        raise AddressRefused("DNS")
    if not all(allowed(ip, allow_private=allow_private) for ip in found):
        raise AddressRefused("ADDRESS_REFUSED")
    return found[0]
