"""Rows of a synthetic network for benchmarks: regions, organizations, congregations, members and trainings.

Rows are plain tuples in the column order of ``COLUMNS[table]``, ready for a binary COPY.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from api.models.enums import Commitment, OrganizationKind, Role, TrainingKind

STAMP = ("id", "created_at", "updated_at", "version")
COLUMNS: dict[str, tuple[str, ...]] = {
    "region": (*STAMP, "name", "code"),
    "organization": (*STAMP, "name", "kind", "region_id"),
    "congregation": (*STAMP, "organization_id", "public_name", "faith_tradition", "city", "commitment",
                     "public_declaration", "capacity", "contact_name", "contact_phone"),
    "member": (*STAMP, "organization_id", "region_id", "email", "alias", "legal_name", "phone", "languages", "roles",
               "active"),
    "training": (*STAMP, "member_id", "kind", "completed_at", "expires_at"),
}  # fmt: skip
SPAN_SECONDS = 2 * 365 * 86400  # created_at spreads over the last two years
TRADITIONS = ("United Methodist", "Reform Jewish", "Roman Catholic", "Quaker", "Presbyterian", "Unitarian", "Muslim")
WORDS = ("Alder", "Bramble", "Cinder", "Dapple", "Elm", "Fallow", "Gorse", "Heron", "Ivy", "Juniper", "Kestrel")
ROLES_BY_KIND: dict[OrganizationKind, tuple[Role, ...]] = {
    OrganizationKind.CONGREGATION: (Role.ACCOMPANIER,) * 4 + (Role.HOSPITALITY_VOLUNTEER,) * 4
    + (Role.SANCTUARY_COORDINATOR, Role.ACCOMPANIMENT_COORDINATOR),
    OrganizationKind.LEGAL_AID: (Role.LEGAL_ADVOCATE,) * 6 + (Role.ACCOMPANIER,) * 3 + (Role.ORG_ADMIN,),
    OrganizationKind.RAPID_RESPONSE: (Role.RR_RESPONDER,) * 4 + (Role.RR_DISPATCHER,),
    OrganizationKind.COMMUNITY_GROUP: (Role.ACCOMPANIER,) * 2 + (Role.ORGANIZER,),
}  # fmt: skip
TRAINING_FOR: dict[Role, TrainingKind] = {
    Role.ACCOMPANIER: TrainingKind.ACCOMPANIMENT,
    Role.HOSPITALITY_VOLUNTEER: TrainingKind.HOSPITALITY,
    Role.RR_RESPONDER: TrainingKind.LEGAL_OBSERVER,
    Role.RR_DISPATCHER: TrainingKind.DISPATCHER,
}


@dataclass(frozen=True)
class ScalePlan:
    """How many rows of each kind a scale of ``n`` writes."""

    n: int
    regions: int
    congregations: int
    legal_aid: int
    community_groups: int
    rapid_response: int
    members: int
    persons: int
    cases: int
    requests: int
    incidents: int

    @classmethod
    def for_n(cls, n: int) -> ScalePlan:
        """N requests and 10*N incidents, with everything else proportional."""
        return cls(n=n, regions=max(3, n // 2000), congregations=max(5, n // 200), legal_aid=max(2, n // 1000),
                   community_groups=max(1, n // 2000), rapid_response=max(2, n // 5000), members=max(40, n // 20),
                   persons=max(10, n // 2), cases=max(3, n // 100), requests=n, incidents=10 * n)  # fmt: skip


@dataclass
class Clock:
    """Random moments in the last two years, with a fixed ``now``."""

    rng: random.Random
    now: float = field(default_factory=lambda: datetime.now(UTC).timestamp())

    def past(self, span: float = SPAN_SECONDS) -> datetime:
        """A moment up to ``span`` seconds ago."""
        return datetime.fromtimestamp(self.now - self.rng.random() * span, UTC)

    def stamp(self) -> tuple[uuid.UUID, datetime, datetime, int]:
        """A new id, created_at, updated_at (a little later, never in the future) and version 1."""
        created = self.past()
        later = created.timestamp() + self.rng.random() * 30 * 86400
        return uuid.uuid4(), created, datetime.fromtimestamp(min(later, self.now), UTC), 1


@dataclass
class Network:
    """The organizations of one scale run, by kind, and the rows that make them up."""

    token: str
    rows: dict[str, list[tuple[object, ...]]] = field(default_factory=dict)
    region_ids: list[uuid.UUID] = field(default_factory=list)
    region_names: dict[uuid.UUID, str] = field(default_factory=dict)
    orgs: dict[OrganizationKind, list[tuple[uuid.UUID, uuid.UUID]]] = field(default_factory=dict)  # (id, region)
    congregations: list[tuple[uuid.UUID, uuid.UUID, bool]] = field(default_factory=list)  # (id, org, hosts)
    accompaniers: list[uuid.UUID] = field(default_factory=list)  # members assignable to requests

    def org_ids(self) -> list[uuid.UUID]:
        """Every organization of the run."""
        return [org_id for orgs in self.orgs.values() for org_id, _region in orgs]


def build_network(plan: ScalePlan, clock: Clock, token: str) -> Network:
    """Regions, organizations (a hub and the rest by the plan) and congregation profiles."""
    net = Network(token)
    net.rows["region"] = [_region(net, clock, i) for i in range(plan.regions)]
    net.rows["organization"] = []
    counts = {OrganizationKind.NETWORK_HUB: 1, OrganizationKind.CONGREGATION: plan.congregations,
              OrganizationKind.LEGAL_AID: plan.legal_aid, OrganizationKind.COMMUNITY_GROUP: plan.community_groups,
              OrganizationKind.RAPID_RESPONSE: plan.rapid_response}  # fmt: skip
    for kind, count in counts.items():
        net.orgs[kind] = []
        for i in range(count):
            row = (*clock.stamp(), f"{_name(clock.rng)} {kind.value.replace('_', ' ').title()} {i} ({token})", kind.value,
                   net.region_ids[i % len(net.region_ids)])  # fmt: skip
            net.rows["organization"].append(row)
            net.orgs[kind].append((row[0], row[-1]))
    net.rows["congregation"] = [
        _congregation(net, clock, i, org) for i, org in enumerate(net.orgs[OrganizationKind.CONGREGATION])
    ]
    return net


def _name(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)}{rng.choice(('brook', 'field', 'gate', 'hollow', 'mere', 'wick'))}"


def _region(net: Network, clock: Clock, i: int) -> tuple[object, ...]:
    stamp = clock.stamp()
    name = f"{_name(clock.rng)} County {i}"
    net.region_ids.append(stamp[0])
    net.region_names[stamp[0]] = name
    return (*stamp, name, f"scale-{net.token}-{i}")


def _congregation(net: Network, clock: Clock, i: int, org: tuple[uuid.UUID, uuid.UUID]) -> tuple[object, ...]:
    rng = clock.rng
    commitment = (Commitment.HOST, Commitment.SUPPORTING, Commitment.SUPPORTING, Commitment.DISCERNING)[i % 4]
    stamp = clock.stamp()
    net.congregations.append((stamp[0], org[0], commitment is Commitment.HOST))
    return (*stamp, org[0], f"{_name(rng)} Fellowship {i}", rng.choice(TRADITIONS), f"{_name(rng)} {i}",
            commitment.value, rng.random() < 0.5, rng.randint(1, 4), f"Contact {i}", f"555-01{i % 100:02d}")  # fmt: skip


def member_rows(
    net: Network, plan: ScalePlan, clock: Clock
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Members spread over the non-hub organizations, each with the training its role needs."""
    rng = clock.rng
    orgs = [(kind, org) for kind, rows in net.orgs.items() if kind in ROLES_BY_KIND for org in rows]
    members: list[tuple[object, ...]] = []
    trainings: list[tuple[object, ...]] = []
    for i in range(plan.members):
        kind, (org_id, region_id) = orgs[i % len(orgs)]
        role = rng.choice(ROLES_BY_KIND[kind])
        stamp = clock.stamp()
        members.append((*stamp, org_id, region_id, f"m{i}-{net.token}@scale.sanctuary.example", f"{_name(rng)} {i}",
                        f"Volunteer {i} {net.token}", f"555-01{i % 100:02d}", ["en", "es"], [role.value], True))  # fmt: skip
        trainings.extend(_trainings(net, clock, stamp[0], role))
    return members, trainings


def _trainings(net: Network, clock: Clock, member_id: uuid.UUID, role: Role) -> list[tuple[object, ...]]:
    kind = TRAINING_FOR.get(role)
    if kind is None:
        return []
    completed = clock.past(3 * 365 * 86400)
    expires = completed + timedelta(days=730)
    if role is Role.ACCOMPANIER and expires.timestamp() > clock.now:
        net.accompaniers.append(member_id)
    return [(*clock.stamp(), member_id, kind.value, completed, expires)]


COARSE_AREAS_PER_REGION = 6


def coarse_areas(net: Network, rng: random.Random) -> dict[uuid.UUID, list[tuple[str, Decimal, Decimal]]]:
    """A few coarse areas (label, 2-decimal latitude and longitude) in each region."""
    areas = {}
    for number, region_id in enumerate(net.region_ids):
        lat, lon = 40 + number % 10 * 0.5, -100 + number // 10 * 0.5
        areas[region_id] = [
            (f"Sector {k}, {net.region_names[region_id]}", Decimal(f"{lat + rng.random():.2f}"),
             Decimal(f"{lon + rng.random():.2f}"))
            for k in range(COARSE_AREAS_PER_REGION)
        ]  # fmt: skip
    return areas
