"""Following relations through the access-scoped loaders, batched per page.

Relation fields declare what they follow (``to_one`` / ``to_many`` metadata). When a
connection page is fetched, :func:`prefetch` loads every selected relation of the page's
rows in one query per relation, so the resolvers below return cached rows synchronously
instead of creating one task per row; anything not prefetched goes through the dataloaders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import InstrumentedAttribute
from strawberry.types.nodes import SelectedField, Selection

from api.schema.engine.columns import page_columns
from api.schema.engine.context import Info
from api.schema.engine.loaders import MISSING
from api.schema.engine.registry import RECORD_NAMES


def to_one(model: type[Any], foreign_key: str) -> dict[str, Any]:
    """Field metadata of a relation to one ``model`` row through ``foreign_key`` of the parent row."""
    return {"to_one": (model, foreign_key)}


def to_many(foreign_key: InstrumentedAttribute[Any]) -> dict[str, Any]:
    """Field metadata of a relation to the rows whose ``foreign_key`` is the parent's id."""
    return {"to_many": foreign_key}


def related(info: Info, model: type[Any], record_id: uuid.UUID | None) -> Any:
    """The related row if the viewer may read it, else None (an awaitable when not yet loaded)."""
    if record_id is None:
        return None
    loaders = info.context.loaders
    cached = loaders.cached(model, record_id)
    return loaders.by_id(model).load(record_id) if cached is MISSING else cached


def children(info: Info, foreign_key: InstrumentedAttribute[Any], parent_id: uuid.UUID, first: int) -> Any:
    """The first ``first`` readable rows pointing at ``parent_id``, oldest first (an awaitable when not yet
    loaded)."""
    loaders = info.context.loaders
    cached = loaders.cached_children(foreign_key, parent_id, first)
    return loaders.children(foreign_key, first).load(parent_id) if cached is MISSING else cached


async def prefetch(info: Info, type_name: str, rows: list[Any], selected: list[SelectedField]) -> None:
    """Load the relations among a connection's nodes' ``selected`` fields (:func:`node_fields`) for all of
    ``rows`` at once; to-one rows with only the columns the fields selected on them need."""
    if not rows:
        return
    relations = _relations_of(info, type_name)
    loaders = info.context.loaders
    for name in {field.name for field in selected}:
        relation = relations.get(name)
        if relation is None:
            continue
        if "to_one" in relation:
            model, foreign_key = relation["to_one"]
            below = {f.name for field in selected if field.name == name for f in selected_fields(field.selections)}
            keys = page_columns(info.schema, model, RECORD_NAMES[model], below, "id")
            await loaders.prime(model, {getattr(row, foreign_key) for row in rows} - {None}, keys)
        else:
            first = max(_first(field) for field in selected if field.name == name)  # every alias of it
            await loaders.prime_children(relation["to_many"], [row.id for row in rows], first)


def _first(field: SelectedField) -> int:
    """The ``first`` a bounded list's selection asks for (variables resolved): its default when absent, the
    largest page when not a valid one (the resolver refuses it; nothing is loaded twice meanwhile)."""
    from api.schema.engine.bounded import LIST_DEFAULT  # (bounded imports relay, which imports this module)
    from api.schema.engine.relay import MAX_PAGE_SIZE

    value = field.arguments.get("first", LIST_DEFAULT)
    try:
        first = int(LIST_DEFAULT if value is None else value)
    except (TypeError, ValueError):
        return MAX_PAGE_SIZE
    return first if 1 <= first <= MAX_PAGE_SIZE else MAX_PAGE_SIZE


_RELATIONS: dict[str, dict[str, dict[str, Any]]] = {}


def _relations_of(info: Info, type_name: str) -> dict[str, dict[str, Any]]:
    if type_name not in _RELATIONS:
        definition = info.schema.get_type_by_name(type_name)
        converter = info.schema.config.name_converter
        _RELATIONS[type_name] = {
            converter.get_graphql_name(field): dict(field.metadata)
            for field in getattr(definition, "fields", [])
            if field.metadata and ("to_one" in field.metadata or "to_many" in field.metadata)
        }
    return _RELATIONS[type_name]


def node_fields(selected: Iterable[Selection]) -> list[SelectedField]:
    """The fields selected on a connection's nodes (under ``edges { node }`` or ``nodes``)."""
    fields: list[SelectedField] = []
    for connection in selected_fields(selected):
        for part in selected_fields(connection.selections):
            if part.name == "nodes":
                fields += selected_fields(part.selections)
            elif part.name == "edges":
                for node in (f for f in selected_fields(part.selections) if f.name == "node"):
                    fields += selected_fields(node.selections)
    return fields


def selected_fields(selections: Iterable[Selection]) -> list[SelectedField]:
    """The fields of a selection set, with fragments flattened."""
    found: list[SelectedField] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            found.append(selection)
        else:
            found += selected_fields(selection.selections)
    return found
