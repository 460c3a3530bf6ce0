"""Registering partner apps for the people grants: redirect URIs, public clients, grants (GraphQL)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import valid_redirect_uri
from api.models.enums import OrganizationKind
from tests.network.factories import org_admin
from tests.workflow import ok, user_error

SELECTION = "partnerApp { clientId public redirectUris grants } clientSecret"


@pytest.mark.parametrize(
    ("uri", "valid"),
    [
        ("https://app.example/callback", True),
        ("http://localhost:3000/cb", True),
        ("http://127.0.0.1/cb", True),
        ("http://[::1]:8080/cb", True),
        ("http://app.example/cb", False),
        ("http://localhost.evil.example/cb", False),
        ("https://app.example/cb#fragment", False),
        ("https://user@app.example/cb", False),
        ("https://*.example/cb", False),
        ("javascript:alert(1)", False),
        ("https:///cb", False),
        ("https://app.example/c b", False),
        ("", False),
    ],
)
def test_redirect_uris_are_validated_at_registration(uri: str, valid: bool) -> None:
    assert valid_redirect_uri(uri) is valid


async def test_an_org_admin_registers_a_public_spa_and_bad_registrations_are_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db, OrganizationKind.LEGAL_AID)
    values = {"name": "Intake SPA", "scopes": ["read", "write"], "maxRoles": ["LEGAL_ADVOCATE"],
              "grants": ["AUTHORIZATION_CODE"], "redirectUris": ["https://intake.example/cb"], "public": True}  # fmt: skip
    payload = await ok(client, "partnerAppCreate", values, admin, SELECTION)
    assert payload["partnerApp"]["public"] is True
    assert payload["partnerApp"]["redirectUris"] == ["https://intake.example/cb"]
    assert payload["partnerApp"]["grants"] == ["AUTHORIZATION_CODE"]
    default = await ok(client, "partnerAppCreate", values | {"grants": None, "redirectUris": None, "public": False},
                       admin, SELECTION)  # fmt: skip
    assert default["partnerApp"]["grants"] == ["CLIENT_CREDENTIALS"]
    for wrong, code in (
        ({"redirectUris": ["http://intake.example/cb"]}, "INVALID_REDIRECT_URI"),
        ({"redirectUris": []}, "INVALID_REDIRECT_URI"),
        ({"grants": ["CLIENT_CREDENTIALS"]}, "INVALID_GRANT"),  # public: no secret for client credentials
    ):
        error = await user_error(client, "partnerAppCreate", values | wrong, admin, SELECTION)
        assert error["code"] == code
        assert "intake.example" not in error["message"]
