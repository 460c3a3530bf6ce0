"""One webhook request: to the checked address of the registered host only, bounded in time and size.

The host is resolved and checked at every attempt (:func:`api.webhooks.addresses.resolve`), then the request
goes to that address, with the registered host in ``Host`` and in TLS (SNI and certificate check): no second
resolution. It travels on a kept-alive connection of that very target, host and address
(:mod:`api.webhooks.connections`), or a new one. Redirects are never followed (a 3xx is a failure). The
response is read up to a cap and discarded; only its status code is kept. Failures are reported as a short
class, never a message (messages may quote the URL or the receiver's answer).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import httpx

from api.settings import Settings
from api.webhooks.addresses import AddressRefused, resolve
from api.webhooks.connections import Connections, Target, origin_of

USER_AGENT = "sanctuary-api-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: the status code (None when no answer) and a failure class (None on success)."""

    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


async def send(url: str, headers: dict[str, str], body: bytes, settings: Settings, connections: Connections) -> Outcome:
    """POST ``body`` to ``url`` with ``headers`` (the caller holds the origin's :meth:`Connections.slot`); never
    raises for what the receiver or the network does."""
    return await _bounded(_resolved(url, headers, body, settings, connections), settings)


async def send_to(
    target: Target, url: str, headers: dict[str, str], body: bytes, settings: Settings, connections: Connections
) -> Outcome:
    """:func:`send` to a target already resolved and checked."""
    return await _bounded(_post(target, url, headers, body, settings, connections), settings)


async def _bounded(attempt: Coroutine[Any, Any, Outcome], settings: Settings) -> Outcome:
    try:
        async with asyncio.timeout(settings.webhooks_timeout_s):
            return await attempt
    except AddressRefused as refused:
        return Outcome(None, refused.code)
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(None, "TIMEOUT")
    except httpx.ConnectError as error:
        return Outcome(None, "TLS" if isinstance(error.__context__, ssl.SSLError) else "CONNECT")
    except (httpx.HTTPError, OSError, ValueError):
        return Outcome(None, "PROTOCOL")


async def _resolved(
    url: str, headers: dict[str, str], body: bytes, settings: Settings, connections: Connections
) -> Outcome:
    scheme, host, port = origin_of(httpx.URL(url))
    address = await resolve(host, port, allow_private=settings.webhooks_allow_private)
    return await _post(Target(scheme, host, port, address), url, headers, body, settings, connections)


async def _post(
    target: Target, endpoint_url: str, headers: dict[str, str], body: bytes, settings: Settings,
    connections: Connections,
) -> Outcome:  # fmt: skip
    url = httpx.URL(endpoint_url)
    if origin_of(url) != target.origin:
        raise ValueError("the target is not the URL's origin")
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    timeout = httpx.Timeout(settings.webhooks_timeout_s, connect=settings.webhooks_connect_timeout_s)
    request_headers = {
        **headers,
        "host": url.netloc.decode("ascii"),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    async with connections.client(target) as client:
        request = client.build_request(
            "POST", url.copy_with(host=str(target.address)), content=body, headers=request_headers,
            extensions=extensions, timeout=timeout,
        )  # fmt: skip
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            await _drain(response, settings.webhooks_max_response_bytes)
        finally:
            await response.aclose()
    if 200 <= response.status_code < 300:
        return Outcome(response.status_code, None)
    return Outcome(response.status_code, "REDIRECT" if 300 <= response.status_code < 400 else "HTTP_STATUS")


async def _drain(response: httpx.Response, cap: int) -> None:
    """Read at most ``cap`` bytes of the answer and forget them (a connection left with more unread is closed)."""
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= cap:
            return
