"""Migration 0009: existing roles count from the member's creation; existing tokens' minters are known or UNKNOWN."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from api import migrate
from api.db import create_engine
from tests.database import fresh_database

MEMBER = (
    "INSERT INTO member (id, organization_id, email, alias, languages, roles, active, created_at) "
    "VALUES (:id, :org, :email, 'Wren', '{}', :roles, true, :created)"
)
TOKEN = (
    "INSERT INTO personal_access_token (id, member_id, name, token_hash, expires_at) "
    "VALUES (:id, :member, 'x', :hash, now() + interval '1 day')"
)
AUDIT = (
    "INSERT INTO audit_event (id, organization_id, actor_member_id, roles, action, outcome, operation_name, "
    "record_ids, fields) VALUES (gen_random_uuid(), :org, :actor, '{ORG_ADMIN}', 'MUTATION', 'ALLOWED', 'Create', "
    "ARRAY[:token, :member]::uuid[], '{personalAccessTokenCreate}')"
)


async def test_0009_backfills_grants_from_created_at_and_minters_from_the_audit_log(server_url: str) -> None:
    created = datetime.now(UTC) - timedelta(days=400)
    admin, other, region, org = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    own, minted_for_other = uuid.uuid4(), uuid.uuid4()
    async with fresh_database(server_url) as url:
        engine = create_engine(url, pool_size=1)
        try:
            await migrate.upgrade(engine, "0008")
            async with engine.begin() as c:
                await c.execute(text("INSERT INTO region (id, name, code) VALUES (:id, 'R', 'r-0009')"), {"id": region})
                await c.execute(text("INSERT INTO organization (id, name, kind, region_id) VALUES "
                                     "(:id, 'O', 'CONGREGATION', :region)"), {"id": org, "region": region})  # fmt: skip
                for who, roles in ((admin, ["ORG_ADMIN", "ORGANIZER"]), (other, ["ORG_ADMIN"])):
                    values = {"id": who, "org": org, "email": f"{who}@example.test", "roles": roles, "created": created}
                    await c.execute(text(MEMBER), values)
                for token, member in ((own, admin), (minted_for_other, other)):
                    await c.execute(text(TOKEN), {"id": token, "member": member, "hash": token.bytes})
                    await c.execute(text(AUDIT), {"org": org, "actor": admin, "token": token, "member": member})
            await migrate.upgrade(engine)
            async with engine.connect() as c:
                grants = (await c.execute(text("SELECT member_id, role, granted_at FROM member_role_grant"))).all()
                rows = (await c.execute(text("SELECT id, minted_by FROM personal_access_token"))).all()
                minters: dict[uuid.UUID, str] = {row[0]: row[1] for row in rows}
        finally:
            await engine.dispose()
    assert sorted((m, r, at) for m, r, at in grants) == sorted(
        [(admin, "ORG_ADMIN", created), (admin, "ORGANIZER", created), (other, "ORG_ADMIN", created)]
    )
    assert minters == {own: "SELF", minted_for_other: "UNKNOWN"}
