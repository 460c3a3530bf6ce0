"""domain_event: the transactional outbox of changes, and its NOTIFY trigger

Every change that matters writes one row in the change's transaction; the trigger notifies the
channel ``sanctuary_events`` with the row's id only, delivered by PostgreSQL on commit (never for a
rolled-back transaction or savepoint). Listeners read the rows after the last id they saw.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 10:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KIND = sa.Enum(
    "INCIDENT_REPORTED", "INCIDENT_VERIFICATION_CHANGED", "INCIDENT_STATUS_CHANGED", "INCIDENT_CLOSED",
    "INCIDENT_BROADCAST", "INCIDENT_RETRACTED", "RESPONDER_DISPATCHED", "RESPONDER_ARRIVED", "RESPONDER_RELEASED",
    "REQUEST_SUBMITTED", "REQUEST_TRIAGED", "REQUEST_MATCHING", "REQUEST_CONFIRMED", "REQUEST_COMPLETED",
    "REQUEST_CANCELLED", "ASSIGNMENT_OFFERED", "ASSIGNMENT_ACCEPTED", "ASSIGNMENT_DECLINED", "SHIFT_CREATED",
    "SHIFT_FILLED", "SHIFT_NEEDS_VOLUNTEERS", "SHIFT_COMPLETED", "SHIFT_MISSED", "CASE_OPENED",
    "CASE_STATUS_CHANGED", "BURN_REQUESTED", "BURN_CONFIRMED", "ADVOCACY_ANNOUNCED", "ADVOCACY_HELD",
    "ADVOCACY_CANCELLED", "MEMBER_DEACTIVATED",
    name="event_kind", native_enum=False, create_constraint=True, length=32,
)  # fmt: skip

_FUNCTION = """
CREATE FUNCTION domain_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sanctuary_events', NEW.id::text);
    RETURN NULL;
END $$
"""
_TRIGGER = """
CREATE TRIGGER domain_event_notify AFTER INSERT ON domain_event
    FOR EACH ROW EXECUTE FUNCTION domain_event_notify()
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "domain_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("kind", _KIND, nullable=False),
        sa.Column("record_type", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.UUID(), nullable=False),
        sa.Column("organization_ids", sa.ARRAY(sa.UUID()), nullable=False),
        sa.Column("region_id", sa.UUID(), nullable=True),
        sa.Column("actor_member_id", sa.UUID(), nullable=True),
        sa.Column("actor_client_id", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_event")),
    )
    op.create_index(op.f("ix_domain_event_occurred_at"), "domain_event", ["occurred_at"], unique=False)
    op.execute(_FUNCTION)
    op.execute(_TRIGGER)


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP TRIGGER domain_event_notify ON domain_event")
    op.execute("DROP FUNCTION domain_event_notify()")
    op.drop_index(op.f("ix_domain_event_occurred_at"), table_name="domain_event")
    op.drop_table("domain_event")
