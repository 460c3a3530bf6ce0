"""Every role x sensitive field x (own / tied / other organization's record), written out from the roles
table of the domain specification. V: visible with its value; W: null and listed in extensions.withheld
(the role may read it on records tied to it, not this one); A: the record is not readable (like a missing
id); X: the field or type is absent from the role's schema (a validation error like an unknown field).
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


def expect(v: str = "", w: str = "", a: str = "", default: str = "X") -> dict[str, str]:
    """Expectations for every viewer from space-separated viewer lists per outcome."""
    table = dict.fromkeys(VIEWERS, default)
    for outcome, viewers in (("V", v), ("W", w), ("A", a)):
        for viewer in viewers.split():
            assert viewer in table, viewer
            table[viewer] = outcome
    return table


MEMBERS_ALL = " ".join(MEMBERS)
NOT = "anonymous"

MATRIX: dict[tuple[str, str, str], tuple[Any, dict[str, str]]] = {
    # accompaniment request R1: submitted by L1, routed to congregation A, A's accompanier accepted it
    ("R1", "AccompanimentRequest", "kind"): ("COURT_HEARING", expect(
        v="legal_advocate@L1 org_admin@L1 accompaniment_coordinator@A accompanier@A network_coordinator@hub",
        a="org_admin@A accompaniment_coordinator@B accompanier@B legal_advocate@L2")),
    ("R1", "AccompanimentRequest", "place"): ("Court 7", expect(
        v="legal_advocate@L1 org_admin@L1 accompaniment_coordinator@A accompanier@A", w="network_coordinator@hub",
        a="org_admin@A accompaniment_coordinator@B accompanier@B legal_advocate@L2")),
    ("R1", "AccompanimentRequest", "notes"): ("Note R1", expect(
        v="legal_advocate@L1 org_admin@L1 accompaniment_coordinator@A",
        a="org_admin@A accompaniment_coordinator@B legal_advocate@L2")),
    # P1: registered by L1, the person of R1
    ("P1", "Person", "preferredName"): ("Pilar", expect(
        v="legal_advocate@L1 org_admin@L1 accompaniment_coordinator@A accompanier@A",
        a="network_coordinator@hub org_admin@A sanctuary_coordinator@A hospitality_volunteer@A "
          "sanctuary_coordinator@B hospitality_volunteer@B accompaniment_coordinator@B accompanier@B legal_advocate@L2")),
    ("P1", "Person", "legalName"): ("Pilar Legal-One", expect(
        v="legal_advocate@L1 org_admin@L1",
        a="org_admin@A sanctuary_coordinator@A sanctuary_coordinator@B legal_advocate@L2")),
    ("P1", "Person", "aNumber"): ("A-100-200-300", expect(
        v="legal_advocate@L1 org_admin@L1",
        a="org_admin@A sanctuary_coordinator@A sanctuary_coordinator@B legal_advocate@L2")),
    # C1: hosted by A, supported by B; A's volunteer has a shift on it
    ("C1", "SanctuaryCase", "locationDetail"): ("Parsonage, room 2", expect(
        v="sanctuary_coordinator@A org_admin@A", w="sanctuary_coordinator@B", a="org_admin@L1")),
    ("C1", "SanctuaryCase", "status"): ("IN_SANCTUARY", expect(
        v="sanctuary_coordinator@A org_admin@A sanctuary_coordinator@B", w="network_coordinator@hub",
        a="org_admin@L1")),
    # P2: the guest of C1, registered by A
    ("P2", "Person", "preferredName"): ("Tomas", expect(
        v="sanctuary_coordinator@A org_admin@A hospitality_volunteer@A",
        a="network_coordinator@hub accompaniment_coordinator@A accompanier@A sanctuary_coordinator@B "
          "hospitality_volunteer@B accompaniment_coordinator@B accompanier@B legal_advocate@L1 org_admin@L1 "
          "legal_advocate@L2")),
    ("P2", "Person", "legalName"): ("Tomas Legal-Two", expect(
        v="sanctuary_coordinator@A org_admin@A",
        a="sanctuary_coordinator@B legal_advocate@L1 org_admin@L1 legal_advocate@L2")),
    # S1: a shift of C1 with A's volunteer signed up
    ("S1", "HospitalityShift", "neededVolunteers"): (2, expect(
        v="sanctuary_coordinator@A org_admin@A hospitality_volunteer@A network_coordinator@hub",
        a="sanctuary_coordinator@B hospitality_volunteer@B org_admin@L1")),
    ("S1", "HospitalityShift", "startsAt"): ("*", expect(
        v="sanctuary_coordinator@A org_admin@A hospitality_volunteer@A", w="network_coordinator@hub",
        a="sanctuary_coordinator@B hospitality_volunteer@B org_admin@L1")),
    # incidents: I1 in the dispatchers' region with a responder dispatched, I2 elsewhere, I3 broadcast
    ("I1", "RapidResponseIncident", "coarseArea"): ("Mill district, Alder County", expect(v=MEMBERS_ALL, a=NOT)),
    ("I1", "RapidResponseIncident", "exactLocation"): ("12 Canary Lane", expect(
        v="rr_dispatcher@RR rr_responder@RR", w="rr_responder2@RR org_admin@A org_admin@L1")),
    ("I1", "RapidResponseIncident", "reporterContact"): ("caller 555-0123", expect(
        v="rr_dispatcher@RR", w="org_admin@A org_admin@L1")),
    ("I2", "RapidResponseIncident", "exactLocation"): ("9 Other Road", expect(
        v="rr_dispatcher@RR", w="rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1")),
    ("I3", "RapidResponseIncident", "coarseArea"): ("Mill district, Alder County", expect(v=MEMBERS_ALL + " " + NOT)),
    ("I3", "RapidResponseIncident", "exactLocation"): ("1 Broadcast Way", expect(
        v="rr_dispatcher@RR", w="rr_responder@RR rr_responder2@RR org_admin@A org_admin@L1")),
    # members: legal names and phones are for their own organization's admins only
    ("member_L1", "Member", "alias"): ("*", expect(v=MEMBERS_ALL)),
    ("member_L1", "Member", "legalName"): ("Legal legal_advocate@L1", expect(
        v="org_admin@L1", w="org_admin@A network_coordinator@hub")),
    ("member_A", "Member", "phone"): ("555-0199", expect(v="org_admin@A", w="org_admin@L1 network_coordinator@hub")),
}  # fmt: skip


QUERY = "query Cell($id: ID!) {{ node(id: $id) {{ ... on {type} {{ {field} }} }} }}"


async def _observe(client: httpx.AsyncClient, token: str | None, type_name: str, record: Any, field: str) -> Any:
    body = await gql(client, QUERY.format(type=type_name, field=field),
                     {"id": encode_global_id(type_name, record.id)}, token=token)  # fmt: skip
    if "errors" in body:
        messages = " ".join(e["message"] for e in body["errors"])
        assert "Cannot query field" in messages or "Unknown type" in messages, body
        assert "Did you mean" not in messages
        return "X", None
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
    [("auditor@A", {"Test.A"}), ("auditor@hub", {"Test.A", "Test.L1"}), ("org_admin@A", None),
     ("legal_advocate@L1", None), ("network_coordinator@hub", None), ("anonymous", None)],
)  # fmt: skip
async def test_audit_log_is_for_auditors_of_the_organization_or_the_hub(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, viewer: str, expected: set[str] | None
) -> None:
    world = await build_world(db, sealer)
    body = await gql(client, AUDIT, token=world.tokens.get(viewer))
    if expected is None:
        assert [e["message"] for e in body["errors"]] == ["Cannot query field 'auditEvents' on type 'Query'."]
        return
    seen = {
        name for node in body["data"]["auditEvents"]["nodes"] for name in node["fields"] if name.startswith("Test.")
    }
    assert seen == expected
