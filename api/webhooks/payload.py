"""A webhook's payload: the endpoint's subscription document, run for the event under the app's rights now.

The document registered with an endpoint is a GraphQL subscription of the API (e.g.
``subscription { incidentEvents { kind incident { id status coarseArea } } }``), checked at registration
against the schema of the app's ceiling (the per-audience schema of its roles: a field outside the ceiling
fails like a field that does not exist) and its event kinds against those the subscription delivers. At each
attempt it is rendered by the subscriptions' own path (:func:`api.schema.engine.live.render_event`), as the app
is *then* (authenticated, and its facts loaded, once for all its deliveries in a claimed batch:
:mod:`api.webhooks.apps`): a record it may not read gives no payload, a field it may not read on this record is null and listed in
``withheld``, T2/T3 reads are audited as the app's, a document its narrowed ceiling no longer allows is refused.
The body is ``{"type", "timestamp", "data"}`` (Standard Webhooks' shape), plus ``withheld``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.viewer import Viewer
from api.crypto import Sealer
from api.events.event import Event
from api.models.enums import EventKind
from api.schema.engine.live import LiveRefused, prepare_operation, render_event
from api.settings import Settings
from api.webhooks.apps import AppNow


class DocumentRefused(ValueError):
    """The document cannot select a webhook payload for this app (the message says why, never quoting it)."""


class KindsRefused(DocumentRefused):
    """The subscription never delivers some of the endpoint's event kinds."""


@dataclass
class RenderState:
    """What rendering needs (the subset of ``app.state`` :func:`render_event` reads)."""

    sessionmaker: async_sessionmaker[AsyncSession]
    sealer: Sealer
    settings: Settings


@dataclass(frozen=True)
class Rendered:
    """The JSON body of one delivery, or why there is none: ``skip`` (the app may not see it), ``drop`` (it can
    never be sent), ``retry`` (rendering failed this time)."""

    body: bytes | None
    skip: bool = False
    drop: str | None = None
    retry: str | None = None


def check(document: str, viewer: Viewer, settings: Settings, kinds: list[EventKind]) -> None:
    """DocumentRefused unless the document is a subscription valid in the viewer's schema that delivers ``kinds``."""
    try:
        operation = prepare_operation(viewer, {"query": document}, settings)
    except LiveRefused as refused:
        reasons = "; ".join(str(error.get("message", "")) for error in refused.errors[:3])
        raise DocumentRefused(f"The document is not a subscription the app's ceiling allows: {reasons}") from None
    missing = set(kinds) - set(operation.spec.kinds)
    if missing:
        raise KindsRefused(f"This subscription never delivers {', '.join(sorted(missing))}.")


async def render(state: RenderState, app: AppNow, document: str, event: Event) -> Rendered:
    """Render the document for ``event`` as ``app`` (the app now); audited by the rendering itself. The
    subscriptions keep a validated document per audience: only whether the app may see this event is new."""
    try:
        body = await render_event(state, app.viewer, document, event, facts=app.facts)
    except LiveRefused:
        return Rendered(None, drop="DOCUMENT_INVALID")
    if body is None:
        return Rendered(None, skip=True)
    if body.get("errors"):
        return Rendered(None, retry="RENDER_ERROR")
    return Rendered(_body(event, body))


def _body(event: Event, rendered: dict[str, Any]) -> bytes:
    body: dict[str, Any] = {
        "type": event.kind.value,
        "timestamp": event.occurred_at.isoformat(),
        "data": rendered.get("data"),
    }
    withheld = (rendered.get("extensions") or {}).get("withheld")
    if withheld:
        body["withheld"] = withheld
    return orjson.dumps(body)
