"""Field factories that read each field's tier from its model column and apply the field rule.

``tiered`` fields go through :func:`api.auth.fields.field_access` on every record: withheld
values resolve to null and are listed in ``extensions.withheld``; T2/T3 reads are audited;
T3 values are decrypted only after the rule allowed them. ``plain`` fields are returned as
stored and are only allowed when their tier does not exceed the floor of their type (the
tier one needs to see the type's rows at all), which ``tests/test_classification.py`` checks.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Optional

import strawberry
from sqlalchemy import ARRAY
from sqlalchemy.orm import InstrumentedAttribute

from api.auth.fields import field_access
from api.models.base import Tier, column_tier, storage_name
from api.schema.engine.context import Info

TIER_NOTES = {
    Tier.T0: "Public.",
    Tier.T1: "Network (T1): members of the network.",
    Tier.T2: "Restricted (T2): the owning organization; null otherwise (see `extensions.withheld`).",
    Tier.T3: "Critical (T3): encrypted at rest, every read audited; the owning organization only, "
    "null otherwise (see `extensions.withheld`).",
}


def _python_type(column: InstrumentedAttribute[Any]) -> Any:
    sql_type = column.property.columns[0].type
    if column.property.columns[0].info.get("sealed"):
        return str
    if isinstance(sql_type, ARRAY):
        return list[str]
    python_type = sql_type.python_type
    return {datetime: datetime, Decimal: Decimal, uuid.UUID: strawberry.ID}.get(python_type, python_type)


def plain(column: InstrumentedAttribute[Any], description: str) -> Any:
    """A field returned as stored (its tier must not exceed its type's floor)."""
    tier = column_tier(column)
    return strawberry.field(description=f"{description} {TIER_NOTES[tier]}", metadata={"tier": tier})


def tiered(column: InstrumentedAttribute[Any], description: str) -> Any:
    """A field checked against the field rule on each record; T3 columns are decrypted after the check."""
    tier = column_tier(column)
    name = column.key
    sealed = bool(column.property.columns[0].info.get("sealed"))
    storage = storage_name(column)

    def allowed(root: Any, info: Info) -> bool:
        context = info.context
        reason = field_access(context.viewer, context.facts, storage, tier, root)
        if reason is not None:
            info.context.withheld.append({"path": info.path.as_list(), "reason": reason.value})
            return False
        return True

    def returned(root: Any, info: Info, value: Any) -> Any:
        if tier >= Tier.T2:  # audited once the value is in hand (a value that failed to open is not returned)
            info.context.record_read(root.id, f"{info.path.typename}.{info.field_name}")
        return value

    def resolve(root: strawberry.Parent[Any], info: Info) -> Any:
        return returned(root, info, getattr(root, name)) if allowed(root, info) else None

    async def resolve_sealed(root: strawberry.Parent[Any], info: Info) -> Any:
        if not allowed(root, info):
            return None
        value = await info.context.open_sealed(root.organization_id, root.id, storage, getattr(root, name))
        return returned(root, info, value)

    return strawberry.field(
        resolver=resolve_sealed if sealed else resolve,
        graphql_type=Optional[_python_type(column)],  # noqa: UP045 (a runtime type expression)
        description=f"{description} {TIER_NOTES[tier]}",
        metadata={"tier": tier, "gated": True, "column": storage},
    )
