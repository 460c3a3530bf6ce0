"""A viewer that signed in a moment ago: the request's real credential, with ``auth_time`` set to now.

GraphiQL's delegated tokens carry the sign-in time (``auth_time``); the tests that are not about how it got
there build that viewer here, from the personal access token they send (which alone carries no sign-in).
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.auth.authenticate import authenticate
from api.auth.viewer import Viewer
from api.schema.engine import view


def sign_in_every_member(
    monkeypatch: pytest.MonkeyPatch,
    *,
    ago: timedelta = timedelta(0),
    session_id: uuid.UUID | None = None,
    client_id: str | None = None,
) -> None:
    """Every member the requests authenticate signed in ``ago``, through GraphiQL (or the app ``client_id``), in
    the app session ``session_id`` when given."""
    real = authenticate

    async def signed_in(*args: Any, **kwargs: Any) -> Viewer:
        viewer = await real(*args, **kwargs)
        if viewer.member_id is None:
            return viewer
        changes: dict[str, Any] = {"auth_time": datetime.now(UTC) - ago, "session_id": session_id}
        return dataclasses.replace(viewer, **changes, client_id=client_id or viewer.client_id)

    monkeypatch.setattr(view, "authenticate", signed_in)


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """Members sign in just before each request."""
    sign_in_every_member(monkeypatch)
