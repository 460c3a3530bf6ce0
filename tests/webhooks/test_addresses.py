"""The SSRF guard's address rule, IPv4 and IPv6 (IPv4 inside IPv6 included), and the one resolution a delivery makes."""

from __future__ import annotations

import ipaddress

import pytest

from api.webhooks.addresses import AddressRefused, allowed, resolve

REFUSED = [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104 (an address refused, not bound)
    "224.0.0.1", "255.255.255.255", "240.0.0.1", "192.0.2.1", "198.18.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "2002:7f00:1::1", "2002:a00:1::1",  # 6to4 of loopback and private
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",  # NAT64 of loopback and the metadata address
]  # fmt: skip
PUBLIC = ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:1.1.1.1"]


@pytest.mark.parametrize("address", REFUSED)
def test_private_loopback_link_local_multicast_reserved_and_unspecified_addresses_are_refused(address: str) -> None:
    assert not allowed(ipaddress.ip_address(address), allow_private=False)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert allowed(ipaddress.ip_address(address), allow_private=False)


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "224.0.0.1", "ff02::1"])  # noqa: S104
def test_even_where_private_addresses_are_allowed_unspecified_and_multicast_are_not(address: str) -> None:
    assert not allowed(ipaddress.ip_address(address), allow_private=True)


async def test_a_name_resolving_to_loopback_is_refused_and_allowed_only_where_private_ones_are() -> None:
    with pytest.raises(AddressRefused) as refused:
        await resolve("localhost", 443, allow_private=False)
    assert refused.value.code == "ADDRESS_REFUSED"
    assert (await resolve("localhost", 443, allow_private=True)).is_loopback


async def test_a_name_that_does_not_resolve_is_refused_as_dns() -> None:
    with pytest.raises(AddressRefused) as refused:
        await resolve("no-such-host.invalid", 443, allow_private=False)
    assert refused.value.code == "DNS"
