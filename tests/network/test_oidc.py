"""External OpenID Connect issuers: accepted only when signature, issuer, audience and times hold."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.app import configure_state, create_app
from api.auth.oidc import parse_issuers
from api.crypto import Sealer
from api.models.enums import OrganizationKind, Role
from api.settings import Settings
from tests import factories as f

ISSUER, REMOTE, AUDIENCE = "https://idp.example.test", "https://remote-idp.example.test", "sanctuary-api"
ME = "{ me { alias } }"


@pytest.fixture(scope="module")
def idp_key() -> RSAKey:
    return RSAKey.generate_key(2048, {"kid": "idp-1", "alg": "RS256"}, private=True)


@pytest.fixture(scope="module")
def jwks_server(idp_key: RSAKey) -> Iterator[str]:
    """A real HTTP server publishing the remote issuer's JWKS on a free loopback port."""
    jwks = {"keys": [idp_key.as_dict(private=False)]}
    app = Starlette(routes=[Route("/jwks", lambda request: JSONResponse(jwks))])
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))  # kept bound and handed to uvicorn: no race for the port
    port = listening.getsockname()[1]
    # no log_config, log_level or access_log: uvicorn would reconfigure the process-wide loggers the log checks watch
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the JWKS server could not start"
        assert time.monotonic() < deadline, "the JWKS server did not start within 10 s"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/jwks"
    server.should_exit = True
    thread.join(5)
    listening.close()


@pytest.fixture
async def oidc_client(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer,
    idp_key: RSAKey, jwks_server: str,
) -> AsyncIterator[httpx.AsyncClient]:  # fmt: skip
    issuers = [
        {"issuer": ISSUER, "audience": AUDIENCE, "jwks": {"keys": [idp_key.as_dict(private=False)]}},
        {"issuer": REMOTE, "audience": AUDIENCE, "jwks_uri": jwks_server, "claim": "email"},
    ]
    configured = settings.model_copy(update={"oidc_issuers": orjson.dumps(issuers).decode()})
    app = create_app(configured, engine=engine, sealer=sealer)
    configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=configured)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


def _claims(email: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "email": email, "iat": now, "exp": now + 300, **overrides}


async def _member(db: AsyncSession, **values: Any) -> str:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    member = await f.member(db, org, Role.LEGAL_ADVOCATE, alias="Heron", **values)
    await db.commit()
    return member.email


async def _status(client: httpx.AsyncClient, token: str) -> tuple[int, Any]:
    response = await client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json()


async def test_valid_external_token_maps_to_the_member(
    oidc_client: httpx.AsyncClient, db: AsyncSession, idp_key: RSAKey
) -> None:
    email = await _member(db)
    token = jwt.encode({"alg": "RS256", "kid": "idp-1"}, _claims(email.upper()), idp_key)
    cost = {"cost": {"requested": 1, "actual": 1}}
    assert await _status(oidc_client, token) == (200, {"data": {"me": {"alias": "Heron"}}, "extensions": cost})


async def test_keys_fetched_from_the_issuers_jwks_uri(
    oidc_client: httpx.AsyncClient, db: AsyncSession, idp_key: RSAKey
) -> None:
    email = await _member(db)
    token = jwt.encode({"alg": "RS256", "kid": "idp-1"}, _claims(email, iss=REMOTE), idp_key)
    assert (await _status(oidc_client, token))[0] == 200


@pytest.mark.parametrize(
    "change",
    [{"aud": "another-api"}, {"exp": int(time.time()) - 120}, {"nbf": int(time.time()) + 3600},
     {"email": "nobody@example.test"}],
)  # fmt: skip
async def test_external_token_with_bad_claims_is_refused(
    oidc_client: httpx.AsyncClient, db: AsyncSession, idp_key: RSAKey, change: dict[str, Any]
) -> None:
    email = await _member(db)
    token = jwt.encode({"alg": "RS256", "kid": "idp-1"}, {**_claims(email), **change}, idp_key)
    assert (await _status(oidc_client, token))[0] == 401


async def test_inactive_member_is_refused(oidc_client: httpx.AsyncClient, db: AsyncSession, idp_key: RSAKey) -> None:
    email = await _member(db, active=False)
    token = jwt.encode({"alg": "RS256", "kid": "idp-1"}, _claims(email), idp_key)
    assert (await _status(oidc_client, token))[0] == 401


async def test_alg_none_and_key_confusion_and_embedded_keys_are_refused(
    oidc_client: httpx.AsyncClient, db: AsyncSession, idp_key: RSAKey
) -> None:
    email = await _member(db)

    def b64(data: Any) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")

    unsigned = f"{b64({'alg': 'none', 'kid': 'idp-1'})}.{b64(_claims(email))}."
    public_pem = idp_key.as_pem(private=False)
    signing_input = f"{b64({'alg': 'HS256', 'kid': 'idp-1'})}.{b64(_claims(email))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()  # the public key as an HMAC secret
    confused = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    attacker = RSAKey.generate_key(2048, {"kid": "idp-1"}, private=True)
    embedded = jwt.encode({"alg": "RS256", "kid": "idp-1", "jwk": attacker.as_dict(private=False)},
                          _claims(email), attacker)  # fmt: skip
    for token in (unsigned, confused, embedded):
        assert (await _status(oidc_client, token))[0] == 401


@pytest.mark.parametrize("algorithms", [["none"], ["HS256"], []])
def test_configuring_unsafe_algorithms_is_rejected(algorithms: list[str]) -> None:
    config = [{"issuer": ISSUER, "audience": AUDIENCE, "jwks": {"keys": []}, "algorithms": algorithms}]
    with pytest.raises(ValueError, match="algorithms"):
        parse_issuers(orjson.dumps(config).decode())
