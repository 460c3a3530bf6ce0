"""A network whose ties have a history: each tie that gave access has a sibling tie that has ended.

Live rows are written directly; then every tie that must end is ended by its own mutation over HTTP
(as its holder would end it), so the tables in ``tests/proofs/test_access_history.py`` read the states the
workflows really leave behind:

- an accompaniment invitation DECLINED (``accompanier@A`` on R1, ``accompanier@B`` on the network-wide R2),
  and an accepted one withdrawn (declined after accepting: ``accompanier6@A`` on R1), beside one still ACCEPTED
  (``accompanier2@A`` on R1);
- a shift sign-up WITHDRAWN (``hospitality_volunteer@A`` on S1), beside one still SIGNED_UP
  (``hospitality_volunteer2@A``);
- a responder RELEASED (``rr_responder@RR``, dispatch D_released on I1), beside a co-dispatched colleague
  still on the job (``rr_responder2@RR``, D_live); an incident CLOSED (I2) with that colleague never released;
- a request CANCELLED (R3, ``accompanier2@A`` had accepted it) and one UNFILLED (R4, its appointment passed
  unconfirmed, as the scheduler leaves it; ``accompanier7@A`` had accepted it);
- a supporting congregation REMOVED from a case (B from C1; it still supports C2) and a public-story consent
  WITHDRAWN (C2; C3 keeps its consent);
- a member DEACTIVATED (``inactive@A``, an accompanier) and one with an expired ACCOMPANIMENT training
  (``accompanier3@A``), beside a trained, active one (``accompanier4@A``);
- advocacy actions organized by CG with A as co-organizer, one per visibility (ORG, NETWORK, PUBLIC).

``build_history(..., ended=False)`` stops before the ties end: the same world with every tie live.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import (
    AccompanimentAssignment,
    AdvocacyAction,
    AdvocacyOrganizer,
    CaseSupporter,
    Congregation,
    HospitalityShift,
    IncidentTimelineEvent,
    Organization,
    ShiftAssignment,
    Training,
)
from api.models.enums import (
    AccompanimentStatus,
    AdvocacyKind,
    AdvocacyLevel,
    AdvocacyStatus,
    AssignmentRole,
    AssignmentStatus,
    IncidentStatus,
    OrganizationKind,
    Role,
    ShiftStatus,
    TimelineKind,
    Visibility,
)
from api.services.accompaniment.requests import expire_unfilled
from tests import factories as f
from tests.canaries import canary
from tests.graphql import gid
from tests.rapid_response import factories as rr
from tests.workflow import Actor, actor, ok

TRAINED = datetime.now(UTC) + timedelta(days=365)
EXPIRED = datetime.now(UTC) - timedelta(days=1)

MEMBERS: dict[str, tuple[Role, ...]] = {
    "network_coordinator@hub": (Role.NETWORK_COORDINATOR,),
    "org_admin@A": (Role.ORG_ADMIN,),
    "sanctuary_coordinator@A": (Role.SANCTUARY_COORDINATOR,),
    "accompaniment_coordinator@A": (Role.ACCOMPANIMENT_COORDINATOR,),
    "accompanier@A": (Role.ACCOMPANIER,),  # declines its invitation to R1
    "accompanier2@A": (Role.ACCOMPANIER,),  # accepted R1 and R3 (R3 is cancelled)
    "accompanier3@A": (Role.ACCOMPANIER,),  # its accompaniment training expired
    "accompanier4@A": (Role.ACCOMPANIER,),  # trained, never offered anything
    "accompanier5@A": (Role.ACCOMPANIER,),  # trained today, expired by R1's appointment
    "accompanier6@A": (Role.ACCOMPANIER,),  # accepted R1, then withdrew (declined)
    "accompanier7@A": (Role.ACCOMPANIER,),  # accepted R4, which goes UNFILLED
    "inactive@A": (Role.ACCOMPANIER,),  # trained, then deactivated
    "hospitality_volunteer@A": (Role.HOSPITALITY_VOLUNTEER,),  # withdraws from S1
    "hospitality_volunteer2@A": (Role.HOSPITALITY_VOLUNTEER,),  # stays on S1
    "organizer@A": (Role.ORGANIZER,),  # A co-organizes CG's actions
    "org_admin@B": (Role.ORG_ADMIN,),
    "sanctuary_coordinator@B": (Role.SANCTUARY_COORDINATOR,),  # B stops supporting C1, still supports C2
    "accompaniment_coordinator@B": (Role.ACCOMPANIMENT_COORDINATOR,),
    "accompanier@B": (Role.ACCOMPANIER,),  # declines its invitation to R2
    "organizer@B": (Role.ORGANIZER,),  # organizes nothing
    "legal_advocate@L1": (Role.LEGAL_ADVOCATE,),
    "rr_dispatcher@RR": (Role.RR_DISPATCHER,),
    "rr_responder@RR": (Role.RR_RESPONDER,),  # released from I1
    "rr_responder2@RR": (Role.RR_RESPONDER,),  # still on I1
    "organizer@CG": (Role.ORGANIZER,),
}
SOON = datetime.now(UTC) + timedelta(days=3)  # before R1's appointment
TRAINED_UNTIL = {"accompanier@A": TRAINED, "accompanier2@A": TRAINED, "accompanier3@A": EXPIRED,
                 "accompanier4@A": TRAINED, "accompanier5@A": SOON, "accompanier6@A": TRAINED,
                 "accompanier7@A": TRAINED, "inactive@A": TRAINED,
                 "accompanier@B": TRAINED}  # fmt: skip


@dataclass
class History:
    """Actors by key (``role@org``) and records by name."""

    actors: dict[str, Actor] = field(default_factory=dict)
    records: dict[str, Any] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)

    def gid(self, name: str) -> str:
        """The opaque id of a record (or of an actor's member)."""
        row = self.records[name] if name in self.records else self.actors[name].member
        return gid(row)


async def build_history(db: AsyncSession, sealer: Sealer, client: httpx.AsyncClient, *, ended: bool = True) -> History:
    """The world with every tie live, then (``ended``) with the ended ones ended through their mutations."""
    world = History()
    region = await f.region(db, name="Region X")
    kinds = {"hub": OrganizationKind.NETWORK_HUB, "A": OrganizationKind.CONGREGATION,
             "B": OrganizationKind.CONGREGATION, "L1": OrganizationKind.LEGAL_AID,
             "RR": OrganizationKind.RAPID_RESPONSE, "CG": OrganizationKind.COMMUNITY_GROUP}  # fmt: skip
    for key, kind in kinds.items():
        world.orgs[key] = await f.organization(db, kind, region_id=region.id, name=f"History {key}")
    for key, roles in MEMBERS.items():
        org = world.orgs[key.split("@")[1]]
        world.actors[key] = await actor(
            db, org, *roles, legal_name=f"Legal {key}", trained_until=TRAINED_UNTIL.get(key)
        )
    await _accompaniment(db, sealer, world)
    await _sanctuary(db, sealer, world)
    await _rapid_response(db, sealer, world)
    await _advocacy(db, world)
    r = world.records
    r["M_inactive"], r["M_live"] = world.actors["inactive@A"].member, world.actors["accompanier2@A"].member
    r["TR_inactive"] = await db.scalar(select(Training).where(Training.member_id == r["M_inactive"].id))
    await db.commit()
    if ended:
        await end_ties(client, world)
        await expire_unfilled(db, datetime.now(UTC))  # what the scheduler does: R4's appointment passed
        await db.commit()
    return world


async def end_ties(client: httpx.AsyncClient, world: History) -> None:
    """Each ended tie, ended by the mutation its holder (or its admin) calls."""
    a = world.actors
    await ok(client, "accompanimentAssignmentDecline", {"id": world.gid("AA_declined")}, a["accompanier@A"])
    await ok(client, "accompanimentAssignmentDecline", {"id": world.gid("AA_B")}, a["accompanier@B"])
    await ok(client, "accompanimentAssignmentDecline", {"id": world.gid("AA_withdrawn")}, a["accompanier6@A"])
    await ok(client, "hospitalityShiftWithdraw", {"id": world.gid("S1")}, a["hospitality_volunteer@A"])
    await ok(client, "incidentDispatchRelease", {"id": world.gid("D_released")}, a["rr_responder@RR"])
    await ok(client, "accompanimentRequestCancel", {"id": world.gid("R3")}, a["legal_advocate@L1"])
    await ok(client, "incidentTransition", {"id": world.gid("I2"), "action": "CLOSE"}, a["rr_dispatcher@RR"])
    c1_b = {"caseId": world.gid("C1"), "congregationId": world.gid("cong_B")}
    await ok(client, "sanctuaryCaseSupporterRemove", c1_b, a["sanctuary_coordinator@A"])
    await ok(client, "sanctuaryCaseConsentWithdraw", {"caseId": world.gid("C2")}, a["sanctuary_coordinator@A"])
    await ok(client, "memberDeactivate", {"id": world.gid("inactive@A")}, a["org_admin@A"])


async def _accompaniment(db: AsyncSession, sealer: Sealer, world: History) -> None:
    """R1 routed to A (one invitee, two who accepted); R2 routed to the whole network; R3 to be cancelled; R4, its
    appointment an hour ago, still matching (to go UNFILLED)."""
    r, l1, a = world.records, world.orgs["L1"], world.actors
    cong_a = await f.congregation(db, world.orgs["A"])
    await f.congregation(db, world.orgs["B"])
    r["cong_A"] = cong_a
    r["P1"] = await f.person(db, sealer, l1, preferred_name="Pilar", legal_name="Pilar History-One")
    r["R1"] = await f.accompaniment_request(db, sealer, l1, r["P1"], congregation_id=cong_a.id, place="Court 7",
                                            notes="History note R1", status=AccompanimentStatus.MATCHING)  # fmt: skip
    r["AA_declined"] = await _assign(db, r["R1"], a["accompanier@A"], AssignmentStatus.INVITED)
    r["AA_live"] = await _assign(db, r["R1"], a["accompanier2@A"], AssignmentStatus.ACCEPTED)
    r["AA_withdrawn"] = await _assign(db, r["R1"], a["accompanier6@A"], AssignmentStatus.ACCEPTED)
    r["P3"] = await f.person(db, sealer, l1, preferred_name="Rosa", legal_name="Rosa History-Three")
    r["R2"] = await f.accompaniment_request(db, sealer, l1, r["P3"], congregation_id=None, place="Court 9",
                                            notes="History note R2", status=AccompanimentStatus.MATCHING)  # fmt: skip
    r["AA_B"] = await _assign(db, r["R2"], a["accompanier@B"], AssignmentStatus.INVITED)
    r["P4"] = await f.person(db, sealer, l1, preferred_name="Iris", legal_name="Iris History-Four")
    r["R3"] = await f.accompaniment_request(db, sealer, l1, r["P4"], congregation_id=cong_a.id, place="Court 3",
                                            status=AccompanimentStatus.CONFIRMED)  # fmt: skip
    r["AA_cancelled"] = await _assign(db, r["R3"], a["accompanier2@A"], AssignmentStatus.ACCEPTED)
    r["P5"] = await f.person(db, sealer, l1, preferred_name="Ines", legal_name="Ines History-Five")
    r["R4"] = await f.accompaniment_request(db, sealer, l1, r["P5"], congregation_id=cong_a.id, place="Court 5",
                                            status=AccompanimentStatus.MATCHING,
                                            appointment_at=datetime.now(UTC) - timedelta(hours=1))  # fmt: skip
    r["AA_unfilled"] = await _assign(db, r["R4"], a["accompanier7@A"], AssignmentStatus.ACCEPTED)


async def _assign(db: AsyncSession, request: Any, who: Actor, status: AssignmentStatus) -> AccompanimentAssignment:
    row = AccompanimentAssignment(
        id=uuid.uuid4(), request_id=request.id, member_id=who.id, role=AssignmentRole.SUPPORT, status=status
    )
    db.add(row)
    await db.flush()
    return row


async def _sanctuary(db: AsyncSession, sealer: Sealer, world: History) -> None:
    """A hosts P2 in C1 (supported by B, which stops), and C2 (supported by B; its public-story consent will be
    withdrawn) and C3 (public story); shift S1 (no supporting congregation: A's volunteers reach it only through their
    sign-ups) has two sign-ups, one to be withdrawn."""
    r, org_a = world.records, world.orgs["A"]
    r["P2"] = await f.person(db, sealer, org_a, preferred_name="Tomas", legal_name="Tomas History-Two")
    r["C1"] = await f.sanctuary_case(db, sealer, r["cong_A"], r["P2"], location_detail="History parsonage, room 5")
    r["cong_B"] = await db.scalar(select(Congregation).where(Congregation.organization_id == world.orgs["B"].id))
    for name, guest in (("C2", "Lucia"), ("C3", "Marta")):  # public stories: C2's consent will be withdrawn
        r[name] = await f.sanctuary_case(
            db, sealer, r["cong_A"], await f.person(db, sealer, org_a, preferred_name=guest)
        )
        r[name].public_story_consent = True
    for name in ("C1", "C2"):
        db.add(
            CaseSupporter(id=uuid.uuid4(), case_id=r[name].id, congregation_id=r["cong_B"].id, roles=["HOSPITALITY"])
        )
    start = datetime.now(UTC) + timedelta(days=2)
    r["S1"] = HospitalityShift(id=uuid.uuid4(), organization_id=org_a.id, case_id=r["C1"].id, starts_at=start,
                               ends_at=start + timedelta(hours=4), needed_volunteers=2, status=ShiftStatus.FILLED)  # fmt: skip
    db.add(r["S1"])
    await db.flush()
    for key, name in (("hospitality_volunteer@A", "SA_withdrawn"), ("hospitality_volunteer2@A", "SA_live")):
        r[name] = ShiftAssignment(id=uuid.uuid4(), shift_id=r["S1"].id, member_id=world.actors[key].id)
        db.add(r[name])
    await db.flush()


async def _rapid_response(db: AsyncSession, sealer: Sealer, world: History) -> None:
    """I1 in the team's region, two responders arrived on it, a timeline note; I2 stable, one responder on it
    (closed without releasing it)."""
    r, team = world.records, world.orgs["RR"]
    r["I1"] = await f.incident(db, sealer, team, exact_location="12 History Lane")
    r["D_released"] = await rr.dispatched(db, r["I1"], world.actors["rr_responder@RR"].member, arrived=True)
    r["D_live"] = await rr.dispatched(db, r["I1"], world.actors["rr_responder2@RR"].member, arrived=True)
    r["I2"] = await f.incident(db, sealer, team, exact_location="40 Closed Court", status=IncidentStatus.STABLE)
    r["D_closed"] = await rr.dispatched(db, r["I2"], world.actors["rr_responder2@RR"].member, arrived=True)
    r["T1"] = IncidentTimelineEvent(id=uuid.uuid4(), organization_id=team.id, incident_id=r["I1"].id,
                                    region_id=r["I1"].region_id,
                                    kind=TimelineKind.NOTE, occurred_at=datetime.now(UTC))  # fmt: skip
    r["T1"].note = await sealer.seal(db, team.id, r["T1"].id, "incident_timeline_event.note", canary("History: van 4"))
    db.add(r["T1"])
    await db.flush()


async def _advocacy(db: AsyncSession, world: History) -> None:
    """One action per visibility, organized by CG with A as co-organizer."""
    for name, visibility in (("AV_org", Visibility.ORG), ("AV_net", Visibility.NETWORK), ("AV_pub", Visibility.PUBLIC)):
        row = AdvocacyAction(id=uuid.uuid4(), organization_id=world.orgs["CG"].id, title=f"Action {name}",
                             kind=AdvocacyKind.VIGIL, level=AdvocacyLevel.LOCAL, visibility=visibility,
                             starts_at=datetime.now(UTC) + timedelta(days=3), status=AdvocacyStatus.ANNOUNCED)  # fmt: skip
        db.add(row)
        await db.flush()
        db.add(AdvocacyOrganizer(id=uuid.uuid4(), action_id=row.id, organization_id=world.orgs["A"].id))
        world.records[name] = row
    await db.flush()
