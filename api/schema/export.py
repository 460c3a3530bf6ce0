"""Print the schema to ``api/schema/schema.graphql`` (run: ``python -m api.schema.export``)."""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

from api.schema.schema import schema

SCHEMA_FILE = Path(__file__).with_name("schema.graphql")


def render() -> str:
    """The schema in SDL, as committed."""
    return print_schema(schema) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render())
    print(f"wrote {SCHEMA_FILE}")
