"""Who may mint a personal access token: the person, signed in moments ago, through the API itself.

A token is a person's own (domain.md, "People and credentials"); minting one needs a recent proof of who they are
(a passkey or their issuer) made through GraphiQL or the API's own pages (the account page): never a personal
access token (it carries no sign-in), never a partner app acting for them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.auth.clients import GRAPHIQL_CLIENT_ID
from api.auth.viewer import Viewer

FIRST_PARTY_CLIENTS = frozenset({None, GRAPHIQL_CLIENT_ID})  # no app, or the API's own GraphiQL acting for the person
CLOCK_SKEW = timedelta(minutes=1)


def is_recent(signed_in_at: datetime, recent: timedelta) -> bool:
    """A sign-in at ``signed_in_at`` happened within ``recent`` (and not later than now, give or take the skew)."""
    now = datetime.now(UTC)
    return now - recent <= signed_in_at <= now + CLOCK_SKEW


def signed_in_recently(viewer: Viewer, recent: timedelta) -> bool:
    """The person proved who they are within ``recent`` (a passkey or their issuer), through GraphiQL or the
    API's own pages: not a personal access token (no sign-in), not a partner app acting for them."""
    if viewer.auth_time is None or viewer.client_id not in FIRST_PARTY_CLIENTS:
        return False
    return is_recent(viewer.auth_time, recent)
