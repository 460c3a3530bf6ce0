"""Which columns a page must read: those its selected fields use, and the ties the field rules need.

A list page read every column of its rows (sealed notes, arrays, free text) although a partner asks
for a few fields; decoding them was a good part of a page's cost. The page now reads the columns of
the selected fields, the row's id, its timestamps (keyset ordering and cursors) and, when a selected
field is gated by the field rule (``tiered``: the rule and decryption read the row's ties), every id
column. A selected field this cannot map to a column (a resolver computing from several columns) makes
the page read every column, as before. The rows a page prefetches for a to-one relation are narrowed the
same way, by the fields selected on the relation.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Uuid
from strawberry import Schema

_ALWAYS = frozenset({"created_at", "updated_at"})
_FIELDS: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}


def page_columns(
    schema: Schema, model: type[Any], type_name: str, selected: Iterable[str], sort_key: str
) -> tuple[str, ...] | None:
    """The column keys (in table order) rows of ``type_name`` ordered by ``sort_key`` need for the ``selected``
    fields (their GraphQL names); None for all."""
    return _columns(schema, cast(Hashable, model), type_name, frozenset(selected), sort_key)


@lru_cache(maxsize=4096)
def _columns(
    schema: Schema, model: Any, type_name: str, selected: frozenset[str], sort_key: str
) -> tuple[str, ...] | None:
    table = model.__table__
    keys = {"id", sort_key} | (_ALWAYS & set(table.columns.keys()))
    gated = False
    fields = _fields_of(schema, type_name)
    for name in selected:
        if name == "__typename":
            continue
        spec = fields.get(name)
        if spec is None:
            return None
        python_name, metadata = spec
        if "to_one" in metadata:
            keys.add(metadata["to_one"][1])
        elif "to_many" in metadata or python_name == "global_id":
            continue
        else:
            key = metadata["column"].split(".", 1)[1] if "column" in metadata else python_name
            if key not in table.columns:
                return None
            keys.add(key)
            gated = gated or bool(metadata.get("gated"))
    if gated:  # the field rule and decryption read the row's ties (organization, person, congregation...)
        keys |= {c.key for c in table.columns if isinstance(c.type, Uuid)}
    return tuple(column.key for column in table.columns if column.key in keys)


def _fields_of(schema: Schema, type_name: str) -> dict[str, tuple[str, dict[str, Any]]]:
    if type_name not in _FIELDS:
        definition = schema.get_type_by_name(type_name)
        converter = schema.config.name_converter
        _FIELDS[type_name] = {
            converter.get_graphql_name(field): (field.python_name, dict(field.metadata or {}))
            for field in getattr(definition, "fields", [])
        }
    return _FIELDS[type_name]
