"""One open dispatch per member and incident, held by the database

The dispatch service refuses a second open dispatch (ALREADY_DISPATCHED) under a lock on the incident;
this partial unique index makes it an invariant of the data, whatever writes it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 22:55:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "uq_incident_dispatch_open",
        "incident_dispatch",
        ["incident_id", "member_id"],
        unique=True,
        postgresql_where=sa.text("released_at IS NULL"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(
        "uq_incident_dispatch_open", table_name="incident_dispatch", postgresql_where=sa.text("released_at IS NULL")
    )
