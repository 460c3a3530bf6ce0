"""Every role x sensitive field x (own / tied / other organization's record), written out from the roles
table of the domain specification. V: visible with its value; W: null and listed in extensions.withheld;
A: the record itself is not readable (indistinguishable from a missing id).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.schema.ids import encode_global_id
from tests.graphql import gql
from tests.world import build_world

VIEWERS = [
    "anonymous", "network_coordinator@hub", "auditor@hub", "org_admin@A", "sanctuary_coordinator@A",
    "hospitality_volunteer@A", "accompaniment_coordinator@A", "accompanier@A", "auditor@A", "sanctuary_coordinator@B",
    "hospitality_volunteer@B", "accompaniment_coordinator@B", "accompanier@B", "legal_advocate@L1", "org_admin@L1",
    "legal_advocate@L2", "rr_dispatcher@RR", "rr_responder@RR", "rr_responder2@RR", "organizer@CG",
]  # fmt: skip
MEMBERS = [v for v in VIEWERS if v != "anonymous"]


def cells(default: str, **overrides: str) -> dict[str, str]:
    """Expectations for every viewer: ``default`` unless overridden (keys use ``__`` for ``@``)."""
    table = dict.fromkeys(VIEWERS, default)
    for key, value in overrides.items():
        table[key.replace("__", "@")] = value
    return table


def members(value: str, **overrides: str) -> dict[str, str]:
    """Every member gets ``value``; anonymous viewers do not see the record."""
    return cells(value, **{"anonymous": "A", **overrides})


R1_ROW = {"legal_advocate__L1": "V", "org_admin__L1": "V", "accompaniment_coordinator__A": "V", "accompanier__A": "V",
          "network_coordinator__hub": "V"}  # fmt: skip
C1_ROW = {"sanctuary_coordinator__A": "W", "org_admin__A": "W", "hospitality_volunteer__A": "W",
          "sanctuary_coordinator__B": "W", "network_coordinator__hub": "W"}  # fmt: skip

MATRIX: dict[tuple[str, str, str], tuple[Any, dict[str, str]]] = {
    # accompaniment request R1: submitted by L1, routed to congregation A, A's accompanier accepted
    ("R1", "AccompanimentRequest", "kind"): ("COURT_HEARING", cells("A", **R1_ROW)),
    ("R1", "AccompanimentRequest", "place"): (
        "Court 7",
        cells("A", **{**R1_ROW, "network_coordinator__hub": "W"}),
    ),
    ("R1", "AccompanimentRequest", "notes"): (
        "Note R1",
        cells("A", **{**R1_ROW, "accompanier__A": "W", "network_coordinator__hub": "W"}),
    ),
    # P1: registered by L1, the person of R1
    ("P1", "Person", "preferredName"): (
        "Pilar",
        cells("A", legal_advocate__L1="V", org_admin__L1="V", accompaniment_coordinator__A="V", accompanier__A="V"),
    ),
    ("P1", "Person", "legalName"): (
        "Pilar Legal-One",
        cells("A", legal_advocate__L1="V", org_admin__L1="V", accompaniment_coordinator__A="W", accompanier__A="W"),
    ),
    ("P1", "Person", "aNumber"): (
        "A-100-200-300",
        cells("A", legal_advocate__L1="V", org_admin__L1="V", accompaniment_coordinator__A="W", accompanier__A="W"),
    ),
    # C1: hosted by A, supported by B; A's volunteer has a shift on it
    ("C1", "SanctuaryCase", "locationDetail"): (
        "Parsonage, room 2",
        cells("A", **{**C1_ROW, "sanctuary_coordinator__A": "V", "org_admin__A": "V"}),
    ),
    ("C1", "SanctuaryCase", "status"): (
        "IN_SANCTUARY",
        cells("A", **{**C1_ROW, "sanctuary_coordinator__A": "V", "org_admin__A": "V", "sanctuary_coordinator__B": "V"}),
    ),
    # P2: the guest of C1, registered by A
    ("P2", "Person", "preferredName"): (
        "Tomas",
        cells("A", sanctuary_coordinator__A="V", org_admin__A="V", hospitality_volunteer__A="V"),
    ),
    ("P2", "Person", "legalName"): (
        "Tomas Legal-Two",
        cells("A", sanctuary_coordinator__A="V", org_admin__A="V", hospitality_volunteer__A="W"),
    ),
    # S1: a shift of C1 with A's volunteer
    ("S1", "HospitalityShift", "neededVolunteers"): (
        2,
        cells(
            "A",
            sanctuary_coordinator__A="V",
            org_admin__A="V",
            hospitality_volunteer__A="V",
            network_coordinator__hub="V",
        ),
    ),
    ("S1", "HospitalityShift", "startsAt"): (
        "*",
        cells(
            "A",
            sanctuary_coordinator__A="V",
            org_admin__A="V",
            hospitality_volunteer__A="V",
            network_coordinator__hub="W",
        ),
    ),
    # incidents: I1 in the dispatchers' region with a responder dispatched, I2 elsewhere, I3 broadcast
    ("I1", "RapidResponseIncident", "coarseArea"): ("Mill district, Alder County", members("V")),
    ("I1", "RapidResponseIncident", "exactLocation"): (
        "12 Canary Lane",
        members("W", rr_dispatcher__RR="V", rr_responder__RR="V"),
    ),
    ("I1", "RapidResponseIncident", "reporterContact"): ("caller 555-0123", members("W", rr_dispatcher__RR="V")),
    ("I2", "RapidResponseIncident", "exactLocation"): ("9 Other Road", members("W", rr_dispatcher__RR="V")),
    ("I3", "RapidResponseIncident", "coarseArea"): ("Mill district, Alder County", cells("V")),
    ("I3", "RapidResponseIncident", "exactLocation"): (
        "1 Broadcast Way",
        members("W", rr_dispatcher__RR="V", anonymous="W"),
    ),
    # members: legal names are for their own organization's admins only
    ("member_L1", "Member", "alias"): ("*", members("V")),
    ("member_L1", "Member", "legalName"): ("Legal legal_advocate@L1", members("W", org_admin__L1="V")),
    ("member_A", "Member", "phone"): ("555-0199", members("W", org_admin__A="V")),
}


QUERY = "query Cell($id: ID!) {{ node(id: $id) {{ ... on {type} {{ {field} }} }} }}"


async def _observe(client: httpx.AsyncClient, token: str | None, type_name: str, record: Any, field: str) -> Any:
    body = await gql(client, QUERY.format(type=type_name, field=field),
                     {"id": encode_global_id(type_name, record.id)}, token=token)  # fmt: skip
    assert "errors" not in body, body
    node = body["data"]["node"]
    if node is None:
        return "A", None
    withheld = [w for w in body.get("extensions", {}).get("withheld", []) if w["path"] == ["node", field]]
    if node[field] is None:
        return ("W" if withheld else "NULL"), None
    return "V", node[field]


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_role_field_matrix(client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, viewer: str) -> None:
    world = await build_world(db, sealer)
    token = world.tokens.get(viewer)
    mismatches = []
    for (record, type_name, field), (value, expectations) in MATRIX.items():
        expected = expectations[viewer]
        seen, got = await _observe(client, token, type_name, world.records[record], field)
        if seen != expected or (seen == "V" and value != "*" and got != value):
            mismatches.append(f"{record}.{field}: expected {expected}, got {seen}")
    assert mismatches == []


AUDIT = "{ auditEvents(first: 50) { nodes { fields } } }"


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [("auditor@A", {"Test.A"}), ("auditor@hub", {"Test.A", "Test.L1"}), ("org_admin@A", set()),
     ("legal_advocate@L1", set()), ("anonymous", set())],
)  # fmt: skip
async def test_audit_log_is_for_auditors_of_the_organization_or_the_hub(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, viewer: str, expected: set[str]
) -> None:
    world = await build_world(db, sealer)
    body = await gql(client, AUDIT, token=world.tokens.get(viewer))
    seen = {
        name for node in body["data"]["auditEvents"]["nodes"] for name in node["fields"] if name.startswith("Test.")
    }
    assert seen == expected
