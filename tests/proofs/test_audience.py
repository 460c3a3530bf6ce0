"""The per-role schemas agree with the row rules: a role left out of a type's audience gets no rows."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.access import readable
from api.auth.reach import AUDIENCE, may_ever_read
from api.auth.tokens import viewer_for_personal_token
from api.auth.viewer import ANONYMOUS
from api.crypto import Sealer
from api.models.enums import Role
from tests.proofs.world import build_world


async def _count(db: AsyncSession, statement: Select[Any]) -> int:
    return int(await db.scalar(select(func.count()).select_from(statement.subquery())) or 0)


async def test_roles_outside_a_types_audience_read_none_of_its_rows(db: AsyncSession, sealer: Sealer) -> None:
    world = await build_world(db, sealer)
    problems = []
    for key, token in world.tokens.items():
        viewer = await viewer_for_personal_token(db, token)
        assert viewer is not None
        for model in AUDIENCE:
            if not may_ever_read(model, False, viewer.roles):  # an auditor alone: not even public rows
                rows = await _count(db, readable(viewer, model))
                if rows:
                    problems.append(f"{key} reads {rows} {model.__name__} rows outside its audience")
    assert problems == []


@pytest.mark.parametrize("model", [m for m, audience in AUDIENCE.items() if audience is not None])
async def test_anonymous_reads_no_rows_of_member_only_types(db: AsyncSession, sealer: Sealer, model: type) -> None:
    await build_world(db, sealer)
    assert await _count(db, readable(ANONYMOUS, model)) == 0


async def test_an_auditor_alone_has_the_audit_log_and_no_record_type_in_its_schema(
    db: AsyncSession, sealer: Sealer
) -> None:
    auditor = frozenset({Role.AUDITOR})
    readable_types = {model.__name__ for model in AUDIENCE if may_ever_read(model, False, auditor)}
    assert readable_types == {"AuditEvent", "PersonalAccessToken"}  # the log, and its own credentials
