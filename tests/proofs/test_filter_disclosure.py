"""A filter on a field reveals nothing the field itself would not: for every filterable T2/T3 field and every
viewer, a filter value matching the record finds it exactly when the viewer may read that field on it (the
V cells of tests/proofs/test_access_matrix.py, written out again here); every other viewer gets the same answer
with a matching and a non-matching value. Also: every filter argument and ordering of the schema is
classified here, so a new filter on a restricted field cannot slip in untested.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from graphql import GraphQLNonNull, GraphQLObjectType
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import AuditEvent, Person
from api.models.base import Tier, column_tier
from api.schema.engine.ids import encode_global_id
from api.schema.engine.registry import RECORD_MODELS
from api.schema.engine.relay import ConnectionOrder
from api.schema.schema import schema
from tests.canaries import canary
from tests.graphql import gql
from tests.proofs.test_access_matrix import VIEWERS
from tests.proofs.world import World, build_world

SOON = (datetime.now(UTC) + timedelta(hours=1)).isoformat()  # world: S1 starts in 1 day, R1's appointment in 7
LATER = (datetime.now(UTC) + timedelta(days=30)).isoformat()

# the member holding both of A's volunteer roles: the union of accompanier@A's and hospitality_volunteer@A's rows
BOTH_A = "accompanier+hospitality_volunteer@A"
# (connection, argument, record, GraphQL type, its field) -> (value matching the record, value not matching it,
# the viewers that find the record with the matching value: exactly those that may read the field on it)
FILTERS: dict[tuple[str, str, str, str, str], tuple[Any, Any, set[str]]] = {
    ("accompanimentRequests", "appointmentFrom", "R1", "AccompanimentRequest", "appointmentAt"): (
        SOON, LATER, {"legal_advocate@L1", "org_admin@L1", "accompaniment_coordinator@A", "accompanier@A", BOTH_A}),
    ("accompanimentRequests", "appointmentBefore", "R1", "AccompanimentRequest", "appointmentAt"): (
        LATER, SOON, {"legal_advocate@L1", "org_admin@L1", "accompaniment_coordinator@A", "accompanier@A", BOTH_A}),
    ("sanctuaryCases", "status", "C1", "SanctuaryCase", "status"): (
        ["IN_SANCTUARY"], ["INQUIRY"], {"sanctuary_coordinator@A", "org_admin@A", "sanctuary_coordinator@B"}),
    ("hospitalityShifts", "startsFrom", "S1", "HospitalityShift", "startsAt"): (
        SOON, LATER, {"sanctuary_coordinator@A", "org_admin@A", "hospitality_volunteer@A", BOTH_A}),
    ("hospitalityShifts", "startsBefore", "S1", "HospitalityShift", "startsAt"): (
        LATER, SOON, {"sanctuary_coordinator@A", "org_admin@A", "hospitality_volunteer@A", BOTH_A}),
    # P1: registered by L1; P2: registered by A and hosted by A (A's volunteer has a shift with P2: sees the
    # preferred name, never the A-number)
    ("persons", "aNumber", "P1", "Person", "aNumber"): (
        "A-100-200-300", "A-100-200-301", {"legal_advocate@L1", "org_admin@L1"}),
    ("persons", "aNumber", "P2", "Person", "aNumber"): (
        "200300400", "200300401", {"sanctuary_coordinator@A", "org_admin@A"}),
}  # fmt: skip

# Every other filter argument of every connection, with the field it filters on: all public or network (T0/T1).
OPEN_FILTERS = {
    ("members", "organization"): ("Member", "organization"),
    ("members", "role"): ("Member", "roles"),
    ("organizations", "kind"): ("Organization", "kind"),
    ("organizations", "region"): ("Organization", "region"),
    ("congregations", "commitment"): ("Congregation", "commitment"),
    ("congregations", "region"): ("Organization", "region"),
    ("accompanimentRequests", "status"): ("AccompanimentRequest", "status"),
    ("accompanimentRequests", "kind"): ("AccompanimentRequest", "kind"),
    ("accompanimentRequests", "region"): ("AccompanimentRequest", "region"),
    ("hospitalityShifts", "status"): ("HospitalityShift", "status"),
    ("rapidResponseIncidents", "kind"): ("RapidResponseIncident", "kind"),
    ("rapidResponseIncidents", "status"): ("RapidResponseIncident", "status"),
    ("rapidResponseIncidents", "verification"): ("RapidResponseIncident", "verification"),
    ("rapidResponseIncidents", "region"): ("RapidResponseIncident", "region"),
    ("rapidResponseIncidents", "reportedFrom"): ("RapidResponseIncident", "reportedAt"),
    ("rapidResponseIncidents", "reportedBefore"): ("RapidResponseIncident", "reportedAt"),
    ("broadcastAlerts", "kind"): ("RapidResponseIncident", "kind"),
    ("broadcastAlerts", "region"): ("RapidResponseIncident", "region"),
    ("incidentEvents", "regionIds"): ("RapidResponseIncident", "region"),  # a subscription's regions (T1)
    ("advocacyActions", "status"): ("AdvocacyAction", "status"),
    ("advocacyActions", "level"): ("AdvocacyAction", "level"),
    ("advocacyActions", "startsFrom"): ("AdvocacyAction", "startsAt"),
    ("advocacyActions", "startsBefore"): ("AdvocacyAction", "startsAt"),
    ("auditEvents", "occurredFrom"): ("AuditEvent", "occurredAt"),
    ("auditEvents", "occurredBefore"): ("AuditEvent", "occurredAt"),
    ("webhookEndpoints", "appId"): ("WebhookEndpoint", "app"),
    ("deliveries", "status"): ("WebhookDelivery", "status"),
}
PAGING = {"first", "after", "last", "before", "orderBy", "updatedSince"}  # updatedSince: `updatedAt`, T1 (below)
NOT_FILTERS = {("node", "id"), ("nodes", "ids")}  # lookups by opaque id, through the row rule
NOT_FILTERS |= {("queryCost", "document"), ("queryCost", "variables"), ("queryCost", "operationName")}  # reads no row


def _field_tier(type_name: str, field_name: str) -> Tier | None:
    definition = schema.get_type_by_name(type_name)
    for field in getattr(definition, "fields", []):
        if schema.config.name_converter.get_graphql_name(field) == field_name:
            tier = (field.metadata or {}).get("tier")
            return None if tier is None else Tier(tier)
    raise AssertionError(f"{type_name}.{field_name} does not exist")


def test_every_filter_argument_of_every_field_is_classified_and_restricted_ones_are_tested() -> None:
    found = set()
    for graphql_type in schema._schema.type_map.values():
        if isinstance(graphql_type, GraphQLObjectType) and not graphql_type.name.startswith("__") \
            and graphql_type is not schema._schema.mutation_type:  # fmt: skip
            for name, field in graphql_type.fields.items():
                found |= {(name, argument) for argument in field.args if argument not in PAGING}
    restricted = {(connection, argument) for connection, argument, *_ in FILTERS}
    assert found - NOT_FILTERS == restricted | set(OPEN_FILTERS)
    for type_name, field_name in OPEN_FILTERS.values():
        assert (_field_tier(type_name, field_name) or Tier.T1) <= Tier.T1, (type_name, field_name)
    for _c, _a, _r, type_name, field_name in FILTERS:
        assert (_field_tier(type_name, field_name) or Tier.T0) >= Tier.T2, (type_name, field_name)


def test_orderings_and_cursors_are_on_network_fields_only() -> None:
    assert {order.name for order in ConnectionOrder} == {"CREATED_AT", "UPDATED_AT"}
    for model in set(RECORD_MODELS.values()):
        for column in ("created_at", "updated_at"):
            if hasattr(model, column):
                assert column_tier(getattr(model, column)) == Tier.T1, (model, column)
    assert column_tier(AuditEvent.occurred_at) == Tier.T1  # the audit log's order (auditors only)


async def _world(db: AsyncSession, sealer: Sealer) -> World:
    world = await build_world(db, sealer)
    guest: Person = world.records["P2"]
    a_number = canary("A-200-300-400")
    guest.a_number = await sealer.seal(db, guest.organization_id, guest.id, "person.a_number", a_number)
    guest.a_number_index = await sealer.blind_index(db, a_number)
    await db.commit()
    return world


async def _finds(client: httpx.AsyncClient, token: str | None, connection: str, argument: str, value: Any,
                 type_name: str, record: Any) -> str:  # fmt: skip
    document = f"query($v: {_argument_type(connection, argument)}) {{ {connection}(first: 100, {argument}: $v) " \
               "{ nodes { id } } }"  # fmt: skip
    body = await gql(client, document, {"v": value}, token=token)
    if "errors" in body:
        return "error"
    ids = {node["id"] for node in body["data"][connection]["nodes"]}
    return "found" if encode_global_id(type_name, record.id) in ids else "not found"


def _argument_type(connection: str, argument: str) -> str:
    graphql_type = schema._schema.query_type.fields[connection].args[argument].type  # type: ignore[union-attr]
    return str(graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_a_filter_reveals_nothing_the_field_would_not(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, viewer: str
) -> None:
    world = await _world(db, sealer)
    token = world.tokens.get(viewer)
    mismatches = []
    for (connection, argument, name, type_name, field), (matching, other, readers) in FILTERS.items():
        record = world.records[name]
        hit = await _finds(client, token, connection, argument, matching, type_name, record)
        miss = await _finds(client, token, connection, argument, other, type_name, record)
        expected = ("found", "not found") if viewer in readers else (miss, miss)
        if (hit, miss) != expected or (viewer not in readers and miss == "found"):
            mismatches.append(f"{connection}({argument}) on {name}.{field}: {hit} / {miss}")
    assert mismatches == []


@pytest.mark.parametrize("name", ["congregations", "advocacyActions"])
async def test_anonymous_callers_learn_no_update_time_through_updated_since(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, name: str
) -> None:
    world = await build_world(db, sealer)  # cong_A and AV1 are public; update times are network (T1) data
    document = f"query($v: DateTime) {{ {name}(first: 100, updatedSince: $v) {{ nodes {{ id }} }} }}"
    answers = {}
    for viewer in ("anonymous", "org_admin@A"):
        for since in ("2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z"):
            body = await gql(client, document, {"v": since}, token=world.tokens.get(viewer))
            answers[viewer, since[:4]] = len(body["data"][name]["nodes"])
    assert answers[("anonymous", "2000")] == answers[("anonymous", "2999")] == 0
    assert answers[("org_admin@A", "2000")] > 0
    assert answers[("org_admin@A", "2999")] == 0
