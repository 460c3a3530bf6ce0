"""The root Query: node lookups plus every domain's root fields."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from api.models import Member as MemberRow
from api.models.base import Tier
from api.schema.accompaniment.types import AccompanimentQueries
from api.schema.advocacy.types import AdvocacyQueries
from api.schema.engine.context import Info
from api.schema.engine.cost import estimate
from api.schema.engine.errors import BadRequestError
from api.schema.engine.ids import decode_global_id
from api.schema.engine.registry import MODELS
from api.schema.engine.relay import MAX_PAGE_SIZE, Node
from api.schema.network.audit import AuditQueries
from api.schema.network.consents import ConsentQueries
from api.schema.network.organizations import NetworkQueries
from api.schema.network.people import Member, PeopleQueries
from api.schema.rapid_response.types import RapidResponseQueries
from api.schema.sanctuary.types import SanctuaryQueries


async def _load_node(info: Info, value: strawberry.ID) -> Any:
    type_name, record_id = decode_global_id(value)
    model = MODELS.get(type_name)
    if model is None:
        return None
    return await info.context.loaders.by_id(model).load(record_id)


@strawberry.type(description="What a document would cost, counted as it is before it runs (never run).")
class QueryCost:
    requested: int = strawberry.field(
        description="The most objects its answer could hold (`extensions.cost.requested`)."
    )
    limit: int = strawberry.field(description="The most a request may cost; a costlier one is refused unrun.")


@strawberry.type(description="Read the network's data. What you see depends on who you are (see each field).")
class Query(
    NetworkQueries,
    PeopleQueries,
    SanctuaryQueries,
    AccompanimentQueries,
    RapidResponseQueries,
    AdvocacyQueries,
    AuditQueries,
    ConsentQueries,
):
    @strawberry.field(description="Any object by its opaque id; null when it does not exist or you may not see it.")
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="An opaque id.")]
    ) -> Node | None:
        node: Node | None = await _load_node(info, id)
        return node

    @strawberry.field(
        description=f"Objects by their opaque ids, in the same order (at most {MAX_PAGE_SIZE}); null for each id "
        "that does not exist or that you may not see."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Opaque ids.")],
    ) -> list[Node | None]:
        if len(ids) > MAX_PAGE_SIZE:
            raise BadRequestError(f"At most {MAX_PAGE_SIZE} ids at once.", code="TOO_MANY_IDS")
        return list(await asyncio.gather(*(_load_node(info, value) for value in ids)))

    @strawberry.field(
        description="What a document would cost you (objects its answer could hold), validated against your schema "
        "and never run. Counted like `extensions.cost.requested`: a request over `limit` is refused before it runs."
    )
    def query_cost(
        self,
        info: Info,
        document: Annotated[str, strawberry.argument(description="The GraphQL document.")],
        variables: Annotated[JSON | None, strawberry.argument(description="Its variables (they set `first`).")] = None,
        operation_name: Annotated[
            str | None, strawberry.argument(description="The operation to cost, when the document has several.")
        ] = None,
    ) -> QueryCost:
        limits = info.context.settings.graphql_limits
        requested = estimate(info.schema._schema, document, variables, operation_name, limits)
        return QueryCost(requested=requested, limit=limits.cost)

    @strawberry.field(description="The member you are authenticated as. Members only.", metadata={"tier": Tier.T1})
    async def me(self, info: Info) -> Member | None:
        member_id = info.context.viewer.member_id
        if member_id is None:
            return None
        return await info.context.loaders.by_id(MemberRow).load(member_id)
