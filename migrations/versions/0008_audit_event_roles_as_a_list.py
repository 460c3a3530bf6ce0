"""audit_event.role (varchar(32), one string) becomes roles (varchar(32)[]), one entry per role

A member or partner app holding several roles made the comma-joined string overflow varchar(32),
so every audited read and every mutation of theirs failed. Existing rows are converted in place
(ALTER COLUMN ... TYPE rewrites the table without firing the append-only UPDATE trigger).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 03:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(
        "ALTER TABLE audit_event ALTER COLUMN role TYPE varchar(32)[] "
        "USING coalesce(string_to_array(role, ','), '{}')::varchar(32)[]"
    )
    op.execute("ALTER TABLE audit_event ALTER COLUMN role SET NOT NULL")
    op.execute("ALTER TABLE audit_event RENAME COLUMN role TO roles")


def downgrade() -> None:
    """Downgrade schema (roles that no longer fit in 32 characters are cut)."""
    op.execute("ALTER TABLE audit_event RENAME COLUMN roles TO role")
    op.execute("ALTER TABLE audit_event ALTER COLUMN role DROP NOT NULL")
    op.execute(
        "ALTER TABLE audit_event ALTER COLUMN role TYPE varchar(32) "
        "USING nullif(left(array_to_string(role, ','), 32), '')"
    )
