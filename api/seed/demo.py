"""The demo network: a small, entirely fictional sanctuary network with one token-holding member per role.

Three invented regions (Alder County, Quillmere County, Tamsin Metro); a network hub; four
congregations (Thistlecombe hosts, Beth Amara and St. Wendeline support, Cedar Hollow discerns;
two declared publicly); two legal aid groups; a community group; a rapid-response team.

Where the demo members sit (e-mail ``<local part>@demo.sanctuary.example``):

========================== ==================== =====================================================
role                       local part           organization
========================== ==================== =====================================================
NETWORK_COORDINATOR        coordinator          the hub
AUDITOR                    auditor              the hub (so the demo auditor reads the network's log)
ORG_ADMIN                  admin                Thistlecombe, the host congregation (sees its case at T3)
SANCTUARY_COORDINATOR      sanctuary            Thistlecombe
HOSPITALITY_VOLUNTEER      hospitality          Thistlecombe (on several shifts of the guest's case)
ACCOMPANIMENT_COORDINATOR  matching             Beth Amara, a supporting congregation requests are routed to
ACCOMPANIER                accompanier          Beth Amara (assigned to several requests)
LEGAL_ADVOCATE             advocate             Ostervale Immigrant Legal Collective (submits most requests)
RR_DISPATCHER              dispatcher           the rapid-response team (regions: Quillmere and Alder; the two
                                                incidents in Tamsin Metro are outside them)
RR_RESPONDER               responder            the rapid-response team (dispatched to most incidents)
ORGANIZER                  organizer            Vecinos Unidos, the community group
========================== ==================== =====================================================

Eleven more volunteers carry trainings (some ACCOMPANIMENT trainings expired: never assigned).
Critical values that are absent on purpose: the A-number of a citizen child, the location of guests
not (or no longer) in sanctuary, and the reporter contact of incidents past triage (purged).
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import create_personal_token
from api.crypto import Sealer
from api.models import Congregation, Member, Organization, Region, Training
from api.models.enums import Role
from api.seed.builder import DemoBuilder
from api.seed.demo_activities import seed_activities
from api.seed.demo_webhooks import seed_webhooks
from api.seed.fiction import CONGREGATIONS, DEMO_DOMAIN, ORGS, REGIONS, ROLE_MEMBERS, VOLUNTEERS, MemberSpec

TOKEN_LIFETIME = timedelta(days=30)
logger = logging.getLogger(__name__)


@dataclass
class DemoSeed:
    """What the demo seed wrote: a token per role (shown once), row counts, and every sealed plaintext."""

    tokens: dict[str, str]
    emails: dict[str, str]
    counts: dict[str, int]
    sealed_plaintexts: list[str] = field(repr=False)

    def __str__(self) -> str:
        rows = ", ".join(f"{count} {table}" for table, count in sorted(self.counts.items()))
        return f"Demo network: {rows}; {len(self.tokens)} role tokens; {len(self.sealed_plaintexts)} sealed values."


def demo_email(role: Role) -> str:
    """The e-mail address of the demo member holding ``role``."""
    return f"{ROLE_MEMBERS[role].local_part}@{DEMO_DOMAIN}"


async def seed_demo(session: AsyncSession, sealer: Sealer, *, seed: int = 20240917) -> DemoSeed | None:
    """Write the demo network (flushed, not committed); None, writing nothing, if organizations exist."""
    if await session.scalar(select(Organization.id).limit(1)) is not None:
        return None
    builder = DemoBuilder(session, sealer, random.Random(seed), datetime.now(UTC).replace(microsecond=0))
    await _network(builder)
    await _members(builder)
    await seed_activities(builder)
    await seed_webhooks(builder)
    tokens = await _tokens(builder)
    logger.info("demo network written (not yet committed): %s", dict(builder.counts))
    return DemoSeed(
        tokens=tokens,
        emails={role.value: demo_email(role) for role in Role},
        counts=dict(builder.counts),
        sealed_plaintexts=list(builder.plaintexts),
    )


async def _network(b: DemoBuilder) -> None:
    for spec in REGIONS:
        b.regions[spec.key] = Region(id=uuid.uuid4(), code=spec.code, name=spec.name)
    for org in ORGS:
        b.orgs[org.key] = Organization(
            id=uuid.uuid4(), name=org.name, kind=org.kind, region_id=b.regions[org.region].id
        )
    for c in CONGREGATIONS:
        b.congregations[c.org] = Congregation(
            id=uuid.uuid4(),
            organization_id=b.orgs[c.org].id,
            public_name=c.public_name,
            faith_tradition=c.tradition,
            city=c.city,
            commitment=c.commitment,
            public_declaration=c.public,
            capacity=c.capacity,
            accessibility_notes=c.accessibility,
            contact_name=c.contact,
            contact_phone=c.phone,
            contact_email=f"{c.org.replace('_', '-')}@{DEMO_DOMAIN}",
        )
    b.add(*b.regions.values())
    await b.flush()
    b.add(*b.orgs.values())
    await b.flush()
    b.add(*b.congregations.values())
    await b.flush()


async def _members(b: DemoBuilder) -> None:
    specs = [*ROLE_MEMBERS.values(), *VOLUNTEERS]
    for number, spec in enumerate(specs):
        org = b.orgs[spec.org]
        region_id = b.regions["alder"].id if spec.local_part == "dispatcher" else org.region_id
        b.members[spec.local_part] = Member(
            id=uuid.uuid4(),
            organization_id=org.id,
            region_id=region_id,
            email=f"{spec.local_part}@{DEMO_DOMAIN}",
            alias=spec.alias,
            legal_name=spec.legal_name,
            phone=f"555-01{10 + number:02d}",
            languages=list(spec.languages),
            roles=[role.value for role in spec.roles],
            active=True,
        )
    b.add(*b.members.values())
    await b.flush()
    b.add(*(t for spec in specs for t in _trainings(b, spec)))
    await b.flush()


def _trainings(b: DemoBuilder, spec: MemberSpec) -> list[Training]:
    rows = []
    for t in spec.trainings:
        completed = b.day(-t.completed_days_ago, 10)
        expires = None if t.valid_days is None else completed + timedelta(days=t.valid_days)
        member_id = b.members[spec.local_part].id
        rows.append(
            Training(id=uuid.uuid4(), member_id=member_id, kind=t.kind, completed_at=completed, expires_at=expires)
        )
    return rows


async def _tokens(b: DemoBuilder) -> dict[str, str]:
    tokens = {}
    for role, spec in ROLE_MEMBERS.items():
        _row, secret = await create_personal_token(
            b.session, b.members[spec.local_part], name="demo", lifetime=TOKEN_LIFETIME
        )
        tokens[role.value] = secret
        b.counts["personal_access_token"] += 1
    return tokens
