"""A small network with one member per role and records tied to some of them (for access tests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import create_client
from api.crypto import Sealer
from api.models import (
    AccompanimentAssignment,
    AdvocacyAction,
    AuditEvent,
    CaseSupporter,
    HospitalityShift,
    HouseholdLink,
    IncidentDispatch,
    IncidentTimelineEvent,
    Member,
    Organization,
    PersonalAccessToken,
    ShiftAssignment,
    Training,
    WebhookDelivery,
    WebhookEndpoint,
)
from api.models.enums import (
    AdvocacyKind,
    AdvocacyLevel,
    AdvocacyStatus,
    AssignmentRole,
    AssignmentStatus,
    AuditAction,
    AuditOutcome,
    DispatchRole,
    OrganizationKind,
    Role,
    TimelineKind,
    TrainingKind,
    Verification,
    Visibility,
)
from tests import factories as f
from tests.canaries import canary


@dataclass
class World:
    """Members by key (``role@org``, ``role+role@org`` for several roles), tokens by the same key, partner apps
    (``app:role+role@org``: client id and secret), and records by name."""

    tokens: dict[str, str] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)  # the members of the tokens, by the same key
    apps: dict[str, tuple[str, str]] = field(default_factory=dict)
    records: dict[str, Any] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)


async def build_world(db: AsyncSession, sealer: Sealer) -> World:
    """Two congregations, two legal aid groups, a hub, a rapid-response team and a community group."""
    world = World()
    x, y = await f.region(db, name="Region X"), await f.region(db, name="Region Y")
    kinds = {
        "hub": OrganizationKind.NETWORK_HUB, "A": OrganizationKind.CONGREGATION, "B": OrganizationKind.CONGREGATION,
        "L1": OrganizationKind.LEGAL_AID, "L2": OrganizationKind.LEGAL_AID, "RR": OrganizationKind.RAPID_RESPONSE,
        "CG": OrganizationKind.COMMUNITY_GROUP,
    }  # fmt: skip
    for key, kind in kinds.items():
        world.orgs[key] = await f.organization(db, kind, region_id=x.id, name=f"Org {key}")
    cong_a = await f.congregation(db, world.orgs["A"], public_declaration=True)
    cong_b = await f.congregation(db, world.orgs["B"], public_declaration=False)
    # region Z has no rapid-response organization of its own: the hub designated RR for it
    z = await f.region(db, name="Region Z", rapid_response_organization_id=world.orgs["RR"].id)
    members = {
        "network_coordinator@hub": Role.NETWORK_COORDINATOR, "auditor@hub": Role.AUDITOR,
        "org_admin@A": Role.ORG_ADMIN, "sanctuary_coordinator@A": Role.SANCTUARY_COORDINATOR,
        "hospitality_volunteer@A": Role.HOSPITALITY_VOLUNTEER, "accompaniment_coordinator@A":
        Role.ACCOMPANIMENT_COORDINATOR, "accompanier@A": Role.ACCOMPANIER, "auditor@A": Role.AUDITOR,
        "sanctuary_coordinator@B": Role.SANCTUARY_COORDINATOR, "hospitality_volunteer@B": Role.HOSPITALITY_VOLUNTEER,
        "accompaniment_coordinator@B": Role.ACCOMPANIMENT_COORDINATOR, "accompanier@B": Role.ACCOMPANIER,
        "legal_advocate@L1": Role.LEGAL_ADVOCATE, "org_admin@L1": Role.ORG_ADMIN,
        "legal_advocate@L2": Role.LEGAL_ADVOCATE, "rr_dispatcher@RR": Role.RR_DISPATCHER,
        "rr_responder@RR": Role.RR_RESPONDER, "rr_responder2@RR": Role.RR_RESPONDER, "organizer@CG": Role.ORGANIZER,
        "org_admin@hub": Role.ORG_ADMIN, "org_admin@RR": Role.ORG_ADMIN,
        # members holding several roles
        "accompanier+hospitality_volunteer@A": (Role.ACCOMPANIER, Role.HOSPITALITY_VOLUNTEER),
        "auditor+organizer@CG": (Role.AUDITOR, Role.ORGANIZER),
        "rr_dispatcher+org_admin@RR": (Role.RR_DISPATCHER, Role.ORG_ADMIN),
    }  # fmt: skip
    people: dict[str, Any] = {}
    for key, role in members.items():
        org = world.orgs[key.split("@")[1]]
        roles = role if isinstance(role, tuple) else (role,)
        people[key] = await f.member(db, org, *roles, legal_name=f"Legal {key}", phone="555-0199")
        world.tokens[key] = await f.token_for(db, people[key])
        world.members[key] = people[key]
    r = world.records
    r["member_L1"] = people["legal_advocate@L1"]
    r["member_A"] = people["accompanier@A"]
    r["member_hub"] = people["auditor@hub"]
    r["region_Z"] = z
    both = people["accompanier+hospitality_volunteer@A"]  # tied like A's accompanier and A's volunteer
    # accompaniment: L1 asks for P1, routed to congregation A, matched with A's accompanier
    r["P1"] = await f.person(db, sealer, world.orgs["L1"], preferred_name="Pilar", legal_name="Pilar Legal-One",
                             a_number="A-100-200-300")  # fmt: skip
    r["R1"] = await f.accompaniment_request(db, sealer, world.orgs["L1"], r["P1"], congregation_id=cong_a.id,
                                            place="Court 7", notes="Note R1")  # fmt: skip
    db.add(AccompanimentAssignment(id=uuid.uuid4(), request_id=r["R1"].id, member_id=people["accompanier@A"].id,
                                   role=AssignmentRole.LEAD, status=AssignmentStatus.ACCEPTED))  # fmt: skip
    db.add(AccompanimentAssignment(id=uuid.uuid4(), request_id=r["R1"].id, member_id=both.id,
                                   role=AssignmentRole.SUPPORT, status=AssignmentStatus.ACCEPTED))  # fmt: skip
    # sanctuary: A hosts P2 in case C1, supported by B; A's volunteer is on shift S1
    r["P2"] = await f.person(db, sealer, world.orgs["A"], preferred_name="Tomas", legal_name="Tomas Legal-Two")
    r["C1"] = await f.sanctuary_case(db, sealer, cong_a, r["P2"], location_detail="Parsonage, room 2")
    db.add(CaseSupporter(id=uuid.uuid4(), case_id=r["C1"].id, congregation_id=cong_b.id, roles=["HOSPITALITY"]))
    start = datetime.now(UTC) + timedelta(days=1)
    r["S1"] = HospitalityShift(id=uuid.uuid4(), organization_id=world.orgs["A"].id, case_id=r["C1"].id,
                               starts_at=start, ends_at=start + timedelta(hours=4), needed_volunteers=2)  # fmt: skip
    db.add(r["S1"])
    await db.flush()
    db.add(ShiftAssignment(id=uuid.uuid4(), shift_id=r["S1"].id, member_id=people["hospitality_volunteer@A"].id))
    db.add(ShiftAssignment(id=uuid.uuid4(), shift_id=r["S1"].id, member_id=both.id))
    # rapid response: I1 in region X (responder dispatched), I2 in region Y, I3 broadcast
    rr = world.orgs["RR"]
    r["I1"] = await f.incident(db, sealer, rr, exact_location="12 Canary Lane", reporter_contact=None)
    r["I1"].reporter_contact = await sealer.seal(db, rr.id, r["I1"].id, "rapid_response_incident.reporter_contact",
                                                 canary("caller 555-0123"))  # fmt: skip
    r["I2"] = await f.incident(db, sealer, rr, exact_location="9 Other Road", region_id=y.id)
    r["I2"].reporter_contact = await sealer.seal(db, rr.id, r["I2"].id, "rapid_response_incident.reporter_contact",
                                                 canary("caller 555-0456"))  # fmt: skip
    r["I4"] = await f.incident(db, sealer, rr, exact_location="4 Designated Road", region_id=z.id)
    r["I4"].reporter_contact = await sealer.seal(db, rr.id, r["I4"].id, "rapid_response_incident.reporter_contact",
                                                 canary("caller 555-0789"))  # fmt: skip
    r["I3"] = await f.incident(db, sealer, rr, exact_location="1 Broadcast Way", verification=Verification.CONFIRMED,
                               broadcast_at=datetime.now(UTC))  # fmt: skip
    db.add(IncidentDispatch(id=uuid.uuid4(), organization_id=rr.id, incident_id=r["I1"].id, region_id=x.id,
                            member_id=people["rr_responder@RR"].id, role=DispatchRole.LEGAL_OBSERVER,
                            dispatched_at=datetime.now(UTC)))  # fmt: skip
    await db.flush()
    r["D1"] = (await db.scalars(select(IncidentDispatch).where(IncidentDispatch.incident_id == r["I1"].id))).one()
    r["T1"] = IncidentTimelineEvent(id=uuid.uuid4(), organization_id=rr.id, incident_id=r["I1"].id, region_id=x.id,
                                    kind=TimelineKind.NOTE, occurred_at=datetime.now(UTC))  # fmt: skip
    r["T1"].note = await sealer.seal(db, rr.id, r["T1"].id, "incident_timeline_event.note", canary("Debrief: van 3"))
    db.add(r["T1"])
    # D2/T2 on I2 (region Y, outside RR's dispatchers' regions), D4/T4 on I4 (region Z, designated to RR): a
    # responder who is no viewer was sent to both
    elsewhere = await f.member(db, rr, Role.RR_RESPONDER)
    for number, note in (("2", "Debrief: road 9"), ("4", "Debrief: road 4")):
        incident = r[f"I{number}"]
        r[f"D{number}"] = IncidentDispatch(id=uuid.uuid4(), organization_id=rr.id, incident_id=incident.id,
                                           region_id=incident.region_id, member_id=elsewhere.id,
                                           role=DispatchRole.LEGAL_OBSERVER, dispatched_at=datetime.now(UTC))  # fmt: skip
        r[f"T{number}"] = IncidentTimelineEvent(id=uuid.uuid4(), organization_id=rr.id, incident_id=incident.id,
                                                region_id=incident.region_id, kind=TimelineKind.DEBRIEF,
                                                occurred_at=datetime.now(UTC))  # fmt: skip
        r[f"T{number}"].note = await sealer.seal(db, rr.id, r[f"T{number}"].id, "incident_timeline_event.note",
                                                 canary(note))  # fmt: skip
        db.add_all([r[f"D{number}"], r[f"T{number}"]])
    r["P1b"] = await f.person(db, sealer, world.orgs["L1"], preferred_name="Nico")
    r["H1"] = HouseholdLink(id=uuid.uuid4(), organization_id=world.orgs["L1"].id, person_id=r["P1"].id,
                            related_person_id=r["P1b"].id)  # fmt: skip
    r["H1"].relation = await sealer.seal(db, world.orgs["L1"].id, r["H1"].id, "household_link.relation",
                                         canary("Younger brother"))  # fmt: skip
    db.add(r["H1"])
    r["AA1"] = (await db.scalars(select(AccompanimentAssignment).where(
        AccompanimentAssignment.request_id == r["R1"].id,
        AccompanimentAssignment.member_id == people["accompanier@A"].id))).one()  # fmt: skip
    r["SA1"] = (await db.scalars(select(ShiftAssignment).where(
        ShiftAssignment.shift_id == r["S1"].id,
        ShiftAssignment.member_id == people["hospitality_volunteer@A"].id))).one()  # fmt: skip
    r["CS1"] = (await db.scalars(select(CaseSupporter).where(CaseSupporter.case_id == r["C1"].id))).one()
    r["cong_A"], r["org_L1"] = cong_a, world.orgs["L1"]
    r["TR1"] = Training(id=uuid.uuid4(), member_id=people["accompanier@A"].id, kind=TrainingKind.ACCOMPANIMENT,
                        completed_at=datetime.now(UTC) - timedelta(days=30))  # fmt: skip
    db.add(r["TR1"])
    r["PAT_A"] = (await db.scalars(select(PersonalAccessToken).where(
        PersonalAccessToken.member_id == people["accompanier@A"].id))).one()  # fmt: skip
    r["PAT_AUD"] = (await db.scalars(select(PersonalAccessToken).where(
        PersonalAccessToken.member_id == people["auditor@A"].id))).one()  # fmt: skip
    r["APP_A"], _secret = await create_client(db, world.orgs["A"], name="A's app", scopes=["read"],
                                              max_roles=["ORG_ADMIN"])  # fmt: skip
    r["EP_A"] = WebhookEndpoint(id=uuid.uuid4(), organization_id=world.orgs["A"].id, app_id=r["APP_A"].id,
                                url="https://hooks.example.org/a", event_kinds=["CASE_OPENED"],
                                document="subscription { node { id } }", description="A's receiver")  # fmt: skip
    db.add(r["EP_A"])
    await db.flush()
    r["DL_A"] = WebhookDelivery(id=uuid.uuid4(), endpoint_id=r["EP_A"].id, organization_id=world.orgs["A"].id,
                                event_id=1, event_kind="CASE_OPENED", attempts=1, last_response_code=500,
                                last_error="HTTP_STATUS", next_attempt_at=datetime.now(UTC))  # fmt: skip
    db.add(r["DL_A"])
    r["AV1"] = AdvocacyAction(id=uuid.uuid4(), organization_id=world.orgs["CG"].id, title="Public vigil",
                              kind=AdvocacyKind.VIGIL, level=AdvocacyLevel.LOCAL, visibility=Visibility.PUBLIC,
                              starts_at=datetime.now(UTC) + timedelta(days=2), status=AdvocacyStatus.ANNOUNCED)  # fmt: skip
    db.add(r["AV1"])
    # partner apps with several roles in their ceiling (roles fitting their organization's kind)
    for key, ceiling in (("app:sanctuary_coordinator+hospitality_volunteer@A", ["SANCTUARY_COORDINATOR",
                          "HOSPITALITY_VOLUNTEER"]), ("app:rr_dispatcher+rr_responder@RR", ["RR_DISPATCHER",
                          "RR_RESPONDER"])):  # fmt: skip
        app, secret = await create_client(db, world.orgs[key.split("@")[1]], name=key, scopes=["read"],
                                          max_roles=ceiling)  # fmt: skip
        world.apps[key] = (app.client_id, secret)
    for org_key in ("A", "L1", "CG"):
        db.add(AuditEvent(organization_id=world.orgs[org_key].id, action=AuditAction.READ,
                          outcome=AuditOutcome.ALLOWED, fields=[f"Test.{org_key}"]))  # fmt: skip
    await db.commit()
    return world
