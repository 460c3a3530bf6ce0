"""Facts are loaded through one statement per viewer shape, its ids bound at execution (api/auth/bound_viewer.py):
for every viewer of tests/proofs/world.py, as a member and as a partner app of the same roles, the facts equal
those of statements built for that very viewer (its ids as literals, the way every rule was built before)."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.facts import Facts, fact_queries, load_facts
from api.auth.tokens import viewer_for_personal_token
from api.auth.viewer import Viewer
from api.crypto import Sealer
from tests.proofs.world import build_world


async def _literal_facts(db: AsyncSession, viewer: Viewer) -> Facts:
    queries = fact_queries(viewer)
    if not queries:
        return Facts()
    columns = [select(func.array_agg(q.subquery().c[0])).scalar_subquery().label(n) for n, q in queries.items()]
    row = (await db.execute(select(*columns))).one()
    return Facts(**{name: frozenset(value or ()) for name, value in row._mapping.items()})


async def test_facts_through_the_shared_statement_equal_those_built_for_each_viewer(
    db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_world(db, sealer)
    compared, tied = 0, 0
    for key, token in world.tokens.items():
        member = await viewer_for_personal_token(db, token)
        assert member is not None, key
        app = dataclasses.replace(member, member_id=None, client_id="app", own_credential=False)
        for viewer in (member, app):
            shared, literal = await load_facts(db, viewer), await _literal_facts(db, viewer)
            assert shared == literal, (key, viewer.member_id is None)
            compared += 1
            tied += sum(bool(ids) for ids in dataclasses.astuple(shared))
    assert compared >= 40
    assert tied >= 20  # the world ties its viewers to records: equal sets are not all empty ones
