"""Helpers driving the sign-in pages over HTTP with a software authenticator, as the pages' script would."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from api.signin.sessions import COOKIE
from tests.graphql import gid
from tests.signin.authenticator import SoftAuthenticator
from tests.workflow import Actor, ok

ORIGIN = "http://127.0.0.1:8000"  # the test settings' public URL


async def invite(client: httpx.AsyncClient, admin: Actor, member: Any, **values: Any) -> str:
    """The path of a new invitation of ``member`` made by ``admin``."""
    payload = await ok(client, "memberInvite", {"memberId": gid(member)} | values, admin, "link expiresAt")
    return str(urlsplit(payload["link"]).path)


async def csrf(client: httpx.AsyncClient, path: str) -> str:
    """The CSRF token of a page (its cookie is kept by the client)."""
    page = await client.get(path)
    assert page.status_code == 200, page.status_code
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def post(client: httpx.AsyncClient, path: str, token: str, body: dict[str, Any]) -> httpx.Response:
    """A ceremony step as the script sends it."""
    return await client.post(path, json=body, headers={"X-CSRF-Token": token})


async def enroll(client: httpx.AsyncClient, path: str, key: SoftAuthenticator, name: str = "laptop") -> httpx.Response:
    """Register ``key`` on the invitation at ``path``; the final response."""
    token = await csrf(client, path)
    options = await post(client, f"{path}/options", token, {})
    assert options.status_code == 200, options.text
    body = options.json()
    credential = key.create(body["publicKey"])
    return await post(client, path, token, {"challengeId": body["challengeId"], "credential": credential, "name": name})


async def sign_in(client: httpx.AsyncClient, key: SoftAuthenticator, count: int | None = None) -> httpx.Response:
    """Sign in with ``key`` (as a browser without a session); the final response."""
    if COOKIE in client.cookies:
        client.cookies.delete(COOKIE)
    token = await csrf(client, "/signin")
    options = (await post(client, "/signin/options", token, {})).json()
    credential = key.get(options["publicKey"], count=count)
    return await post(client, "/signin", token, {"challengeId": options["challengeId"], "credential": credential})
