"""What the benchmark needs in the database: a legal advocate with a token, and pagination positions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.auth.access import readable
from api.auth.tokens import create_personal_token
from api.auth.viewer import Viewer
from api.crypto import Sealer
from api.models import AccompanimentRequest, Member, RapidResponseIncident
from api.models.enums import Role
from api.schema.engine.ids import encode_cursor

CONNECTION = "rapidResponseIncidents:CREATED_AT"
PAGE = 100


@dataclass
class Advocate:
    """The benchmark's viewer: a LEGAL_ADVOCATE of the organization with the most requests."""

    organization_id: uuid.UUID
    organization_requests: int
    member_id: uuid.UUID
    token: str


@dataclass
class DeepPage:
    """The row at ``depth`` of the incidents ordered by (created_at, id), as a cursor."""

    total: int
    offset: int
    created_at: datetime
    record_id: uuid.UUID
    cursor: str  # sealed with the service's cursor key (derived from the key-encryption key it shares)


async def busiest_organization(session: AsyncSession) -> tuple[uuid.UUID, int]:
    """The organization that submitted the most accompaniment requests, and how many."""
    row = (
        await session.execute(
            select(AccompanimentRequest.organization_id, func.count().label("n"))
            .group_by(AccompanimentRequest.organization_id)
            .order_by(text("n DESC"), AccompanimentRequest.organization_id)
            .limit(1)
        )
    ).one()
    return row[0], int(row[1])


async def create_advocate(engine: AsyncEngine) -> Advocate:
    """Create (or reuse) the benchmark member and give it a fresh one-day token (committed)."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        organization_id, count = await busiest_organization(session)
        email = f"bench-advocate-{organization_id}@bench.invalid"
        member = await session.scalar(select(Member).where(Member.email == email))
        if member is None:
            member = Member(
                id=uuid.uuid4(),
                organization_id=organization_id,
                email=email,
                alias="bench-advocate",
                languages=["en"],
                roles=[Role.LEGAL_ADVOCATE.value],
                active=True,
            )
            session.add(member)
            await session.flush()
        _row, token = await create_personal_token(session, member, name="bench", lifetime=timedelta(days=1))
        await session.commit()
        return Advocate(organization_id, count, member.id, token)


async def deep_page(engine: AsyncEngine, sealer: Sealer, depth: float = 0.9) -> DeepPage:
    """The (created_at, id) of the incident at ``depth`` of the CREATED_AT ordering."""
    async with engine.connect() as connection:
        total = int(await connection.scalar(select(func.count()).select_from(RapidResponseIncident)) or 0)
        offset = int(total * depth)
        row = (
            await connection.execute(
                select(RapidResponseIncident.created_at, RapidResponseIncident.id)
                .order_by(RapidResponseIncident.created_at, RapidResponseIncident.id)
                .offset(offset)
                .limit(1)
            )
        ).one()
    record_id = uuid.UUID(str(row[1]))
    return DeepPage(total, offset, row[0], record_id, encode_cursor(sealer.cursor_keys, CONNECTION, row[0], record_id))


def page_sql(advocate: Advocate, position: DeepPage | None) -> str:
    """The SQL the service runs for one page of rapidResponseIncidents (see api.schema.engine.relay.paginate)."""
    viewer = Viewer(member_id=advocate.member_id, organization_id=advocate.organization_id)
    model = RapidResponseIncident
    statement = readable(viewer, model)
    if position is not None:
        statement = statement.where(
            tuple_(model.created_at, model.id) > tuple_(position.created_at, position.record_id)
        )
    statement = statement.order_by(model.created_at.asc(), model.id.asc()).limit(PAGE + 1)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


async def explain(engine: AsyncEngine, sql: str) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of ``sql``: the plan lines."""
    async with engine.connect() as connection:
        rows = await connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in rows]
