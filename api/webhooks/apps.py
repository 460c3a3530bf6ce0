"""The apps a claimed batch delivers for, as they are when it is claimed: each one authenticated once and its facts
loaded once, however many of its deliveries the batch holds.

A batch is claimed and rendered in one go, so the claim's moment is each delivery's *now*: an app disabled, narrowed
or left without a role before the claim gets nothing it no longer may; one whose rights change after it gets its new
rights from the next batch on (nothing is kept from one batch to the next).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import app_viewers
from api.auth.facts import Facts, load_facts
from api.auth.viewer import Viewer


@dataclass(frozen=True)
class AppNow:
    """A partner app as its batch's deliveries are rendered: the viewer it acts as now and that viewer's facts."""

    viewer: Viewer
    facts: Facts


async def apps_now(session: AsyncSession, app_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AppNow | None]:
    """Each app as it is now, authenticated in one statement, with its facts (one statement per app); None for one
    disabled or left without a role."""
    viewers = await app_viewers(session, app_ids)
    return {
        app_id: None if viewer is None else AppNow(viewer, await load_facts(session, viewer))
        for app_id, viewer in viewers.items()
    }
