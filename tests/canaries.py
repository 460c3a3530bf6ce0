"""Sensitive values the tests create (T2/T3 plaintexts, tokens, secrets): none may appear in any log line."""

from __future__ import annotations

from typing import overload

CANARIES: set[str] = set()


@overload
def canary(value: str) -> str: ...
@overload
def canary(value: None) -> None: ...
@overload
def canary(value: str | None) -> str | None: ...
def canary(value: str | None) -> str | None:
    """Register a sensitive value (long enough to be searched for) and return it."""
    if value is not None and len(value) >= 8:
        CANARIES.add(value)
    return value
