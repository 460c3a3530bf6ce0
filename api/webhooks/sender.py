"""One webhook request: to the checked address of the registered host only, bounded in time and size.

The host is resolved and checked once (:func:`api.webhooks.addresses.resolve`), then the request goes to
that address, with the registered host in ``Host`` and in TLS (SNI and certificate check): no second
resolution. Redirects are never followed (a 3xx is a failure). The response is read up to a cap and
discarded; only its status code is kept. Failures are reported as a short class, never a message
(messages may quote the URL or the receiver's answer).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from functools import lru_cache

import httpx

from api.settings import Settings
from api.webhooks.addresses import AddressRefused, resolve

USER_AGENT = "sanctuary-api-webhooks/1"


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """One TLS context for every attempt (building one loads the CA bundle: milliseconds each time)."""
    return ssl.create_default_context()


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: the status code (None when no answer) and a failure class (None on success)."""

    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


async def send(url: str, headers: dict[str, str], body: bytes, settings: Settings) -> Outcome:
    """POST ``body`` to ``url`` with ``headers``; never raises for what the receiver or the network does."""
    try:
        async with asyncio.timeout(settings.webhooks_timeout_s):
            return await _send(httpx.URL(url), headers, body, settings)
    except AddressRefused as refused:
        return Outcome(None, refused.code)
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(None, "TIMEOUT")
    except httpx.ConnectError as error:
        return Outcome(None, "TLS" if isinstance(error.__context__, ssl.SSLError) else "CONNECT")
    except (httpx.HTTPError, OSError, ValueError):
        return Outcome(None, "PROTOCOL")


async def _send(url: httpx.URL, headers: dict[str, str], body: bytes, settings: Settings) -> Outcome:
    host = url.host
    port = url.port or (443 if url.scheme == "https" else 80)
    address = await resolve(host, port, allow_private=settings.webhooks_allow_private)
    target = url.copy_with(host=str(address))
    extensions = {"sni_hostname": host} if url.scheme == "https" else {}
    timeout = httpx.Timeout(settings.webhooks_timeout_s, connect=settings.webhooks_connect_timeout_s)
    request_headers = {
        **headers,
        "host": url.netloc.decode("ascii"),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls()) as client:
        request = client.build_request("POST", target, content=body, headers=request_headers, extensions=extensions)
        response = await client.send(request, stream=True)
        try:
            await _drain(response, settings.webhooks_max_response_bytes)
        finally:
            await response.aclose()
    if 200 <= response.status_code < 300:
        return Outcome(response.status_code, None)
    return Outcome(response.status_code, "REDIRECT" if 300 <= response.status_code < 400 else "HTTP_STATUS")


async def _drain(response: httpx.Response, cap: int) -> None:
    """Read at most ``cap`` bytes of the answer and forget them."""
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= cap:
            return
