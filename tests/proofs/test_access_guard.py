"""A lint: schema modules read rows only through api.auth.access (never a bare select of a model)."""

from __future__ import annotations

import ast
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "api" / "schema"
ALLOWED = {"engine/relay.py", "engine/context.py"}  # they run statements they are given, already scoped


def test_schema_modules_do_not_build_their_own_queries() -> None:
    offenders = []
    for path in sorted(SCHEMA_DIR.rglob("*.py")):
        if path.relative_to(SCHEMA_DIR).as_posix() in ALLOWED:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in {"sqlalchemy", "sqlalchemy.future"}:
                names = {alias.name for alias in node.names}
                if names & {"select", "text", "insert", "update", "delete"}:
                    offenders.append(f"{path.relative_to(SCHEMA_DIR)}:{node.lineno} imports {sorted(names)}")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"execute", "scalars", "scalar", "get"}
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "session"
            ):
                offenders.append(f"{path.relative_to(SCHEMA_DIR)}:{node.lineno} uses session.{node.attr} directly")
    assert offenders == []
