"""Rows of a synthetic network for benchmarks: persons, cases, accompaniment requests and assignments, incidents.

Every T3 value is sealed with its organization's data key (``Sealer.seal_with``), bound to its row.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from api.crypto import Sealer
from api.models import AccompanimentRequest, Person, RapidResponseIncident, SanctuaryCase
from api.models.base import storage_name
from api.models.enums import AccompanimentKind, IncidentKind, IntakeChannel, OrganizationKind, Urgency
from api.seed.scale_network import STAMP, Clock, Network, ScalePlan

Row = tuple[object, ...]
COLUMNS: dict[str, tuple[str, ...]] = {
    "person": (*STAMP, "organization_id", "preferred_name", "legal_name", "a_number", "a_number_index",
               "country_of_origin", "languages"),
    "sanctuary_case": (*STAMP, "organization_id", "person_id", "host_congregation_id", "status", "exit_outcome",
                       "public_story_consent", "legal_status_summary", "location_detail", "entered_at", "exited_at"),
    "accompaniment_request": (*STAMP, "organization_id", "person_id", "region_id", "congregation_id", "kind", "urgency",
                              "status", "outcome", "appointment_at", "place", "languages_needed", "notes"),
    "accompaniment_assignment": (*STAMP, "request_id", "member_id", "role", "status"),
    "rapid_response_incident": (*STAMP, "organization_id", "region_id", "kind", "intake_channel", "verification",
                                "status", "reported_at", "size", "actions", "uniform", "observed_at", "equipment",
                                "exact_location", "coarse_area", "coarse_latitude", "coarse_longitude",
                                "reporter_contact", "broadcast_at", "closed_at"),
}  # fmt: skip
NAMES = ("Ana", "Bilal", "Chinedu", "Dalia", "Esperanza", "Farid", "Gloria", "Hamid", "Imelda", "Jorge", "Khadija")
SURNAMES = ("Abarca", "Benitez", "Cardenal", "Duarte", "Escobedo", "Figueroa", "Garzon", "Hurtado", "Ibarra")
COUNTRIES = ("Guatemala", "Honduras", "El Salvador", "Mexico", "Haiti", "Venezuela", "Afghanistan", "Eritrea")
STREETS = ("Alder Row", "Bramble Way", "Cinder Lane", "Dapple Court", "Elmstead Road", "Fallow Street")
# (request status, outcome, the assignment statuses of its team); the first entries are appointments to come
UPCOMING = (("SUBMITTED", None, ()), ("TRIAGED", None, ()), ("MATCHING", None, ("INVITED", "INVITED")),
            ("CONFIRMED", None, ("ACCEPTED", "ACCEPTED")), ("CONFIRMED", None, ("ACCEPTED",)))  # fmt: skip
PAST = (("COMPLETED", "ATTENDED", ("COMPLETED", "COMPLETED")), ("COMPLETED", "RESCHEDULED", ("COMPLETED",)),
        ("COMPLETED", "DETAINED", ("COMPLETED",)), ("CANCELLED", None, ("DECLINED",)), ("UNFILLED", None, ()),
        ("COMPLETED", "ATTENDED", ("COMPLETED", "NO_SHOW")))  # fmt: skip
TEAM_ROLES = ("LEAD", "SUPPORT", "DRIVER")
# (verification, status); most reports are false alarms or cannot be verified
INCIDENT_STATES = (("UNVERIFIED", "OPEN"), ("VERIFYING", "OPEN"), ("CONFIRMED", "ACTIVE"), ("CONFIRMED", "STABLE"),
                   ("CONFIRMED", "CLOSED"), ("FALSE_ALARM", "CLOSED"), ("FALSE_ALARM", "CLOSED"),
                   ("NOT_ICE", "CLOSED"), ("UNABLE_TO_VERIFY", "CLOSED"), ("UNABLE_TO_VERIFY", "CLOSED"))  # fmt: skip
CASE_STATES = (("INQUIRY", None), ("DISCERNMENT", None), ("PREPARING", None), ("IN_SANCTUARY", None),
               ("IN_SANCTUARY", None), ("EXITED", "STAY_GRANTED"), ("EXITED", "RELIEF_GRANTED"), ("CLOSED", None),
               ("DECLINED", None))  # fmt: skip


@dataclass
class Scale:
    """What the record generators share: the network, its data keys, the clock and the sealer."""

    plan: ScalePlan
    net: Network
    clock: Clock
    sealer: Sealer
    keys: dict[uuid.UUID, uuid.UUID]  # organization id -> active data key id
    a_numbers: list[tuple[str, bytes] | None]  # per person: A-number and its blind index
    areas: dict[uuid.UUID, list[tuple[str, Decimal, Decimal]]]
    persons: list[uuid.UUID] = field(default_factory=list)
    assignments: list[Row] = field(default_factory=list)

    def seal(self, org_id: uuid.UUID, record_id: uuid.UUID, column: str, value: str) -> bytes:
        """Seal a T3 value with the organization's data key."""
        return self.sealer.seal_with(self.keys[org_id], org_id, record_id, column, value)


def random_a_number(rng: random.Random) -> str | None:
    """A fictional A-number, or None (one person in ten has none)."""
    if rng.random() < 0.1:
        return None
    return f"A-{rng.randint(100, 299)}-{rng.randint(0, 999):03d}-{rng.randint(0, 999):03d}"


