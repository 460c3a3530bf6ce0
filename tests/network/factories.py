"""Builders for the administration tests: hub coordinators, org admins, committed (live) actors, ids."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.models import Organization
from api.models.enums import OrganizationKind, Role
from tests import factories
from tests.workflow import Actor, actor


async def hub_coordinator(db: AsyncSession) -> Actor:
    """A network coordinator of a (new) network hub organization."""
    return await actor(db, await factories.organization(db, OrganizationKind.NETWORK_HUB), Role.NETWORK_COORDINATOR)


async def org_admin(
    db: AsyncSession, kind: OrganizationKind = OrganizationKind.CONGREGATION, org: Organization | None = None
) -> Actor:
    """An ORG_ADMIN of ``org`` (or of a new organization of ``kind``)."""
    return await actor(db, org or await factories.organization(db, kind), Role.ORG_ADMIN)


async def organization_of(db: AsyncSession, who: Actor) -> Organization:
    """The organization an actor belongs to."""
    return await db.get_one(Organization, who.member.organization_id)


async def committed_admins(
    live_sessions: async_sessionmaker[AsyncSession], count: int = 1, *, with_congregation: bool = False
) -> tuple[list[Actor], Organization]:
    """``count`` admins of one new organization, committed (for concurrency tests)."""
    async with live_sessions() as session:
        org = await factories.organization(session)
        if with_congregation:
            await factories.congregation(session, org)
        admins = [await org_admin(session, org=org) for _ in range(count)]
        await session.commit()
    return admins, org
