"""Who may see and revoke a person's consents to partner apps: the person, through their own credential."""

from __future__ import annotations

import uuid

from api.auth.viewer import Viewer


def consent_owner(viewer: Viewer) -> uuid.UUID | None:
    """The member whose consents the viewer may list and revoke, or None.

    The person themselves through their own credential (a sign-in, GraphiQL, a token they created); a partner
    app acting for them does not learn which other apps they use, nor revoke them.
    """
    return viewer.member_id if viewer.own_credential else None
