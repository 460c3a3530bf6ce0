"""What ties a viewer to records: loaded once per request, in one statement, only as its roles need.

Facts are small sets of ids about the viewer itself (its congregations, its assignments, its
dispatches, the cases it hosts): the relations in :mod:`api.auth.fields` test rows against them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import ScalarSelect, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import ties
from api.auth.bound_viewer import Shape, values
from api.auth.viewer import Viewer
from api.models import AccompanimentRequest, SanctuaryCase
from api.models.enums import Role

Ids = frozenset[uuid.UUID]


@dataclass(frozen=True)
class Facts:
    """Id sets tying the viewer to records (empty for anonymous viewers)."""

    congregation_ids: Ids = field(default_factory=frozenset)
    supported_case_ids: Ids = field(default_factory=frozenset)
    hosted_person_ids: Ids = field(default_factory=frozenset)
    assigned_shift_ids: Ids = field(default_factory=frozenset)
    assigned_request_ids: Ids = field(default_factory=frozenset)
    assigned_person_ids: Ids = field(default_factory=frozenset)
    routed_person_ids: Ids = field(default_factory=frozenset)
    matched_request_ids: Ids = field(default_factory=frozenset)
    dispatched_incident_ids: Ids = field(default_factory=frozenset)
    dispatch_region_ids: Ids = field(default_factory=frozenset)


NO_FACTS = Facts()


async def load_facts(session: AsyncSession, viewer: Viewer) -> Facts:
    """The facts the viewer's roles need, in a single round trip (a partner app has no member: only the facts
    about its organization, its congregations, hosted people and dispatch regions, are not empty). The statement
    is built once per viewer shape (:mod:`api.auth.bound_viewer`) and bound to this viewer's ids."""
    if viewer.is_anonymous:
        return NO_FACTS
    statement = _statement(Shape.of(viewer))
    if statement is None:
        return NO_FACTS
    connection = await session.connection()
    row = (await connection.execute(statement, values(viewer))).one()
    return Facts(**{name: frozenset(value or ()) for name, value in row._mapping.items()})


@lru_cache(maxsize=256)
def _statement(shape: Shape) -> Select[Any] | None:
    """The facts of viewers of ``shape``, one array column per fact its roles need (None: it needs none)."""
    queries = fact_queries(shape.viewer())
    return select(*(_array(q).label(n) for n, q in queries.items())) if queries else None


def fact_queries(viewer: Viewer) -> dict[str, Select[Any]]:
    """The statement of each fact ``viewer``'s roles need, by name, built for ``viewer`` (a bound viewer's, or
    a viewer's own ids as literals)."""
    return {name: build(viewer) for name, (roles, build) in _FACTS.items() if viewer.has_role(*roles)}


def facts_sql(name: str, viewer: Viewer) -> Select[Any] | None:
    """The statement one fact is loaded from (None when the viewer's roles do not load it), for a rule
    applied inside a statement instead of to loaded rows."""
    roles, build = _FACTS[name]
    if viewer.is_anonymous or not viewer.has_role(*roles):
        return None
    return build(viewer)


def _array(query: Select[Any]) -> ScalarSelect[Any]:
    return select(func.array_agg(query.subquery().c[0])).scalar_subquery()


def _assigned_persons(viewer: Viewer) -> Select[Any]:
    cases = ties.volunteer_cases(viewer, SanctuaryCase.person_id)
    return ties.accompanying(viewer, AccompanimentRequest.person_id).union(cases)  # type: ignore[return-value]


_FACTS: dict[str, tuple[tuple[Role, ...], Callable[[Viewer], Select[Any]]]] = {
    # only for the roles whose grants use the relation (api/auth/fields.py)
    "congregation_ids": (
        (Role.ACCOMPANIMENT_COORDINATOR, Role.SANCTUARY_COORDINATOR, Role.HOSPITALITY_VOLUNTEER),
        ties.congregations,
    ),
    "supported_case_ids": ((Role.SANCTUARY_COORDINATOR,), ties.supported_cases),
    "hosted_person_ids": ((Role.SANCTUARY_COORDINATOR,), lambda viewer: ties.hosted(viewer, SanctuaryCase.person_id)),
    "assigned_shift_ids": ((Role.HOSPITALITY_VOLUNTEER,), ties.assigned_shifts),
    "assigned_request_ids": ((Role.ACCOMPANIER,), ties.accompanying),  # not called off
    "assigned_person_ids": ((Role.ACCOMPANIER, Role.HOSPITALITY_VOLUNTEER), _assigned_persons),
    "routed_person_ids": (
        (Role.ACCOMPANIMENT_COORDINATOR,),
        lambda viewer: ties.routed(viewer, AccompanimentRequest.person_id),
    ),
    "matched_request_ids": ((Role.ACCOMPANIMENT_COORDINATOR,), ties.matched_requests),
    "dispatched_incident_ids": ((Role.RR_RESPONDER,), ties.active_dispatches),
    "dispatch_region_ids": ((Role.RR_DISPATCHER,), ties.dispatch_regions),
}
