"""One browser, two requests at once: noting a session's last use must not make either of them fail."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.models import Member, Organization
from api.models.enums import OrganizationKind, Role
from api.signin.sessions import current_session, end_session, start_session
from tests import factories as f


async def test_two_requests_with_one_cookie_at_once_both_succeed_and_sign_out_still_works(
    live_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with live_sessions() as db:
        org = await f.organization(db, OrganizationKind.CONGREGATION)
        member = await f.member(db, org, Role.ORGANIZER)
        _row, cookie = await start_session(db, member, device_name="Laptop", lifetime=timedelta(hours=1))
        await db.commit()
    try:

        async def request() -> bool:
            async with live_sessions() as db:
                found = await current_session(db, cookie)
                await asyncio.sleep(0.05)  # the other request reads the same row meanwhile
                await db.commit()
                return found is not None

        assert list(await asyncio.gather(request(), request())) == [True, True]
        async with live_sessions() as db:  # the version was not bumped behind the ORM's back: sign-out works
            current = await current_session(db, cookie)
            assert current is not None
            await end_session(db, current[0])
            await db.commit()
        async with live_sessions() as db:
            assert await current_session(db, cookie) is None
    finally:
        async with live_sessions() as db:
            await db.execute(delete(Member).where(Member.id == member.id))
            await db.execute(delete(Organization).where(Organization.id == org.id))
            await db.commit()
