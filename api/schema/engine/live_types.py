"""What subscription fields are made of: the payload interface, the field spec, the ``after`` argument.

Domain folders declare their subscription fields with these (``metadata=live(LiveSpec(...))``); the
machinery that serves them (:mod:`api.schema.engine.live`, ``live_socket``, ``live_server``) reads the spec.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Select

from api.auth.facts import Facts
from api.auth.viewer import Viewer
from api.events.event import Event
from api.models.enums import EventKind
from api.schema.engine.errors import ClientError

if TYPE_CHECKING:
    from api.schema.engine.context import Context

Relevant = Callable[[Event, Viewer, Facts, Mapping[str, Any]], bool]
Keeps = Callable[[Any, Viewer], bool]
Payload = Callable[["Context", "LiveBase", Any], Awaitable[Any]]

AfterEventArg = Annotated[
    str | None,
    strawberry.argument(
        description="Resume after this event (an `eventId` you received): the events since then, within the "
        "retention, come first, then live ones; none twice, none missed."
    ),
]


async def over_websocket_only() -> AsyncGenerator[Any, None]:
    """The body of every subscription resolver: subscriptions run only through the WebSocket server."""
    raise ClientError(
        "Subscriptions are served over WebSocket at /graphql (graphql-transport-ws).", code="WEBSOCKET_ONLY"
    )
    yield  # an async generator, as strawberry requires of a subscription  # pragma: no cover


@strawberry.interface(description="Something that happened to a record, as a subscription delivers it.")
class LiveEvent:
    event_id: str = strawberry.field(
        description="The event's cursor (opaque): pass it as `after` to resume after this event, with nothing missed "
        "and nothing twice, within the events' retention."
    )
    kind: EventKind = strawberry.field(description="What happened.")
    occurred_at: datetime = strawberry.field(description="When it happened.")


@dataclass(frozen=True)
class LiveBase:
    """The fields every payload shares (a :class:`LiveEvent`'s), from the event and its cursor."""

    event_id: str
    kind: EventKind
    occurred_at: datetime
    record_type: str  # the table of the record (``domain_event.record_type``)


def _always(*_: Any) -> bool:
    return True


@dataclass(frozen=True)
class LiveSpec:
    """What a subscription field is about: event kinds, record types (table name -> model), which events
    concern a viewer (before the record is read) and which records (after), and how its payload is built."""

    kinds: frozenset[EventKind]
    models: Mapping[str, type[Any]]
    payload: Payload
    relevant: Relevant = _always
    keeps: Keeps = _always
    rows: Callable[[Viewer], Select[Any]] | None = None  # a narrower row rule than ``readable`` (public alerts)
    arguments: Callable[[dict[str, Any]], dict[str, Any]] = dict
    # the payload is what an anonymous caller may read, whoever subscribes (public alerts): the same for every
    # subscriber, so it is rendered once per document; the subscriber's credential is still checked at each event
    public: bool = False


def live(spec: LiveSpec) -> dict[str, Any]:
    """Field metadata of a subscription field."""
    return {"live": spec}
