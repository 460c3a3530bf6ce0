"""rate_limit_bucket: token buckets shared by every instance

An UNLOGGED table (no WAL: a crash only refills the buckets), one row per caller and policy, keyed by a
SHA-256 digest (never a member id or an address).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "rate_limit_bucket",
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("tokens", sa.Double(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_bucket")),
        prefixes=["UNLOGGED"],
    )
    op.create_index(op.f("ix_rate_limit_bucket_updated_at"), "rate_limit_bucket", ["updated_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_rate_limit_bucket_updated_at"), table_name="rate_limit_bucket")
    op.drop_table("rate_limit_bucket")
