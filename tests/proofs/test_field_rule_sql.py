"""The field rule in SQL (``readable_where``, for filters) and on loaded rows (``field_access``, for fields) are
one rule: for every viewer of tests/proofs/world.py and every T2/T3 column of every record type, the rows the SQL
condition keeps among those the viewer may read are exactly the rows on which the field resolves."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.access import READABLE, readable
from api.auth.facts import load_facts
from api.auth.fields import field_access, readable_where
from api.auth.tokens import viewer_for_personal_token
from api.crypto import Sealer
from api.models.base import Tier, column_tier, storage_name
from tests.proofs.test_access_matrix import MEMBERS
from tests.proofs.world import build_world


def _restricted_columns(model: type[Any]) -> list[Any]:
    return [getattr(model, c.key) for c in model.__table__.columns if column_tier(getattr(model, c.key)) >= Tier.T2]


async def test_the_sql_form_of_the_field_rule_keeps_exactly_the_rows_whose_field_resolves(
    db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_world(db, sealer)
    mismatches, compared = [], 0
    for key in MEMBERS:
        viewer = await viewer_for_personal_token(db, world.tokens[key])
        assert viewer is not None
        facts = await load_facts(db, viewer)
        for model in READABLE:
            columns = _restricted_columns(model)
            rows = (await db.execute(readable(viewer, model))).scalars().all() if columns else []
            for column in columns:
                name, tier = storage_name(column), column_tier(column)
                by_rule = {row.id for row in rows if field_access(viewer, facts, name, tier, row) is None}
                condition = readable_where(viewer, column)
                statement = readable(viewer, model) if condition is None else readable(viewer, model).where(condition)
                by_sql = set((await db.execute(statement.with_only_columns(model.id))).scalars())
                compared += len(rows)
                if by_rule != by_sql:
                    mismatches.append(f"{key} {storage_name(column)}: rule {len(by_rule)} rows, SQL {len(by_sql)}")
    assert mismatches == []
    assert compared > 100
