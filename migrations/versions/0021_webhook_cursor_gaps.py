"""webhook_cursor's gaps (the outbox ids below the cursor not seen yet, each with the transaction id that proves
when it can no longer fill), and a statement trigger giving a transaction its id before it draws event ids

An outbox id is drawn at insert but visible at commit, so the fan-out may read id 100 while id 98 is still in
flight: the cursor keeps 98 as a gap and reads it again each round until it commits or is proven never to (see
``api/webhooks/cursor.py``). The proof needs every transaction that writes an event to hold its transaction id
before it draws the event's id; ``domain_event_take_xid`` (BEFORE INSERT, FOR EACH STATEMENT: it fires before the
statement's rows, hence their ids, are computed) makes sure of it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 08:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FUNCTION = """
CREATE FUNCTION domain_event_take_xid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_current_xact_id();
    RETURN NULL;
END $$
"""
_TRIGGER = """
CREATE TRIGGER domain_event_take_xid BEFORE INSERT ON domain_event
    FOR EACH STATEMENT EXECUTE FUNCTION domain_event_take_xid()
"""


def upgrade() -> None:
    """Upgrade schema."""
    for column in ("gap_ids", "gap_xids"):
        op.add_column(
            "webhook_cursor",
            sa.Column(column, sa.ARRAY(sa.BigInteger()), server_default=sa.text("'{}'"), nullable=False),
        )
    op.create_check_constraint(
        op.f("ck_webhook_cursor_gaps_paired"), "webhook_cursor", "cardinality(gap_ids) = cardinality(gap_xids)"
    )
    op.execute(_FUNCTION)
    op.execute(_TRIGGER)


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP TRIGGER domain_event_take_xid ON domain_event")
    op.execute("DROP FUNCTION domain_event_take_xid()")
    op.drop_constraint(op.f("ck_webhook_cursor_gaps_paired"), "webhook_cursor", type_="check")
    op.drop_column("webhook_cursor", "gap_xids")
    op.drop_column("webhook_cursor", "gap_ids")
