"""Which GraphQL type reads which model: filled by :func:`api.schema.engine.relay.row_type` as the types are declared."""

from __future__ import annotations

from typing import Any

from api.models.base import Tier

# Node type name -> model (what node(id:) loads)
MODELS: dict[str, type[Any]] = {}
# GraphQL type name -> the tier one needs to see any of its rows (plain fields may not exceed it)
FLOORS: dict[str, Tier] = {}
# GraphQL type name -> model, for every record type (Node or not), and back
RECORD_MODELS: dict[str, type[Any]] = {}
RECORD_NAMES: dict[type[Any], str] = {}
