"""Read requests run without a transaction of their own; anything that may write keeps one."""

from __future__ import annotations

import httpx
import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.models import AuditEvent
from api.models.enums import AuditAction, OrganizationKind, Role
from api.schema.engine.limits import DEFAULT_LIMITS
from api.schema.engine.request_body import prepare
from tests import factories
from tests.graphql import gql
from tests.workflow import actor


@pytest.mark.parametrize(
    ("body", "read_only"),
    [
        ({"query": "{ me { id } }"}, True),
        ({"query": 'query A { me { id } } query B { node(id: "x") { id } }', "operationName": "A"}, True),
        ({"query": "query A { me { id } } mutation B { x }", "operationName": "A"}, False),
        ({"query": 'mutation { personalAccessTokenRevoke(input: {id: "x"}) { userErrors { code } } }'}, False),
        ({"query": "{ me { id "}, False),
        ({"query": 42}, False),
        ([{"query": "{ me { id } }"}], False),
    ],
)
def test_only_documents_without_mutations_count_as_read_only(body: object, read_only: bool) -> None:
    assert prepare(orjson.dumps(body), DEFAULT_LIMITS).read_only is read_only


def test_a_body_that_is_not_json_is_not_read_only() -> None:
    assert not prepare(b"query { me { id } }", DEFAULT_LIMITS, json=False).read_only


async def test_a_read_without_a_transaction_still_answers_and_is_audited(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    async with live_sessions() as session:
        org = await factories.organization(session, OrganizationKind.LEGAL_AID)
        advocate = await actor(session, org, Role.LEGAL_ADVOCATE)
        guest = await factories.person(session, sealer, org, preferred_name="Ana")
        await session.commit()
    document = "{ persons(first: 5) { edges { node { id preferredName } } } }"
    body = await gql(live_client, document, token=advocate.token)
    assert [e["node"]["preferredName"] for e in body["data"]["persons"]["edges"]] == ["Ana"]
    async with live_sessions() as session:
        reads = (await session.scalars(select(AuditEvent).where(
            AuditEvent.action == AuditAction.READ, AuditEvent.actor_member_id == advocate.id))).all()  # fmt: skip
    assert [(event.record_ids, event.fields) for event in reads] == [([guest.id], ["Person.preferredName"])]
