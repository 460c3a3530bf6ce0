"""live_connection_slot: subscription WebSockets counted across instances

An UNLOGGED table (no WAL: a crash of PostgreSQL empties it, and each instance's next heartbeat puts its own
rows back), one row per counted connection: the instance holding it, keyed digests of its member and its app
(never an id), and when the instance last refreshed it. Rows no instance refreshes go stale and stop counting.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 07:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "live_connection_slot",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("instance_id", sa.UUID(), nullable=False),
        sa.Column("member_key", sa.LargeBinary(), nullable=True),
        sa.Column("app_key", sa.LargeBinary(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_connection_slot")),
        prefixes=["UNLOGGED"],
    )
    op.create_index(op.f("ix_live_connection_slot_member_key"), "live_connection_slot", ["member_key"], unique=False)
    op.create_index(op.f("ix_live_connection_slot_app_key"), "live_connection_slot", ["app_key"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_live_connection_slot_app_key"), table_name="live_connection_slot")
    op.drop_index(op.f("ix_live_connection_slot_member_key"), table_name="live_connection_slot")
    op.drop_table("live_connection_slot")
