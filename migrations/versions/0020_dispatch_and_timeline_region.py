"""incident_dispatch.region_id and incident_timeline_event.region_id: the incident's region on its rows

A dispatcher reads an incident's dispatches and timeline only in the regions it dispatches for, like the
incident's own details; the field rule tests a loaded row, so each row carries its incident's region (an
incident never changes region), copied from the incident here and at every write.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("incident_dispatch", "incident_timeline_event")


def upgrade() -> None:
    """Upgrade schema."""
    for table in _TABLES:
        op.add_column(table, sa.Column("region_id", sa.UUID(), nullable=True))
        op.execute(
            f"UPDATE {table} AS child SET region_id = incident.region_id "  # noqa: S608 (our own table names)
            "FROM rapid_response_incident AS incident WHERE incident.id = child.incident_id"
        )
        op.alter_column(table, "region_id", nullable=False)
        op.create_index(op.f(f"ix_{table}_region_id"), table, ["region_id"], unique=False)
        op.create_foreign_key(
            op.f(f"fk_{table}_region_id_region"), table, "region", ["region_id"], ["id"], ondelete="RESTRICT"
        )


def downgrade() -> None:
    """Downgrade schema."""
    for table in reversed(_TABLES):
        op.drop_constraint(op.f(f"fk_{table}_region_id_region"), table, type_="foreignkey")
        op.drop_index(op.f(f"ix_{table}_region_id"), table_name=table)
        op.drop_column(table, "region_id")
