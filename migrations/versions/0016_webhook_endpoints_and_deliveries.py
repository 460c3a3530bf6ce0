"""webhook_endpoint, webhook_delivery and webhook_cursor: signed webhooks for partner apps

An endpoint belongs to a partner app; its signing secrets are sealed. A delivery is one outbox event for
one endpoint (unique per pair, so that fanning out again creates nothing twice); the cursor row says how
far the fan-out read the outbox (it starts at the newest event: history is not replayed).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 06:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _entity(table: str) -> list[sa.Column[object]]:
    """The columns every entity has (id, timestamps, version)."""
    return [
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "webhook_endpoint",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("app_id", sa.UUID(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("event_kinds", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("secret", sa.LargeBinary(), nullable=True),
        sa.Column("previous_secret", sa.LargeBinary(), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("secret_rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", _enum("webhook_disabled_reason", "MANUAL", "FAILING"), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=32), nullable=True),
        *_entity("webhook_endpoint"),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_webhook_endpoint_organization_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["app_id"], ["oauth_client.id"], name=op.f("fk_webhook_endpoint_app_id_oauth_client"), ondelete="CASCADE"
        ),
    )  # fmt: skip
    op.create_index(op.f("ix_webhook_endpoint_organization_id"), "webhook_endpoint", ["organization_id"])
    op.create_index(op.f("ix_webhook_endpoint_app_id"), "webhook_endpoint", ["app_id"])
    status = _enum("webhook_delivery_status", "PENDING", "SUCCEEDED", "FAILED", "DROPPED", "NOT_VISIBLE")
    op.create_table(
        "webhook_delivery",
        sa.Column("endpoint_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event_kind", sa.String(length=32), nullable=False),
        sa.Column("status", status, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_response_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=32), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        *_entity("webhook_delivery"),
        sa.ForeignKeyConstraint(
            ["endpoint_id"], ["webhook_endpoint.id"], name=op.f("fk_webhook_delivery_endpoint_id_webhook_endpoint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"], name=op.f("fk_webhook_delivery_organization_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_delivery_endpoint_event"),
    )  # fmt: skip
    op.create_index(op.f("ix_webhook_delivery_organization_id"), "webhook_delivery", ["organization_id"])
    op.create_index(op.f("ix_webhook_delivery_endpoint_id"), "webhook_delivery", ["endpoint_id"])
    op.create_index(
        "ix_webhook_delivery_due", "webhook_delivery", ["next_attempt_at"], postgresql_where="status = 'PENDING'"
    )
    op.create_index("ix_webhook_delivery_endpoint_created", "webhook_delivery", ["endpoint_id", "created_at", "id"])
    op.create_table(
        "webhook_cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_webhook_cursor")),
    )
    op.execute(
        "INSERT INTO webhook_cursor (name, last_event_id) SELECT 'deliveries', coalesce(max(id), 0) FROM domain_event"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("webhook_cursor")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_endpoint")