def person_rows(s: Scale) -> Iterator[Row]:
    """Protected people, registered mostly by legal aid groups."""
    rng, orgs = s.clock.rng, s.net.orgs
    registrars = [o for o, _r in orgs[OrganizationKind.LEGAL_AID] * 7 + orgs[OrganizationKind.CONGREGATION] * 2]
    registrars += [o for o, _r in orgs[OrganizationKind.RAPID_RESPONSE]]
    for number, a_number in enumerate(s.a_numbers):
        stamp = s.clock.stamp()
        org_id, name = rng.choice(registrars), rng.choice(NAMES)
        legal = f"{name} {rng.choice(NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}-{number}"
        sealed_a = None if a_number is None else s.seal(org_id, stamp[0], storage_name(Person.a_number), a_number[0])
        index = None if a_number is None else a_number[1]
        s.persons.append(stamp[0])
        yield (*stamp, org_id, name, s.seal(org_id, stamp[0], storage_name(Person.legal_name), legal), sealed_a, index,
               rng.choice(COUNTRIES), ["es"])  # fmt: skip


def case_rows(s: Scale) -> Iterator[Row]:
    """Sanctuary cases hosted by HOST congregations, across the lifecycle."""
    rng = s.clock.rng
    hosts = [c for c in s.net.congregations if c[2]] or s.net.congregations
    for number, person_id in enumerate(rng.sample(s.persons, k=min(s.plan.cases, len(s.persons)))):
        stamp = s.clock.stamp()
        congregation_id, org_id, _hosts = rng.choice(hosts)
        status, outcome = rng.choice(CASE_STATES)
        entered = stamp[1] if status in ("IN_SANCTUARY", "EXITED", "CLOSED") else None
        exited = stamp[2] if entered is not None and status != "IN_SANCTUARY" else None
        summary = s.seal(
            org_id, stamp[0], storage_name(SanctuaryCase.legal_status_summary), f"Final order, stay pending #{number}"
        )
        room = f"Parsonage room {number % 7 + 1}, door code {rng.randint(1000, 9999)}"
        location = (
            s.seal(org_id, stamp[0], storage_name(SanctuaryCase.location_detail), room)
            if status == "IN_SANCTUARY"
            else None
        )
        yield (*stamp, org_id, person_id, congregation_id, status, outcome, rng.random() < 0.3, summary, location,
               entered, exited)  # fmt: skip


def request_rows(s: Scale) -> Iterator[Row]:
    """Accompaniment requests from legal aid groups; their teams go to ``s.assignments``."""
    rng, clock = s.clock.rng, s.clock
    legal_aid = s.net.orgs[OrganizationKind.LEGAL_AID]
    congregations = [c[0] for c in s.net.congregations]
    kinds, urgencies = [k.value for k in AccompanimentKind], [u.value for u in Urgency]
    for _ in range(s.plan.requests):
        rid, created, updated, version = clock.stamp()
        org_id, region_id = rng.choice(legal_aid)
        appointment = created + timedelta(days=rng.randint(1, 60), hours=rng.randint(8, 16))
        status, outcome, team = rng.choice(PAST if appointment.timestamp() < clock.now else UPCOMING)
        notes = s.seal(
            org_id,
            rid,
            storage_name(AccompanimentRequest.notes),
            f"Bring the receipt, file {rng.randint(10**6, 10**7)}",
        )
        congregation_id = rng.choice(congregations) if rng.random() < 0.8 else None
        yield (rid, created, updated, version, org_id, rng.choice(s.persons), region_id, congregation_id,
               rng.choice(kinds), rng.choice(urgencies), status, outcome, appointment, "Immigration court, room 3",
               ["es"], notes)  # fmt: skip
        _team(s, rid, created, team)


def _team(s: Scale, request_id: uuid.UUID, created: datetime, team: tuple[str, ...]) -> None:
    members = s.clock.rng.sample(s.net.accompaniers, k=len(team)) if team else []
    for role, status, member_id in zip(TEAM_ROLES, team, members, strict=False):
        s.assignments.append((uuid.uuid4(), created, created, 1, request_id, member_id, role, status))


def incident_rows(s: Scale) -> Iterator[Row]:
    """Rapid-response incidents; exact location always sealed, reporter contact only before triage."""
    rng, clock = s.clock.rng, s.clock
    teams = s.net.orgs[OrganizationKind.RAPID_RESPONSE]
    kinds, channels = [k.value for k in IncidentKind], [c.value for c in IntakeChannel]
    column, contact_column = (
        storage_name(RapidResponseIncident.exact_location),
        storage_name(RapidResponseIncident.reporter_contact),
    )
    now = datetime.fromtimestamp(clock.now, UTC)
    for _ in range(s.plan.incidents):
        rid, created, updated, version = clock.stamp()
        org_id, home = rng.choice(teams)
        region_id = home if rng.random() < 0.7 else rng.choice(s.net.region_ids)
        area, lat, lon = rng.choice(s.areas[region_id])
        verification, status = rng.choice(INCIDENT_STATES)
        exact = s.seal(org_id, rid, column, f"{rng.randint(1, 9999)} {rng.choice(STREETS)}, {area}")
        contact = None
        if status == "OPEN":
            contact = s.seal(
                org_id, rid, contact_column, f"Caller 555-01{rng.randint(0, 99):02d} #{rng.randint(0, 10**6)}"
            )
        later = min(created + timedelta(minutes=45), now)
        yield (rid, created, updated, version, org_id, region_id, rng.choice(kinds), rng.choice(channels), verification,
               status, created, "A few agents", "Reported by caller", "Vests", created, "Vans", exact, area, lat, lon,
               contact, later if verification == "CONFIRMED" else None, updated if status == "CLOSED" else None)  # fmt: skip
