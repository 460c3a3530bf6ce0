"""A webhook's payload: the endpoint's subscription document, run over the event's record under the app's rights.

The document registered with an endpoint is a GraphQL ``subscription`` whose one root field is ``node``, with
the selection to send about the changed record (inline fragments per record type)::

    subscription { node { id ... on RapidResponseIncident { kind status coarseArea } } }

It is checked at registration against the schema of the app's ceiling (the per-audience schema of its roles,
:mod:`api.schema.engine.audience`): a field outside the ceiling fails like a field that does not exist. At
each attempt it runs as ``query($id: ID!) { node(id: $id) { ... } }`` through that schema, the row and field
rules and the loaders, as the app (its roles *now*): a record the app may not read gives no payload, a field it
may not read on this record is null and listed in ``withheld``, T2/T3 reads are audited as the app's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    print_ast,
    validate,
)
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.facts import load_facts
from api.auth.viewer import Viewer
from api.crypto import Sealer
from api.events.event import Event
from api.schema.engine.audience import Audience, schema_for
from api.schema.engine.context import Context
from api.schema.engine.cost import requested_cost
from api.schema.engine.ids import encode_global_id
from api.schema.engine.limits import DEFAULT_LIMITS
from api.schema.engine.registry import MODELS
from api.schema.engine.request_body import parse_document
from api.services.shared.audit import record_reads
from api.settings import Settings

ROOT = "node"
OPERATION = "WebhookPayload"
MAX_DOCUMENT = 10_000


class DocumentRefused(ValueError):
    """The document cannot select a webhook payload (the message says why, never quoting it)."""


@dataclass(frozen=True)
class Rendered:
    """The JSON body of one delivery, or why there is none (``skip``: not visible; ``drop``: cannot run)."""

    body: bytes | None
    skip: bool = False
    drop: str | None = None


def query_of(document: str) -> str:
    """The query a subscription document runs as (DocumentRefused when it is not one this module accepts)."""
    if len(document) > MAX_DOCUMENT:
        raise DocumentRefused(f"The document exceeds {MAX_DOCUMENT} characters.")
    try:
        parsed = parse_document(document, DEFAULT_LIMITS.tokens)
    except GraphQLError:
        raise DocumentRefused("The document does not parse.") from None
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation is not OperationType.SUBSCRIPTION:
        raise DocumentRefused("The document must hold exactly one operation, a subscription.")
    fields = operations[0].selection_set.selections
    root = fields[0] if len(fields) == 1 else None
    if not isinstance(root, FieldNode) or root.name.value != ROOT or root.arguments or root.directives:
        raise DocumentRefused(f"The subscription must select one field, `{ROOT}`, without arguments or directives.")
    if operations[0].variable_definitions or root.selection_set is None:
        raise DocumentRefused(f"The subscription takes no variables, and selects fields of `{ROOT}`.")
    fragments = [d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)]
    return print_ast(DocumentNode(definitions=(_as_query(root), *fragments)))


def _as_query(root: FieldNode) -> OperationDefinitionNode:
    variable = VariableNode(name=NameNode(value="id"))
    node = FieldNode(
        alias=root.alias, name=NameNode(value=ROOT), arguments=(ArgumentNode(name=NameNode(value="id"), value=variable),),
        directives=(), selection_set=root.selection_set,
    )  # fmt: skip
    definition = VariableDefinitionNode(
        variable=variable, type=NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="ID"))), directives=()
    )
    return OperationDefinitionNode(
        operation=OperationType.QUERY, name=NameNode(value=OPERATION), variable_definitions=(definition,),
        directives=(), selection_set=SelectionSetNode(selections=(node,)),
    )  # fmt: skip


def check(document: str, audience: Audience, settings: Settings) -> None:
    """DocumentRefused unless the document is valid against the audience's schema and within the cost limit."""
    query = query_of(document)
    schema = schema_for(audience)._schema
    parsed = parse_document(query, DEFAULT_LIMITS.tokens)
    if validate(schema, parsed, max_errors=1):
        raise DocumentRefused("The document selects a field or type the app's ceiling does not allow (or none).")
    if requested_cost(schema, parsed, OPERATION, {"id": ""}) > settings.graphql_limits.cost:
        raise DocumentRefused("The document could return more objects than one request may.")


@lru_cache(maxsize=1)
def _node_types() -> dict[str, str]:
    """Node type name per table: what ``node(id:)`` is asked for an event's record."""
    return {model.__tablename__: name for name, model in MODELS.items()}


async def render(
    session: AsyncSession, sealer: Sealer, settings: Settings, viewer: Viewer, document: str, event: Event,
    request_id: str,
) -> Rendered:  # fmt: skip
    """Run the document over the event's record as ``viewer`` (the app now); audit what it read."""
    type_name = _node_types().get(event.record_type)
    try:
        query = query_of(document)
    except DocumentRefused:
        return Rendered(None, drop="DOCUMENT_INVALID")
    if type_name is None:
        return Rendered(None, skip=True)
    context = Context(
        viewer=viewer, session=session, sealer=sealer, request_id=request_id, settings=settings,
        facts=await load_facts(session, viewer),
    )  # fmt: skip
    variables = {"id": encode_global_id(type_name, event.record_id)}
    result = await schema_for(Audience.of(viewer)).execute(
        query, variable_values=variables, context_value=context, operation_name=OPERATION
    )
    if result.errors:  # the ceiling narrowed since registration (validation), or the execution failed
        return Rendered(None, drop="DOCUMENT_INVALID" if result.data is None else "RENDER_ERROR")
    data = result.data or {}
    if not any(value is not None for value in data.values()):
        return Rendered(None, skip=True)
    await record_reads(
        session, viewer, context.audited_reads, operation_name=f"webhook:{event.kind.value}",
        document_hash=hashlib.sha256(document.encode()).hexdigest(), request_id=request_id,
    )  # fmt: skip
    return Rendered(_body(event, data, context.withheld))


def _body(event: Event, data: dict[str, Any], withheld: list[dict[str, Any]]) -> bytes:
    body: dict[str, Any] = {
        "type": event.kind.value,
        "timestamp": event.occurred_at.isoformat(),
        "eventId": event.id,
        "data": data,
    }
    if withheld:
        body["withheld"] = withheld
    return orjson.dumps(body)
