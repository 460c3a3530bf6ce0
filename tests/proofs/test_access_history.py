"""Ties that have ended: the access a tie gave is gone once it ends; the access a live tie gives stays.

Every cell is written by hand from the roles table of the domain specification
(/work/shared/domain.md), never computed from the code. Outcomes: V visible (with the value, when one
is given); W null and listed in ``extensions.withheld``; A the record is not readable (like a missing id);
X absent from the viewer's schema. Each ended tie has a control cell: the same access through a tie
that is still live, so a rule that is too strict fails as surely as one that is too loose.

Decisions the domain text leaves open, written down here:

- A CANCELLED request keeps its assignments as they were (they record who was asked and answered). The
  accompanier's view, "its own assignments: preferred name, appointment, place", is for an accompaniment that
  goes (or went) ahead: once the request is CANCELLED, or UNFILLED (its appointment passed unconfirmed), an
  accepted assignee still reads the request's row (its status tells it the accompaniment is off) and its own
  assignment, but no longer the appointment, the place, the outcome or the person. A COMPLETED request keeps
  the view (the accompaniment happened). Declining, before or after accepting, ends the row's view too.
- A DEACTIVATED member disappears for other organizations (the hub included); its own organization still
  reads it ("org_admin: its own organization's records up to T3", and its admins must see whom they
  deactivated and their trainings), and the other members of its organization keep the T1 view they had.
- An accompaniment coordinator reads a request's notes (T3) while it "matches" it: while a volunteer of
  its organization is invited to or on the request. A volunteer who declined no longer is.
- A responder is on the job until it is released or its incident is CLOSED (closing does not release
  dispatches one by one): after either, the exact location and notes are no longer its to read.
- A released responder still reads the timeline rows of the incident (it may still add its debrief) but
  no longer the incident's details, exact location or notes: those are for responders on the job.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from tests.graphql import gql
from tests.proofs.world_history import History, build_history

QUERY = "query Cell($id: ID!) {{ node(id: $id) {{ ... on {type} {{ {field} }} }} }}"

Cell = tuple[str, str, tuple[str, ...], Any, dict[str, str]]


def cells(record: str, type_name: str, fields: str, value: Any = "*", **outcomes: str) -> list[Cell]:
    """One row of the table: ``outcomes`` maps V/W/A/X to space-separated viewers (``anonymous`` included)."""
    table = {viewer: outcome for outcome, viewers in outcomes.items() for viewer in viewers.split()}
    return [(record, type_name, tuple(fields.split()), value, table)]


# After the ties ended. Comments name the tie; "(control)" marks access through a live tie.
AFTER: list[Cell] = [
    # R1, routed to A: accompanier@A DECLINED its invitation; accompanier2@A accepted (control)
    *cells("R1", "AccompanimentRequest", "status", V="accompanier2@A legal_advocate@L1 accompaniment_coordinator@A",
           A="accompanier@A accompaniment_coordinator@B accompanier@B"),
    *cells("R1", "AccompanimentRequest", "place", "Court 7", V="accompanier2@A accompaniment_coordinator@A",
           A="accompanier@A"),
    *cells("R1", "AccompanimentRequest", "appointmentAt outcome", V="accompanier2@A", A="accompanier@A"),
    *cells("P1", "Person", "preferredName", "Pilar", V="accompanier2@A accompaniment_coordinator@A",
           A="accompanier@A accompanier@B"),
    # R1: accompanier6@A accepted, then WITHDREW (declined): as if it had declined the invitation
    *cells("R1", "AccompanimentRequest", "status place appointmentAt", A="accompanier6@A"),
    *cells("P1", "Person", "preferredName", A="accompanier6@A"),
    *cells("AA_withdrawn", "AccompanimentAssignment", "status", "DECLINED", V="accompanier6@A"),
    # its own assignment stays readable to the volunteer who declined it (the answer it gave)
    *cells("AA_declined", "AccompanimentAssignment", "status", "DECLINED",
           V="accompanier@A accompanier2@A accompaniment_coordinator@A", A="accompanier@B accompaniment_coordinator@B"),
    # R1's notes: A's coordinator still matches it through accompanier2@A's accepted assignment (control)
    *cells("R1", "AccompanimentRequest", "notes", "History note R1",
           V="accompaniment_coordinator@A legal_advocate@L1", X="accompanier@A accompanier2@A"),
    # R2, routed to the whole network: B's only volunteer DECLINED; B's coordinator no longer matches it
    *cells("R2", "AccompanimentRequest", "place", "Court 9",
           V="accompaniment_coordinator@B accompaniment_coordinator@A", A="accompanier@B"),
    *cells("R2", "AccompanimentRequest", "notes", "History note R2", V="legal_advocate@L1",
           W="accompaniment_coordinator@B accompaniment_coordinator@A"),
    *cells("P3", "Person", "preferredName", "Rosa", A="accompanier@B accompanier@A"),
    # R3 CANCELLED: accompanier2@A's accepted assignment stays, and the request's row, but not where and when it was,
    # nor whom for (see the docstring); the submitting legal advocate keeps them (control)
    *cells("R3", "AccompanimentRequest", "status", "CANCELLED", V="accompanier2@A legal_advocate@L1",
           A="accompanier@A accompanier4@A"),
    *cells("R3", "AccompanimentRequest", "place", "Court 3", V="legal_advocate@L1", W="accompanier2@A",
           A="accompanier@A"),
    *cells("R3", "AccompanimentRequest", "appointmentAt outcome", V="legal_advocate@L1", W="accompanier2@A"),
    *cells("P4", "Person", "preferredName", "Iris", V="legal_advocate@L1", A="accompanier2@A accompanier@A"),
    *cells("AA_cancelled", "AccompanimentAssignment", "status", "ACCEPTED", V="accompanier2@A"),
    # R4 UNFILLED (its appointment passed unconfirmed): likewise for accompanier7@A, who had accepted it
    *cells("R4", "AccompanimentRequest", "status", "UNFILLED", V="accompanier7@A legal_advocate@L1"),
    *cells("R4", "AccompanimentRequest", "place", "Court 5", V="legal_advocate@L1", W="accompanier7@A"),
    *cells("P5", "Person", "preferredName", "Ines", V="legal_advocate@L1", A="accompanier7@A"),
    # S1: hospitality_volunteer@A WITHDREW; hospitality_volunteer2@A is still signed up (control)
    *cells("S1", "HospitalityShift", "status", V="hospitality_volunteer2@A sanctuary_coordinator@A",
           A="hospitality_volunteer@A"),
    *cells("S1", "HospitalityShift", "startsAt endsAt", V="hospitality_volunteer2@A sanctuary_coordinator@A",
           A="hospitality_volunteer@A"),
    *cells("SA_withdrawn", "ShiftAssignment", "status", "WITHDRAWN",
           V="hospitality_volunteer@A hospitality_volunteer2@A sanctuary_coordinator@A"),
    *cells("C1", "SanctuaryCase", "publicStoryConsent", V="hospitality_volunteer2@A sanctuary_coordinator@A",
           A="hospitality_volunteer@A"),
    *cells("P2", "Person", "preferredName", "Tomas", V="hospitality_volunteer2@A sanctuary_coordinator@A",
           A="hospitality_volunteer@A"),
    # C1: B no longer supports it; B still supports C2 (control)
    *cells("C1", "SanctuaryCase", "publicStoryConsent status", V="sanctuary_coordinator@A", A="sanctuary_coordinator@B"),
    *cells("C2", "SanctuaryCase", "publicStoryConsent", V="sanctuary_coordinator@B sanctuary_coordinator@A"),
    *cells("C2", "SanctuaryCase", "status", V="sanctuary_coordinator@B"),
    # C2's public-story consent WITHDRAWN: organizers no longer read it; C3 keeps its consent (control)
    *cells("C2", "SanctuaryCase", "publicStoryConsent", A="organizer@CG organizer@A"),
    *cells("C3", "SanctuaryCase", "publicStoryConsent", True, V="organizer@CG organizer@A"),
    # I1: rr_responder@RR RELEASED; rr_responder2@RR still dispatched (control)
    *cells("I1", "RapidResponseIncident", "exactLocation", "12 History Lane", V="rr_responder2@RR rr_dispatcher@RR",
           W="rr_responder@RR"),
    *cells("I1", "RapidResponseIncident", "size uniform", V="rr_responder2@RR", W="rr_responder@RR"),
    *cells("I1", "RapidResponseIncident", "coarseArea", V="rr_responder@RR rr_responder2@RR"),
    *cells("T1", "IncidentTimelineEvent", "note", "History: van 4", V="rr_responder2@RR rr_dispatcher@RR",
           W="rr_responder@RR"),
    # I2 CLOSED while rr_responder2@RR was still dispatched: the job is over; its dispatchers keep it (control)
    *cells("I2", "RapidResponseIncident", "exactLocation", "40 Closed Court", V="rr_dispatcher@RR",
           W="rr_responder2@RR"),
    *cells("I2", "RapidResponseIncident", "status", "CLOSED", V="rr_responder2@RR rr_dispatcher@RR"),
    # a dispatch is its responder's own: never a co-dispatched colleague's
    *cells("D_released", "IncidentDispatch", "role releasedAt", V="rr_responder@RR rr_dispatcher@RR",
           A="rr_responder2@RR"),
    *cells("D_live", "IncidentDispatch", "role arrivedAt", V="rr_responder2@RR rr_dispatcher@RR", A="rr_responder@RR"),
    # inactive@A DEACTIVATED: gone for other organizations; its own organization still reads it
    *cells("M_inactive", "Member", "alias active", V="org_admin@A sanctuary_coordinator@A accompaniment_coordinator@A",
           A="org_admin@B network_coordinator@hub legal_advocate@L1 organizer@CG rr_responder@RR", X="anonymous"),
    *cells("M_inactive", "Member", "legalName", "Legal inactive@A", V="org_admin@A", A="org_admin@B"),
    *cells("TR_inactive", "Training", "kind expiresAt", V="org_admin@A",
           A="org_admin@B network_coordinator@hub legal_advocate@L1"),
    *cells("M_live", "Member", "alias active", V="org_admin@A org_admin@B network_coordinator@hub legal_advocate@L1",
           X="anonymous"),
    # advocacy by CG with A co-organizing: ORG only for the organizing organizations (any of their members)
    *cells("AV_org", "AdvocacyAction", "title visibility", V="organizer@CG organizer@A org_admin@A",
           A="anonymous organizer@B org_admin@B network_coordinator@hub legal_advocate@L1 rr_responder@RR"),
    *cells("AV_net", "AdvocacyAction", "title", V="organizer@CG organizer@A organizer@B org_admin@B "
           "network_coordinator@hub legal_advocate@L1", A="anonymous"),
    *cells("AV_pub", "AdvocacyAction", "title", V="anonymous organizer@CG organizer@A organizer@B org_admin@B "
           "network_coordinator@hub"),
]  # fmt: skip

# The same world before the ties ended: what each ended tie gave (so the AFTER cells test an ending).
BEFORE: list[Cell] = [
    *cells("R1", "AccompanimentRequest", "place", "Court 7", V="accompanier@A accompanier2@A"),
    *cells("P1", "Person", "preferredName", "Pilar", V="accompanier@A"),
    *cells("R2", "AccompanimentRequest", "notes", "History note R2", V="accompaniment_coordinator@B",
           W="accompaniment_coordinator@A"),
    *cells("P3", "Person", "preferredName", "Rosa", V="accompanier@B"),
    *cells("R3", "AccompanimentRequest", "place", "Court 3", V="accompanier2@A"),
    *cells("P4", "Person", "preferredName", "Iris", V="accompanier2@A"),
    *cells("R1", "AccompanimentRequest", "place", "Court 7", V="accompanier6@A"),
    *cells("P1", "Person", "preferredName", "Pilar", V="accompanier6@A"),
    *cells("R4", "AccompanimentRequest", "place", "Court 5", V="accompanier7@A"),
    *cells("P5", "Person", "preferredName", "Ines", V="accompanier7@A"),
    *cells("S1", "HospitalityShift", "startsAt", V="hospitality_volunteer@A hospitality_volunteer2@A"),
    *cells("P2", "Person", "preferredName", "Tomas", V="hospitality_volunteer@A"),
    *cells("C1", "SanctuaryCase", "status", V="sanctuary_coordinator@B"),
    *cells("C2", "SanctuaryCase", "publicStoryConsent", True, V="organizer@CG"),
    *cells("I1", "RapidResponseIncident", "exactLocation", "12 History Lane", V="rr_responder@RR rr_responder2@RR"),
    *cells("T1", "IncidentTimelineEvent", "note", "History: van 4", V="rr_responder@RR"),
    *cells("I2", "RapidResponseIncident", "exactLocation", "40 Closed Court", V="rr_responder2@RR"),
    *cells("M_inactive", "Member", "alias", V="org_admin@A org_admin@B network_coordinator@hub"),
    *cells("TR_inactive", "Training", "kind", V="org_admin@B"),
]  # fmt: skip


async def _observe(client: httpx.AsyncClient, token: str | None, type_name: str, gid: str, field: str) -> Any:
    body = await gql(client, QUERY.format(type=type_name, field=field), {"id": gid}, token=token)
    if "errors" in body:
        messages = " ".join(e["message"] for e in body["errors"])
        assert "Cannot query field" in messages or "Unknown type" in messages, body
        return "X", None
    node = body["data"]["node"]
    if node is None:
        return "A", None
    withheld = [w for w in body.get("extensions", {}).get("withheld", []) if w["path"] == ["node", field]]
    if node[field] is None:
        return ("W" if withheld else "NULL"), None
    return "V", node[field]


async def _mismatches(client: httpx.AsyncClient, world: History, table: list[Cell]) -> list[str]:
    found = []
    for record, type_name, fields, value, outcomes in table:
        for viewer, expected in outcomes.items():
            token = None if viewer == "anonymous" else world.actors[viewer].token
            for field in fields:
                seen, got = await _observe(client, token, type_name, world.gid(record), field)
                if value == "*" and expected == "V" and seen == "NULL":
                    continue  # readable, and empty on this record
                if seen != expected or (seen == "V" and value != "*" and got != value):
                    found.append(f"{viewer} {record}.{field}: expected {expected}, got {seen}")
    return found


async def test_access_a_tie_gave_ends_with_it_and_live_ties_keep_theirs(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_history(db, sealer, client)
    assert await _mismatches(client, world, AFTER) == []


async def test_before_the_ties_ended_they_gave_that_access(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_history(db, sealer, client, ended=False)
    assert await _mismatches(client, world, BEFORE) == []


async def test_a_deactivated_members_token_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_history(db, sealer, client)
    for key, status in (("inactive@A", 401), ("accompanier2@A", 200)):  # control: an active colleague's token
        headers = {"Authorization": f"Bearer {world.actors[key].token}"}
        response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        assert response.status_code == status, key


THROUGH = {
    "assignment": "query($id: ID!) { node(id: $id) { ... on AccompanimentAssignment { status request { place } } } }",
    "dispatch": "query($id: ID!) { node(id: $id) { ... on IncidentDispatch { role incident { exactLocation } } } }",
    "requests": "{ accompanimentRequests(first: 100) { nodes { place } } }",
    "shifts": "{ hospitalityShifts(first: 100) { nodes { startsAt } } }",
    "members": "{ members(first: 100) { nodes { alias } } }",
    "actions": "{ advocacyActions(first: 100) { nodes { title } } }",
}
# (viewer, document, the node's id or None, what it returns, reduced): an ended tie is no path to the record
PATHS: list[tuple[str, str, str | None, Any]] = [
    ("accompanier@A", "assignment", "AA_declined", {"status": "DECLINED", "request": None}),
    ("accompanier2@A", "assignment", "AA_live", {"status": "ACCEPTED", "request": {"place": "Court 7"}}),  # control
    ("accompanier2@A", "assignment", "AA_cancelled", {"status": "ACCEPTED", "request": {"place": None}}),
    ("rr_responder@RR", "dispatch", "D_released", {"role": "VERIFIER", "incident": {"exactLocation": None}}),
    ("rr_responder2@RR", "dispatch", "D_live", {"role": "VERIFIER", "incident": {"exactLocation": "12 History Lane"}}),
    ("accompanier@A", "requests", None, []),
    ("accompanier2@A", "requests", None, ["Court 7", None]),  # control; R3 cancelled: listed, its place withheld
    ("hospitality_volunteer@A", "shifts", None, 0),
    ("hospitality_volunteer2@A", "shifts", None, 1),  # control
    ("org_admin@B", "members", None, "without inactive@A"),
    ("org_admin@A", "members", None, "with inactive@A"),  # control
    ("org_admin@B", "actions", None, ["Action AV_net", "Action AV_pub"]),
    ("organizer@A", "actions", None, ["Action AV_net", "Action AV_org", "Action AV_pub"]),  # control
]  # fmt: skip


@pytest.mark.parametrize(("viewer", "document", "record", "expected"), PATHS)
async def test_an_ended_tie_is_no_path_through_relations_or_lists(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, viewer: str, document: str, record: str | None,
    expected: Any,
) -> None:  # fmt: skip
    world = await build_history(db, sealer, client)
    variables = {"id": world.gid(record)} if record else {}
    body = await gql(client, THROUGH[document], variables, token=world.actors[viewer].token)
    assert "errors" not in body, body["errors"]
    data = body["data"]
    if record:
        assert data["node"] == expected
        return
    nodes = next(iter(data.values()))["nodes"]
    if document == "shifts":
        assert len(nodes) == expected
    elif document == "members":
        inactive = world.actors["inactive@A"].member.alias
        assert (inactive in {n["alias"] for n in nodes}) is (expected == "with inactive@A")
    else:
        assert sorted((next(iter(n.values())) for n in nodes), key=str) == expected
